#include "registry/reference.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::registry {
namespace {

const std::string sha256_hex(64, 'a');
const std::string sha256_digest =
    "sha256:" + std::string("0123456789abcdef0123456789abcdef") + "0123456789abcdef0123456789abcdef";

// One input that must parse, and the fields it must parse into.
struct ValidCase {
    std::string text;
    Reference expected;
};

std::vector<ValidCase> valid_cases() {
    return {
        {"busybox", {"", "busybox", "", ""}},
        {"busybox:1.36", {"", "busybox", "1.36", ""}},
        {"busybox:latest", {"", "busybox", "latest", ""}},
        {"busybox:Latest_1-rc.2", {"", "busybox", "Latest_1-rc.2", ""}},
        {"busybox:_x", {"", "busybox", "_x", ""}},
        {"library/busybox", {"", "library/busybox", "", ""}},
        {"docker.io/library/busybox", {"docker.io", "library/busybox", "", ""}},
        {"docker.io/busybox:1.36", {"docker.io", "busybox", "1.36", ""}},
        {"localhost/x", {"localhost", "x", "", ""}},
        {"localhost:5000/a/b:tag", {"localhost:5000", "a/b", "tag", ""}},
        {"127.0.0.1:5000/x", {"127.0.0.1:5000", "x", "", ""}},
        {"[::1]:5000/x:y", {"[::1]:5000", "x", "y", ""}},
        {"[::1]/x", {"[::1]", "x", "", ""}},
        {"[2001:db8::1]:443/ns/x", {"[2001:db8::1]:443", "ns/x", "", ""}},
        {"example.com/a/b/c@" + sha256_digest, {"example.com", "a/b/c", "", sha256_digest}},
        {"busybox:1.36@" + sha256_digest, {"", "busybox", "1.36", sha256_digest}},
        {"quay.io/org/app:v1@" + sha256_digest, {"quay.io", "org/app", "v1", sha256_digest}},
        {"Example.COM/app", {"Example.COM", "app", "", ""}},
        {"Registry/app", {"Registry", "app", "", ""}},
        {"my-registry.example.com:8443/team/app", {"my-registry.example.com:8443", "team/app", "", ""}},
        {"a.b-c.d---e/f", {"a.b-c.d---e", "f", "", ""}},
        {"a.b-c__d---e/f", {"", "a.b-c__d---e/f", "", ""}},  // '_' is not allowed in a domain
        {"a_b.com/x", {"", "a_b.com/x", "", ""}},            // not a valid domain, so part of the path
        {"foo/bar", {"", "foo/bar", "", ""}},
        {"foo_bar/baz-qux/a.b", {"", "foo_bar/baz-qux/a.b", "", ""}},
        {"a__b", {"", "a__b", "", ""}},
        {"a---b", {"", "a---b", "", ""}},
        {"0", {"", "0", "", ""}},
        {"localhost:5000", {"", "localhost", "5000", ""}},
        {"x@sha384:" + std::string(96, 'b'), {"", "x", "", "sha384:" + std::string(96, 'b')}},
        {"x@sha512:" + std::string(128, 'c'), {"", "x", "", "sha512:" + std::string(128, 'c')}},
        {"x:" + std::string(128, 't'), {"", "x", std::string(128, 't'), ""}},
        {std::string(255, 'a'), {"", std::string(255, 'a'), "", ""}},
        {"example.com/" + std::string(243, 'a'), {"example.com", std::string(243, 'a'), "", ""}},
    };
}

TEST(ParseReferenceTest, AcceptsValidReferences) {
    for (const ValidCase& test : valid_cases()) {
        SCOPED_TRACE(test.text);
        Reference reference;
        ASSERT_NO_THROW(reference = parse_reference(test.text));
        EXPECT_EQ(reference.domain, test.expected.domain);
        EXPECT_EQ(reference.path, test.expected.path);
        EXPECT_EQ(reference.tag, test.expected.tag);
        EXPECT_EQ(reference.digest, test.expected.digest);
        EXPECT_EQ(reference.to_string(), test.text);
    }
}

// One input that must be rejected, and what the message must say is wrong.
struct InvalidCase {
    std::string text;
    std::string problem;
};

std::vector<InvalidCase> invalid_cases() {
    return {
        {"", "empty reference"},
        {"Busybox", "repository name must be lowercase"},
        {"busyBox:1.0", "repository name must be lowercase"},
        {"docker.io/Library/busybox", "repository name must be lowercase"},
        {"Foo/Bar", "repository name must be lowercase"},
        {"Foo_Bar/x", "repository name must be lowercase"},
        {"busybox:", "invalid tag"},
        {"busybox:.tag", "invalid tag"},
        {"busybox:-tag", "invalid tag"},
        {"busybox:" + std::string(129, 't'), "invalid tag"},
        {"busybox:a+b", "invalid tag"},
        {"busybox:a/b", "invalid domain"},
        {"busybox@", "invalid digest"},
        {"busybox@sha256", "invalid digest"},
        {"busybox@sha256:", "invalid digest"},
        {"busybox@sha256:abc", "invalid digest"},
        {"busybox@sha256:" + std::string(63, 'a'), "invalid digest"},
        {"busybox@sha256:" + std::string(65, 'a'), "invalid digest"},
        {"busybox@sha256:" + std::string(64, 'A'), "invalid digest"},
        {"busybox@sha256:" + std::string(63, 'a') + "g", "invalid digest"},
        {"busybox@1sha:" + std::string(64, 'a'), "invalid digest"},
        {"busybox@sha256:" + std::string(64, 'a') + "@x", "invalid digest"},
        {"busybox@md5:" + std::string(32, 'a'), "unsupported digest algorithm"},
        {"busybox@" + sha256_digest + ":tag", "invalid digest"},
        {":tag", "missing repository name"},
        {"@" + sha256_digest, "missing repository name"},
        {"a//b", "invalid repository name"},
        {"a/", "invalid repository name"},
        {"/a", "invalid repository name"},
        {"-a", "invalid repository name"},
        {"a-", "invalid repository name"},
        {"a.", "invalid repository name"},
        {"a..b", "invalid repository name"},
        {"a___b", "invalid repository name"},
        {"a._b", "invalid repository name"},
        {"a b", "invalid repository name"},
        {"caf\xc3\xa9", "invalid repository name"},
        {"docker.io/-a", "invalid repository name"},
        {"localhost:abc/x", "invalid domain"},
        {"localhost:/x", "invalid domain"},
        {"-example.com/x", "invalid domain"},
        {"example-.com/x", "invalid domain"},
        {"example..com/x", "invalid domain"},
        {"[::1/x", "invalid domain"},
        {"[]:5000/x", "invalid domain"},
        {"[::g]/x", "invalid domain"},
        {"[::1]x/y", "invalid domain"},
        {"a:b:c", "invalid repository name"},
        {std::string(256, 'a'), "repository name too long"},
        {"example.com/" + std::string(244, 'a'), "repository name too long"},
        {std::string(128, 'a') + "/" + std::string(127, 'b') + ":tag", "repository name too long"},
    };
}

TEST(ParseReferenceTest, RejectsInvalidReferences) {
    for (const InvalidCase& test : invalid_cases()) {
        SCOPED_TRACE(test.text);
        try {
            Reference reference = parse_reference(test.text);
            ADD_FAILURE() << "parsed as " << reference.to_string();
        } catch (const Error& error) {
            std::string message = error.what();
            EXPECT_TRUE(message.starts_with("invalid reference format: " + test.problem)) << message;
            EXPECT_EQ(error.exit_status(), exit_berth_error);
        }
    }
}

TEST(ParseReferenceTest, MessageNamesTheInput) {
    try {
        parse_reference("Busybox");
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), R"(invalid reference format: repository name must be lowercase: "Busybox")");
    }
}

TEST(ParseReferenceTest, MessageEscapesControlCharactersAndQuotes) {
    try {
        parse_reference("a\nb\"c");
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), R"(invalid reference format: invalid repository name: "a\x0ab\"c")");
    }
}

TEST(ParseReferenceTest, DigestMessageSaysWhatSha256Needs) {
    try {
        parse_reference("busybox@sha256:" + std::string(64, 'A'));
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("sha256 needs 64 lowercase hex digits"), std::string::npos)
            << error.what();
    }
}

TEST(ReferenceTest, NameJoinsDomainAndPath) {
    EXPECT_EQ((Reference{"", "busybox", "", ""}.name()), "busybox");
    EXPECT_EQ((Reference{"localhost:5000", "a/b", "t", ""}.name()), "localhost:5000/a/b");
}

TEST(ReferenceTest, ToStringAddsTagThenDigest) {
    EXPECT_EQ((Reference{"docker.io", "library/busybox", "1.36", ""}.to_string()), "docker.io/library/busybox:1.36");
    EXPECT_EQ((Reference{"", "x", "", sha256_digest}.to_string()), "x@" + sha256_digest);
    EXPECT_EQ((Reference{"q.io", "x", "v1", sha256_digest}.to_string()), "q.io/x:v1@" + sha256_digest);
}

TEST(ReferenceTest, ComparesAllFields) {
    EXPECT_EQ(parse_reference("busybox:1"), (Reference{"", "busybox", "1", ""}));
    EXPECT_NE(parse_reference("busybox:1"), parse_reference("busybox:2"));
}

// One reference as typed, and its fully-qualified form.
struct NormalizeCase {
    std::string text;
    std::string expected;
};

TEST(NormalizeReferenceTest, FillsInDockerDefaults) {
    const std::vector<NormalizeCase> cases = {
        {"busybox", "docker.io/library/busybox:latest"},
        {"busybox:1.36", "docker.io/library/busybox:1.36"},
        {"library/busybox", "docker.io/library/busybox:latest"},
        {"user/app", "docker.io/user/app:latest"},
        {"a/b/c", "docker.io/a/b/c:latest"},
        {"docker.io/busybox", "docker.io/library/busybox:latest"},
        {"docker.io/library/busybox", "docker.io/library/busybox:latest"},
        {"index.docker.io/busybox", "docker.io/library/busybox:latest"},
        {"index.docker.io/user/app:v2", "docker.io/user/app:v2"},
        {"quay.io/busybox", "quay.io/busybox:latest"},
        {"localhost/app", "localhost/app:latest"},
        {"localhost:5000/a/b:tag", "localhost:5000/a/b:tag"},
        {"[::1]:5000/x:y", "[::1]:5000/x:y"},
        {"busybox@" + sha256_digest, "docker.io/library/busybox@" + sha256_digest},
        {"busybox:1.36@" + sha256_digest, "docker.io/library/busybox:1.36@" + sha256_digest},
        {"example.com/a/b/c@" + sha256_digest, "example.com/a/b/c@" + sha256_digest},
    };
    for (const NormalizeCase& test : cases) {
        SCOPED_TRACE(test.text);
        EXPECT_EQ(normalize_reference(parse_reference(test.text)).to_string(), test.expected);
    }
}

TEST(NormalizeReferenceTest, KeepsFieldsSeparate) {
    Reference normalized = normalize_reference(parse_reference("busybox"));
    EXPECT_EQ(normalized, (Reference{"docker.io", "library/busybox", "latest", ""}));
}

TEST(NormalizeReferenceTest, IsIdempotent) {
    for (const std::string& input : {std::string("busybox"), std::string("index.docker.io/x"),
                                     std::string("quay.io/a/b:c"), "x@" + sha256_digest}) {
        SCOPED_TRACE(input);
        Reference once = normalize_reference(parse_reference(input));
        EXPECT_EQ(normalize_reference(once), once);
        EXPECT_EQ(normalize_reference(parse_reference(once.to_string())), once);
    }
}

TEST(NormalizeReferenceTest, RejectsBareImageIdAsName) {
    EXPECT_THROW(normalize_reference(parse_reference(sha256_hex)), Error);
    EXPECT_NO_THROW(normalize_reference(parse_reference("quay.io/" + sha256_hex)));
    EXPECT_NO_THROW(normalize_reference(parse_reference(sha256_hex.substr(0, 12))));
}

TEST(NormalizeReferenceTest, RejectsNameThatGrowsTooLong) {
    std::string path(250, 'a');  // "docker.io/library/" makes it 268
    ASSERT_NO_THROW(parse_reference(path));
    try {
        normalize_reference(parse_reference(path));
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("repository name too long"), std::string::npos) << error.what();
    }
}

TEST(HasExplicitDomainTest, RecognisesRegistries) {
    const std::vector<std::string> explicit_domains = {
        "docker.io/library/busybox",
        "docker.io/busybox:1",
        "localhost/x",
        "localhost:5000/a/b:tag",
        "127.0.0.1:5000/x",
        "[::1]:5000/x:y",
        "example.com/a/b/c@" + sha256_digest,
        "Registry/app",
        "registry:5000/app",
    };
    for (const std::string& text : explicit_domains) {
        EXPECT_TRUE(has_explicit_domain(text)) << text;
    }
}

TEST(HasExplicitDomainTest, RejectsShortNames) {
    const std::vector<std::string> short_names = {
        "",
        "busybox",
        "busybox:1.36",
        "busybox@" + sha256_digest,
        "library/busybox",
        "user/app:v1",
        "localhost",
        "localhost:5000",
        "example.com",
        "a_b.com/x",
        "bad:port/x",
        "-bad.com/x",
        "/x",
    };
    for (const std::string& text : short_names) {
        EXPECT_FALSE(has_explicit_domain(text)) << text;
    }
}

TEST(HasExplicitDomainTest, AgreesWithParse) {
    for (const ValidCase& test : valid_cases()) {
        EXPECT_EQ(has_explicit_domain(test.text), !parse_reference(test.text).domain.empty()) << test.text;
    }
}

TEST(LooksLikeImageIdTest, AcceptsHexIds) {
    const std::vector<std::string> ids = {
        "abc",
        "0123456789ab",
        sha256_hex,
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "sha256:" + sha256_hex,
    };
    for (const std::string& text : ids) {
        EXPECT_TRUE(looks_like_image_id(text)) << text;
    }
}

TEST(LooksLikeImageIdTest, RejectsEverythingElse) {
    const std::vector<std::string> not_ids = {
        "",
        "ab",
        "busybox",
        "0123456789AB",
        "0123456789ag",
        sha256_hex + "a",
        "sha256:",
        "sha256:0123456789ab",
        "sha256:" + sha256_hex + "a",
        "sha512:" + std::string(128, 'a'),
        "abc:latest",
        "docker.io/abc",
    };
    for (const std::string& text : not_ids) {
        EXPECT_FALSE(looks_like_image_id(text)) << text;
    }
}

}  // namespace
}  // namespace berth::registry
