#include "registry/registries_conf.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"

namespace berth::registry {
namespace {

const std::string conf_path = "/conf/registries.conf";

std::string scratch_parent() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp ? tmp : "/tmp";
}

// Whether text contains part, showing both when it does not.
::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

RegistriesConf parse(std::string_view text) { return parse_registries_conf(text, conf_path); }

// The message of the Error that body throws (fails the test when it throws none).
template <typename Body>
std::string error_of(Body body) {
    try {
        body();
    } catch (const Error& error) {
        EXPECT_EQ(error.exit_status(), 125);
        return error.what();
    }
    ADD_FAILURE() << "no error";
    return {};
}

std::vector<std::string> candidate_names(const ShortNameResolution& resolution) {
    std::vector<std::string> names;
    for (const auto& candidate : resolution.candidates) names.push_back(candidate.to_string());
    return names;
}

std::vector<std::string> source_names(const std::vector<PullSource>& sources) {
    std::vector<std::string> names;
    for (const auto& source : sources)
        names.push_back(source.reference.to_string() + (source.insecure ? " insecure" : "") +
                        (source.mirror ? " mirror" : ""));
    return names;
}

Reference normalized(std::string_view text) { return normalize_reference(parse_reference(text)); }

// ---- parsing

TEST(RegistriesConfParse, ReadsEveryKey) {
    auto conf = parse(R"(
unqualified-search-registries = ["quay.io", "localhost:5000/", "docker.io"]
short-name-mode = "enforcing"
credential-helpers = ["containers-auth.json"]

[[registry]]
prefix = "example.com/team"
location = "internal.example.com:5000/mirror/team/"
insecure = true
mirror-by-digest-only = true

[[registry.mirror]]
location = "cache.example.com"
insecure = true

[[registry]]
location = "blocked.example.org"
blocked = true

[[registry]]
prefix = "*.example.net"

[[registry.mirror]]
location = "cache.example.com/net"
pull-from-mirror = "tag-only"

[aliases]
"busybox" = "docker.io/busybox"
"library/app" = "quay.io/team/app"
)");
    ASSERT_TRUE(conf.unqualified_search_registries);
    EXPECT_EQ(*conf.unqualified_search_registries,
              (std::vector<std::string>{"quay.io", "localhost:5000", "docker.io"}));
    EXPECT_EQ(conf.search_registries_origin, conf_path);
    EXPECT_EQ(conf.short_name_mode, ShortNameMode::enforcing);
    EXPECT_EQ(conf.files, std::vector<std::string>{conf_path});

    ASSERT_EQ(conf.registries.size(), 3u);  // sorted by prefix
    EXPECT_EQ(conf.registries[0], (RegistryConfig{"*.example.net",
                                                  {"", false, ""},
                                                  {{"cache.example.com/net", false, "tag-only"}},
                                                  false,
                                                  false,
                                                  conf_path}));
    EXPECT_EQ(conf.registries[1],
              (RegistryConfig{"blocked.example.org", {"blocked.example.org", false, ""}, {}, true, false, conf_path}));
    EXPECT_EQ(conf.registries[2], (RegistryConfig{"example.com/team",
                                                  {"internal.example.com:5000/mirror/team", true, ""},
                                                  {{"cache.example.com", true, ""}},
                                                  false,
                                                  true,
                                                  conf_path}));

    ASSERT_EQ(conf.aliases.size(), 2u);
    EXPECT_EQ(conf.aliases.at("busybox").target, "docker.io/library/busybox");
    EXPECT_EQ(conf.aliases.at("busybox").origin, conf_path);
    EXPECT_EQ(conf.aliases.at("library/app").target, "quay.io/team/app");
}

TEST(RegistriesConfParse, AnEmptyFileSetsNothing) {
    auto conf = parse("# nothing here\n");
    EXPECT_FALSE(conf.unqualified_search_registries);
    EXPECT_FALSE(conf.short_name_mode);
    EXPECT_TRUE(conf.registries.empty());
    EXPECT_TRUE(conf.aliases.empty());
}

TEST(RegistriesConfParse, TheFirstTableOfAPrefixWins) {
    auto conf = parse(R"(
[[registry]]
prefix = "example.com"
location = "one.example.com"
[[registry]]
prefix = "example.com"
location = "two.example.com"
)");
    ASSERT_EQ(conf.registries.size(), 1u);
    EXPECT_EQ(conf.registries[0].endpoint.location, "one.example.com");
}

TEST(RegistriesConfParse, ConvertsVersion1Tables) {
    auto conf = parse(R"(
[registries.search]
registries = ["quay.io", "docker.io"]
[registries.insecure]
registries = ["localhost:5000"]
[registries.block]
registries = ["evil.example.com"]
)");
    EXPECT_EQ(*conf.unqualified_search_registries, (std::vector<std::string>{"quay.io", "docker.io"}));
    ASSERT_EQ(conf.registries.size(), 2u);
    EXPECT_EQ(conf.registries[0].prefix, "evil.example.com");
    EXPECT_TRUE(conf.registries[0].blocked);
    EXPECT_EQ(conf.registries[1].prefix, "localhost:5000");
    EXPECT_TRUE(conf.registries[1].endpoint.insecure);
}

TEST(RegistriesConfParse, MalformedTomlNamesFileLineAndColumn) {
    auto message = error_of([] { parse("unqualified-search-registries = [\"quay.io\",\n  oops = 1\n"); });
    EXPECT_TRUE(contains(message, "invalid registries configuration /conf/registries.conf: line 2, column "));
    EXPECT_TRUE(contains(message, "could not determine value type"));

    message = error_of([] { parse("short-name-mode = \"enforcing\"\nshort-name-mode = \"disabled\"\n"); });
    EXPECT_TRUE(contains(message, "invalid registries configuration /conf/registries.conf: line 2, column "));
    EXPECT_TRUE(contains(message, "short-name-mode"));
}

struct InvalidCase {
    std::string text;
    std::string message;
};

TEST(RegistriesConfParse, InvalidSettingsNameFileLineAndProblem) {
    const std::string at = "invalid registries configuration /conf/registries.conf: ";
    std::vector<InvalidCase> cases = {
        {"\n[[registry]]\nlocation = \"x.io\"\ninsecure = \"yes\"\n",
         at + "line 4: insecure must be true or false, not a string"},
        {"unqualified-search-registries = \"quay.io\"\n",
         at + "line 1: unqualified-search-registries must be an array of strings, not a string"},
        {"unqualified-search-registries = [\"quay.io/ns\"]\n",
         at + "line 1: invalid unqualified-search-registries entry \"quay.io/ns\": expected host[:port]"},
        {"short-name-mode = \"prompt\"\n",
         at + "line 1: invalid short-name-mode \"prompt\": expected \"enforcing\", \"permissive\" or \"disabled\""},
        {"[[registry]]\nlocation = \"https://x.io\"\n",
         at + "line 2: invalid location \"https://x.io\": URI schemes are not supported"},
        {"[[registry]]\ninsecure = true\n", at + "line 1: [[registry]] has neither prefix nor location"},
        {"[[registry]]\nprefix = \"x.io\"\n",
         at + "line 1: [[registry]] with prefix \"x.io\" has no location (only a *.example.com prefix may go without "
              "one)"},
        {"[[registry]]\nprefix = \"*.x.io/ns\"\n",
         at + "line 1: invalid prefix \"*.x.io/ns\": a wildcard prefix must be a bare domain such as *.example.com"},
        {"[[registry]]\nlocation = \"x.io\"\n[[registry.mirror]]\ninsecure = true\n",
         at + "line 3: [[registry.mirror]] has no location"},
        {"[[registry]]\nlocation = \"x.io\"\n[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"some\"\n",
         at + "line 3: invalid pull-from-mirror \"some\" for mirror m.io: expected \"all\", \"digest-only\" or "
              "\"tag-only\""},
        {"[aliases]\nbusybox = \"docker.io/library/busybox:1\"\n",
         at + "line 2: invalid alias \"busybox\" = \"docker.io/library/busybox:1\": must not contain a tag or digest"},
        {"[aliases]\nbusybox = \"library/busybox\"\n",
         at + "line 2: invalid alias \"busybox\" = \"library/busybox\": must contain a registry and a repository"},
        {"[aliases]\n\"quay.io/app\" = \"quay.io/team/app\"\n",
         at + "line 2: invalid short name \"quay.io/app\": must not contain a registry"},
        {"[[registry]]\nprefix = \"a.x.io\"\nlocation = \"x.io\"\n[[registry]]\nprefix = \"b.x.io\"\nlocation = "
         "\"x.io\"\ninsecure = true\n",
         at + "registry x.io is defined several times with conflicting 'insecure' settings"},
        {"unqualified-search-registries = [\"quay.io\"]\n[registries.search]\nregistries = [\"docker.io\"]\n",
         at + "line 2: mixing the version 1 format ([registries.*]) with version 2 is not supported"},
    };
    for (const auto& c : cases) EXPECT_EQ(error_of([&] { parse(c.text); }), c.message) << c.text;
}

TEST(RegistriesConfParse, DropInsMustUseVersion2) {
    auto message = error_of(
        [] { parse_registries_conf("[registries.search]\nregistries = [\"docker.io\"]\n", "/conf/d/10.conf", true); });
    EXPECT_EQ(message,
              "invalid registries configuration /conf/d/10.conf: line 1: drop-in configurations must use the version "
              "2 format, not [registries.*] tables");
}

// ---- files

class RegistriesConfFiles : public ::testing::Test {
protected:
    TempDir dir{scratch_parent(), "berth-registries-conf-test-"};

    std::string write(const std::string& relative, const std::string& text) {
        std::string path = dir.path() + "/" + relative;
        make_directories(path.substr(0, path.rfind('/')));
        write_file_atomic(path, text);
        return path;
    }
};

TEST_F(RegistriesConfFiles, DropInsApplyInNameOrderAndOverride) {
    std::string main = write("etc/registries.conf", R"(
unqualified-search-registries = ["quay.io"]
[[registry]]
location = "quay.io"
[[registry]]
location = "example.com"
insecure = true
[aliases]
app = "quay.io/team/app"
old = "quay.io/team/old"
)");
    std::string second = write("etc/registries.conf.d/20-second.conf", R"(
unqualified-search-registries = ["docker.io", "example.com"]
[[registry]]
prefix = "quay.io"
location = "mirror.example.com/quay"
[aliases]
app = "example.com/team/app"
)");
    std::string first = write("etc/registries.conf.d/10-first.conf", R"(
short-name-mode = "disabled"
unqualified-search-registries = ["ghcr.io"]
[aliases]
old = ""
)");
    write("etc/registries.conf.d/30-ignored.conf.bak", "this is not TOML");
    write("etc/registries.conf.d/40-directory.conf/x.conf", "neither is this");
    std::string user = write("home/registries.conf.d/50-user.conf", "short-name-mode = \"permissive\"\n");

    auto conf = load_registries_conf(
        {main, false, {dir.path() + "/etc/registries.conf.d", dir.path() + "/home/registries.conf.d"}});
    EXPECT_EQ(conf.files, (std::vector<std::string>{main, first, second, user}));
    EXPECT_EQ(conf.main_file, main);
    EXPECT_EQ(*conf.unqualified_search_registries, (std::vector<std::string>{"docker.io", "example.com"}));
    EXPECT_EQ(conf.search_registries_origin, second);
    EXPECT_EQ(conf.short_name_mode, ShortNameMode::permissive);
    EXPECT_EQ(conf.aliases.at("app").target, "example.com/team/app");
    EXPECT_EQ(conf.aliases.at("app").origin, second);
    EXPECT_EQ(conf.aliases.at("old").target, "");
    ASSERT_EQ(conf.registries.size(), 2u);
    EXPECT_EQ(conf.registries[0].prefix, "example.com");
    EXPECT_EQ(conf.registries[0].origin, main);
    EXPECT_EQ(conf.registries[1].prefix, "quay.io");
    EXPECT_EQ(conf.registries[1].endpoint.location, "mirror.example.com/quay");
    EXPECT_EQ(conf.registries[1].origin, second);

    // The emptied alias no longer applies: the search registries of the last drop-in that set them do.
    EXPECT_EQ(candidate_names(resolve_short_name(conf, "old")),
              (std::vector<std::string>{"docker.io/library/old:latest", "example.com/old:latest"}));
}

TEST_F(RegistriesConfFiles, MissingFilesAreFineUnlessNamedExplicitly) {
    std::string missing = dir.path() + "/nothing/registries.conf";
    auto conf = load_registries_conf({missing, false, {dir.path() + "/nothing/registries.conf.d"}});
    EXPECT_TRUE(conf.files.empty());
    EXPECT_EQ(conf.main_file, missing);
    EXPECT_EQ(error_of([&] {
                  load_registries_conf({missing, true, {}});
              }),
              "reading registries configuration: open " + missing + ": No such file or directory");
}

TEST_F(RegistriesConfFiles, AMalformedDropInIsNamed) {
    std::string main = write("registries.conf", "unqualified-search-registries = [\"quay.io\"]\n");
    std::string broken = write("registries.conf.d/10-broken.conf", "[aliases]\nbusybox = docker.io/busybox\n");
    auto message = error_of([&] { load_registries_conf({main, false, {dir.path() + "/registries.conf.d"}}); });
    EXPECT_TRUE(contains(message, "invalid registries configuration " + broken + ": line 2, column "));
}

TEST_F(RegistriesConfFiles, PathsAreChosenAsPodmanDoes) {
    RegistriesConfEnvironment environment;
    environment.home = dir.path() + "/home";
    environment.system_dir = dir.path() + "/etc";

    auto paths = registries_conf_paths(environment);
    EXPECT_EQ(paths.file, dir.path() + "/etc/registries.conf");
    EXPECT_FALSE(paths.file_required);
    EXPECT_EQ(paths.drop_in_dirs,
              (std::vector<std::string>{dir.path() + "/etc/registries.conf.d",
                                        dir.path() + "/home/.config/containers/registries.conf.d"}));

    std::string user = write("home/.config/containers/registries.conf", "");
    paths = registries_conf_paths(environment);
    EXPECT_EQ(paths.file, user);
    EXPECT_EQ(paths.drop_in_dirs, std::vector<std::string>{user + ".d"});

    environment.override_file = dir.path() + "/chosen.conf";
    paths = registries_conf_paths(environment);
    EXPECT_EQ(paths.file, dir.path() + "/chosen.conf");
    EXPECT_TRUE(paths.file_required);
    EXPECT_TRUE(paths.drop_in_dirs.empty());
}

// ---- prefixes and pull sources

TEST(RegistriesConfMatch, LongestPrefixWinsIncludingPathsAndWildcards) {
    auto conf = parse(R"(
[[registry]]
location = "example.com"
[[registry]]
prefix = "example.com/team"
location = "team.example.com"
[[registry]]
prefix = "example.com/team/app"
location = "app.example.com"
[[registry]]
prefix = "*.example.com"
location = "wild.example.org"
[[registry]]
prefix = "*.deep.example.com"
location = "deep.example.org"
)");
    auto prefix_of = [&](std::string_view name) {
        const RegistryConfig* found = find_registry(conf, name);
        return found ? found->prefix : std::string("none");
    };
    EXPECT_EQ(prefix_of("example.com/x"), "example.com");
    EXPECT_EQ(prefix_of("example.com/team"), "example.com/team");
    EXPECT_EQ(prefix_of("example.com/team/x"), "example.com/team");
    EXPECT_EQ(prefix_of("example.com/teamwork/x"), "example.com");
    EXPECT_EQ(prefix_of("example.com/team/app"), "example.com/team/app");
    EXPECT_EQ(prefix_of("example.com/team/app2"), "example.com/team");
    EXPECT_EQ(prefix_of("example.community/x"), "none");
    EXPECT_EQ(prefix_of("a.example.com/x"), "*.example.com");
    EXPECT_EQ(prefix_of("a.b.example.com:5000/x"), "*.example.com");
    EXPECT_EQ(prefix_of("a.deep.example.com/x"), "*.deep.example.com");
    EXPECT_EQ(prefix_of("a.example.com.evil.org/x"), "none");
    EXPECT_EQ(prefix_of("evil.org/a.example.com/x"), "none");
    EXPECT_EQ(prefix_of("quay.io/x"), "none");
}

TEST(RegistriesConfMatch, PullSourcesAreMirrorsThenTheLocation) {
    auto conf = parse(R"(
[[registry]]
prefix = "example.com/team"
location = "internal.example.com:5000/teams/team"
[[registry.mirror]]
location = "cache-a.example.com"
insecure = true
[[registry.mirror]]
location = "cache-b.example.com/team"

[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "localhost:5000/hub"
insecure = true

[[registry]]
prefix = "*.example.org"
[[registry.mirror]]
location = "cache.example.org"
)");
    EXPECT_EQ(
        source_names(pull_sources(conf, normalized("example.com/team/app:1"))),
        (std::vector<std::string>{"cache-a.example.com/app:1 insecure mirror", "cache-b.example.com/team/app:1 mirror",
                                  "internal.example.com:5000/teams/team/app:1"}));
    EXPECT_EQ(source_names(pull_sources(conf, normalized("busybox"))),
              (std::vector<std::string>{"localhost:5000/hub/library/busybox:latest insecure mirror",
                                        "docker.io/library/busybox:latest"}));
    EXPECT_EQ(source_names(pull_sources(conf, normalized("registry.example.org/app:2"))),
              (std::vector<std::string>{"cache.example.org/app:2 mirror", "registry.example.org/app:2"}));
    EXPECT_EQ(source_names(pull_sources(conf, normalized("quay.io/app"))),
              std::vector<std::string>{"quay.io/app:latest"});
}

TEST(RegistriesConfMatch, MirrorsCanBeLimitedToDigestsOrTags) {
    const std::string digest = "@sha256:" + std::string(64, 'a');
    auto conf = parse(R"(
[[registry]]
location = "digests.example.com"
mirror-by-digest-only = true
[[registry.mirror]]
location = "m.example.com"

[[registry]]
location = "mixed.example.com"
[[registry.mirror]]
location = "d.example.com"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "t.example.com"
pull-from-mirror = "tag-only"
[[registry.mirror]]
location = "a.example.com"
pull-from-mirror = "all"
)");
    EXPECT_EQ(source_names(pull_sources(conf, normalized("digests.example.com/x:1"))),
              std::vector<std::string>{"digests.example.com/x:1"});
    EXPECT_EQ(source_names(pull_sources(conf, normalized("digests.example.com/x" + digest))),
              (std::vector<std::string>{"m.example.com/x" + digest + " mirror", "digests.example.com/x" + digest}));
    EXPECT_EQ(
        source_names(pull_sources(conf, normalized("mixed.example.com/x:1"))),
        (std::vector<std::string>{"t.example.com/x:1 mirror", "a.example.com/x:1 mirror", "mixed.example.com/x:1"}));
    EXPECT_EQ(source_names(pull_sources(conf, normalized("mixed.example.com/x" + digest))),
              (std::vector<std::string>{"d.example.com/x" + digest + " mirror", "a.example.com/x" + digest + " mirror",
                                        "mixed.example.com/x" + digest}));
}

TEST(RegistriesConfMatch, InsecureLocationsArePlainHttp) {
    auto conf = parse("[[registry]]\nlocation = \"localhost:5000\"\ninsecure = true\n");
    EXPECT_EQ(source_names(pull_sources(conf, normalized("localhost:5000/app"))),
              std::vector<std::string>{"localhost:5000/app:latest insecure"});
}

TEST(RegistriesConfMatch, BlockedRegistriesAreAnError) {
    auto conf = parse(R"(
[[registry]]
location = "example.com"
blocked = true
[[registry]]
prefix = "example.com/open"
location = "example.com/open"
)");
    EXPECT_EQ(error_of([&] { pull_sources(conf, normalized("example.com/app")); }),
              "registry example.com is blocked in /conf/registries.conf");
    EXPECT_EQ(source_names(pull_sources(conf, normalized("example.com/open/app"))),
              std::vector<std::string>{"example.com/open/app:latest"});
}

// ---- short names

TEST(RegistriesConfMatch, TheTlsVerifyFlagWinsOverInsecure) {
    auto conf = parse(R"(
[[registry]]
location = "plain.example.com"
insecure = true
[[registry.mirror]]
location = "mirror.example.com"
insecure = true
)");
    auto sources = pull_sources(conf, normalized("plain.example.com/app:1"));
    ASSERT_EQ(sources.size(), 2u);
    PullSource secure = pull_sources(conf, normalized("quay.io/app")).front();
    for (const auto& insecure : sources) {
        EXPECT_FALSE(verify_tls(std::nullopt, insecure));  // unset: registries.conf decides
        EXPECT_TRUE(verify_tls(true, insecure));           // --tls-verify=true wins
        EXPECT_FALSE(verify_tls(false, insecure));
    }
    EXPECT_TRUE(verify_tls(std::nullopt, secure));
    EXPECT_TRUE(verify_tls(true, secure));
    EXPECT_FALSE(verify_tls(false, secure));  // --tls-verify=false: plain HTTP anywhere
}

TEST(ShortNames, AFullyQualifiedNameIsItself) {
    auto conf =
        parse("unqualified-search-registries = [\"quay.io\", \"docker.io\"]\nshort-name-mode = \"enforcing\"\n");
    auto resolution = resolve_short_name(conf, "docker.io/busybox:1");
    EXPECT_EQ(candidate_names(resolution), std::vector<std::string>{"docker.io/library/busybox:1"});
    EXPECT_EQ(resolution.description, "");
    EXPECT_EQ(candidate_names(resolve_short_name(RegistriesConf{}, "localhost/app")),
              std::vector<std::string>{"localhost/app:latest"});
}

TEST(ShortNames, AnAliasWinsAndKeepsTheTagOrDigest) {
    const std::string digest = "sha256:" + std::string(64, 'b');
    auto conf = parse(R"(
unqualified-search-registries = ["quay.io", "docker.io"]
short-name-mode = "enforcing"
[aliases]
busybox = "docker.io/library/busybox"
"team/app" = "example.com/team/app"
)");
    auto resolution = resolve_short_name(conf, "busybox");
    EXPECT_EQ(candidate_names(resolution), std::vector<std::string>{"docker.io/library/busybox:latest"});
    EXPECT_EQ(resolution.description, "Resolved \"busybox\" as an alias (/conf/registries.conf)");
    EXPECT_EQ(candidate_names(resolve_short_name(conf, "busybox:1.36")),
              std::vector<std::string>{"docker.io/library/busybox:1.36"});
    EXPECT_EQ(candidate_names(resolve_short_name(conf, "team/app@" + digest)),
              std::vector<std::string>{"example.com/team/app@" + digest});
}

TEST(ShortNames, SearchRegistriesAreTriedInOrder) {
    auto conf = parse("unqualified-search-registries = [\"quay.io\", \"localhost:5000\", \"docker.io\"]\n");
    auto resolution = resolve_short_name(conf, "busybox:1");
    EXPECT_EQ(candidate_names(resolution), (std::vector<std::string>{"quay.io/busybox:1", "localhost:5000/busybox:1",
                                                                     "docker.io/library/busybox:1"}));
    EXPECT_EQ(resolution.description,
              "Resolving \"busybox\" using unqualified-search registries (/conf/registries.conf)");

    conf.short_name_mode = ShortNameMode::disabled;
    EXPECT_EQ(resolve_short_name(conf, "busybox").candidates.size(), 3u);
}

TEST(ShortNames, EnforcingModeRefusesSeveralCandidatesWithoutATerminal) {
    auto conf =
        parse("unqualified-search-registries = [\"quay.io\", \"docker.io\"]\nshort-name-mode = \"enforcing\"\n");
    EXPECT_EQ(error_of([&] { resolve_short_name(conf, "busybox"); }),
              "short-name \"busybox\" is ambiguous (quay.io/busybox:latest, docker.io/library/busybox:latest): "
              "short-name resolution enforced but cannot prompt without a TTY");
    EXPECT_TRUE(contains(error_of([&] { resolve_short_name(conf, "busybox", true); }),
                         "short-name resolution enforced and berth does not prompt"));

    conf.unqualified_search_registries = std::vector<std::string>{"quay.io"};
    EXPECT_EQ(candidate_names(resolve_short_name(conf, "busybox")), std::vector<std::string>{"quay.io/busybox:latest"});
}

TEST(ShortNames, WithoutAliasOrSearchRegistriesItIsAnError) {
    EXPECT_EQ(error_of([] { resolve_short_name(parse("unqualified-search-registries = []\n"), "busybox"); }),
              "short-name \"busybox\" did not resolve to an alias and no unqualified-search registries are defined in "
              "/conf/registries.conf");
    RegistriesConf none;
    none.main_file = "/etc/containers/registries.conf";
    EXPECT_EQ(error_of([&] { resolve_short_name(none, "busybox:1"); }),
              "short-name \"busybox:1\" did not resolve to an alias and no unqualified-search registries are defined "
              "in /etc/containers/registries.conf (which does not exist)");
}

TEST(ShortNames, MalformedReferencesAreRefusedFirst) {
    EXPECT_TRUE(contains(error_of([] { resolve_short_name(RegistriesConf{}, "Busybox"); }),
                         "repository name must be lowercase"));
}

}  // namespace
}  // namespace berth::registry
