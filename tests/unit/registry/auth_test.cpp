#include "registry/auth.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::registry {
namespace {

// The message of the Error that f throws, or "no error".
using testing_support::error_of;

using Parameters = std::map<std::string, std::string>;

TEST(ParseWwwAuthenticate, BearerAsDockerHubSendsIt) {
    auto challenges =
        parse_www_authenticate(R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
                               R"(scope="repository:library/busybox:pull")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].scheme, "bearer");
    EXPECT_EQ(challenges[0].parameters, (Parameters{{"realm", "https://auth.docker.io/token"},
                                                    {"service", "registry.docker.io"},
                                                    {"scope", "repository:library/busybox:pull"}}));
    EXPECT_EQ(challenges[0].token68, "");
}

TEST(ParseWwwAuthenticate, Basic) {
    auto challenges = parse_www_authenticate(R"(Basic realm="Registry Realm")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].scheme, "basic");
    EXPECT_EQ(challenges[0].parameters, (Parameters{{"realm", "Registry Realm"}}));
}

TEST(ParseWwwAuthenticate, SchemeAlone) {
    auto challenges = parse_www_authenticate("Basic");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].scheme, "basic");
    EXPECT_TRUE(challenges[0].parameters.empty());
}

TEST(ParseWwwAuthenticate, NamesAreCaseInsensitive) {
    auto challenges = parse_www_authenticate(R"(BEARER Realm="https://a/token",SERVICE="Svc")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].scheme, "bearer");
    EXPECT_EQ(challenges[0].parameters, (Parameters{{"realm", "https://a/token"}, {"service", "Svc"}}));
    EXPECT_EQ(challenges[0].parameter("REALM"), "https://a/token");
    EXPECT_EQ(challenges[0].parameter("scope"), "");
}

TEST(ParseWwwAuthenticate, OddSpacing) {
    auto challenges =
        parse_www_authenticate("  Bearer   realm = \"https://a/token\" ,service=\"s\" ,\t scope =\t\"x:y:pull\"   ");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].scheme, "bearer");
    EXPECT_EQ(challenges[0].parameters,
              (Parameters{{"realm", "https://a/token"}, {"service", "s"}, {"scope", "x:y:pull"}}));
}

TEST(ParseWwwAuthenticate, EmptyListElements) {
    auto challenges = parse_www_authenticate(R"(, Bearer ,, realm="r",,service="s",)");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].parameters, (Parameters{{"realm", "r"}, {"service", "s"}}));
}

TEST(ParseWwwAuthenticate, QuotedStringEscapes) {
    auto challenges = parse_www_authenticate(R"(Basic realm="a \"quoted\" \\ realm, with comma", charset="UTF-8")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].parameters,
              (Parameters{{"realm", R"(a "quoted" \ realm, with comma)"}, {"charset", "UTF-8"}}));
}

TEST(ParseWwwAuthenticate, EmptyQuotedValue) {
    auto challenges = parse_www_authenticate(R"(Bearer realm="",service="s")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].parameters, (Parameters{{"realm", ""}, {"service", "s"}}));
}

TEST(ParseWwwAuthenticate, UnquotedValues) {
    auto challenges = parse_www_authenticate("Bearer realm=https://auth.example/token?x=1,service=registry.example");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].parameters,
              (Parameters{{"realm", "https://auth.example/token?x=1"}, {"service", "registry.example"}}));
}

TEST(ParseWwwAuthenticate, ErrorParameter) {
    auto challenges = parse_www_authenticate(
        R"(Bearer realm="https://a/token",service="s",scope="repository:x:pull",error="insufficient_scope")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].parameter("error"), "insufficient_scope");
    EXPECT_EQ(challenges[0].parameter("scope"), "repository:x:pull");
}

TEST(ParseWwwAuthenticate, SeveralChallenges) {
    auto challenges = parse_www_authenticate(R"(Basic realm="b", Bearer realm="https://t", service="s")");
    ASSERT_EQ(challenges.size(), 2u);
    EXPECT_EQ(challenges[0].scheme, "basic");
    EXPECT_EQ(challenges[0].parameters, (Parameters{{"realm", "b"}}));
    EXPECT_EQ(challenges[1].scheme, "bearer");
    EXPECT_EQ(challenges[1].parameters, (Parameters{{"realm", "https://t"}, {"service", "s"}}));
}

TEST(ParseWwwAuthenticate, SeveralChallengesWithoutParameters) {
    auto challenges = parse_www_authenticate("Negotiate, Basic realm=\"x\"");
    ASSERT_EQ(challenges.size(), 2u);
    EXPECT_EQ(challenges[0].scheme, "negotiate");
    EXPECT_TRUE(challenges[0].parameters.empty());
    EXPECT_EQ(challenges[1].scheme, "basic");
}

TEST(ParseWwwAuthenticate, Token68) {
    auto challenges = parse_www_authenticate(R"(Negotiate YIIabc+/==, Basic realm="x")");
    ASSERT_EQ(challenges.size(), 2u);
    EXPECT_EQ(challenges[0].scheme, "negotiate");
    EXPECT_EQ(challenges[0].token68, "YIIabc+/==");
    EXPECT_TRUE(challenges[0].parameters.empty());
    EXPECT_EQ(challenges[1].parameters, (Parameters{{"realm", "x"}}));
}

TEST(ParseWwwAuthenticate, RepeatedParameterKeepsTheLast) {
    auto challenges = parse_www_authenticate(R"(Bearer realm="a", realm="b")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].parameter("realm"), "b");
}

TEST(ParseWwwAuthenticate, EmptyValueHasNoChallenges) {
    EXPECT_TRUE(parse_www_authenticate("").empty());
    EXPECT_TRUE(parse_www_authenticate(" , ,").empty());
}

TEST(ParseWwwAuthenticate, Errors) {
    EXPECT_EQ(error_of([] { parse_www_authenticate(R"(Bearer realm="https://a)"); }),
              R"(invalid WWW-Authenticate header: unterminated quoted string: "Bearer realm="https://a")");
    EXPECT_EQ(error_of([] { parse_www_authenticate(R"(Bearer realm="a\)"); }),
              R"(invalid WWW-Authenticate header: unterminated quoted string: "Bearer realm="a\")");
    EXPECT_EQ(error_of([] { parse_www_authenticate(R"(realm="a")"); }),
              R"(invalid WWW-Authenticate header: parameter "realm" before an authentication scheme: "realm="a"")");
    EXPECT_EQ(error_of([] { parse_www_authenticate(R"(Bearer realm="a"x)"); }),
              R"(invalid WWW-Authenticate header: expected ',' after parameter "realm": "Bearer realm="a"x")");
    EXPECT_EQ(error_of([] { parse_www_authenticate(R"("Bearer")"); }),
              R"(invalid WWW-Authenticate header: unexpected character '"': ""Bearer"")");
    EXPECT_EQ(error_of([] { parse_www_authenticate(R"(Bearer realm=a"b")"); }),
              R"(invalid WWW-Authenticate header: unexpected '"' in a bare parameter value: "Bearer realm=a"b"")");
    EXPECT_EQ(error_of([] { parse_www_authenticate(R"(Bearer realm="a", x==y)"); }),
              R"(invalid WWW-Authenticate header: unexpected '=' in parameter "x": "Bearer realm="a", x==y")");
}

TEST(ChooseChallenge, PrefersBearerOverBasic) {
    auto chosen = choose_challenge(parse_www_authenticate(R"(Basic realm="b", Bearer realm="https://t")"));
    ASSERT_TRUE(chosen);
    EXPECT_EQ(chosen->scheme, "bearer");
    chosen = choose_challenge(parse_www_authenticate(R"(Negotiate, Basic realm="b")"));
    ASSERT_TRUE(chosen);
    EXPECT_EQ(chosen->scheme, "basic");
    EXPECT_FALSE(choose_challenge(parse_www_authenticate("Negotiate")));
    EXPECT_FALSE(choose_challenge({}));
}

TEST(Base64, Rfc4648Vectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(BasicAuthorization, EncodesUserAndPassword) {
    EXPECT_EQ(basic_authorization({"user", "pass"}), "Basic dXNlcjpwYXNz");
    EXPECT_EQ(basic_authorization({"a", "p:w"}), "Basic YTpwOnc=");
}

Challenge bearer(Parameters parameters) { return Challenge{"bearer", std::move(parameters), {}}; }

TEST(TokenUrl, ServiceAndChallengeScope) {
    EXPECT_EQ(token_url(bearer({{"realm", "https://auth.docker.io/token"},
                                {"service", "registry.docker.io"},
                                {"scope", "repository:library/busybox:pull"}}),
                        "repository:other:pull", std::nullopt),
              "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fbusybox%3Apull");
}

TEST(TokenUrl, DefaultScopeWhenTheChallengeHasNone) {
    EXPECT_EQ(
        token_url(bearer({{"realm", "http://127.0.0.1:5000/token"}}), pull_scope("library/busybox"), std::nullopt),
        "http://127.0.0.1:5000/token?scope=repository%3Alibrary%2Fbusybox%3Apull");
}

TEST(TokenUrl, SeveralScopesRealmQueryAndAccount) {
    EXPECT_EQ(token_url(bearer({{"realm", "https://a/token?x=1"}, {"scope", "repository:a:pull  repository:b:pull"}}),
                        "unused", Credentials{"me@example.com", "secret"}),
              "https://a/token?x=1&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull&account=me%40example.com");
}

TEST(TokenUrl, BadRealms) {
    EXPECT_EQ(error_of([] {
                  token_url(bearer({{"service", "s"}}), "scope", std::nullopt);
              }),
              "invalid Bearer challenge: no realm");
    EXPECT_EQ(error_of([] {
                  token_url(bearer({{"realm", "ftp://a/token"}}), "scope", std::nullopt);
              }),
              R"(invalid Bearer challenge: realm "ftp://a/token" is not an http or https URL)");
}

TEST(ParseTokenReply, TokenOrAccessToken) {
    EXPECT_EQ(parse_token_reply(R"({"token":"abc","expires_in":300})", "https://a"), "abc");
    EXPECT_EQ(parse_token_reply(R"({"access_token":"def"})", "https://a"), "def");
    EXPECT_EQ(parse_token_reply(R"({"token":"abc","access_token":"def"})", "https://a"), "abc");
    EXPECT_EQ(parse_token_reply(R"({"token":"","access_token":"def"})", "https://a"), "def");
    EXPECT_EQ(error_of([] { parse_token_reply(R"({"expires_in":300})", "https://a"); }),
              "getting a token from https://a: the reply holds no token");
    EXPECT_EQ(error_of([] { parse_token_reply("<html>", "https://a"); }),
              "getting a token from https://a: the reply is not a JSON object");
}

TEST(RegistryErrorText, RegistryAndTokenServerReplies) {
    EXPECT_EQ(registry_error_text(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown",)"
                                  R"("detail":{"Tag":"x"}}]})"),
              "manifest unknown");
    EXPECT_EQ(registry_error_text(R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})"),
              "unauthorized: authentication required");
    EXPECT_EQ(registry_error_text(
                  R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})"),
              "name unknown: repository name not known to registry");
    EXPECT_EQ(registry_error_text(R"({"errors":[{"code":"DENIED"},{"message":"second"}]})"), "denied; second");
    EXPECT_EQ(registry_error_text(R"({"details":"incorrect username or password"})"), "incorrect username or password");
    EXPECT_EQ(registry_error_text(R"({"error":"invalid_grant","error_description":"bad password"})"),
              "invalid_grant: bad password");
    EXPECT_EQ(registry_error_text("not json"), "");
    EXPECT_EQ(registry_error_text(""), "");
    EXPECT_EQ(registry_error_text("[1,2]"), "");
}

TEST(FetchBearerToken, AsksTheRealmWithBasicCredentials) {
    std::string asked_url;
    std::string asked_authorization;
    auto get = [&](const std::string& url, const std::string& authorization) {
        asked_url = url;
        asked_authorization = authorization;
        return TokenReply{200, R"({"token":"t0k"})"};
    };
    Challenge challenge = bearer({{"realm", "https://auth/token"}, {"service", "reg"}});
    EXPECT_EQ(fetch_bearer_token(challenge, pull_scope("a/b"), Credentials{"user", "pass"}, get), "t0k");
    EXPECT_EQ(asked_url, "https://auth/token?service=reg&scope=repository%3Aa%2Fb%3Apull&account=user");
    EXPECT_EQ(asked_authorization, "Basic dXNlcjpwYXNz");

    EXPECT_EQ(fetch_bearer_token(challenge, pull_scope("a/b"), std::nullopt, get), "t0k");
    EXPECT_EQ(asked_url, "https://auth/token?service=reg&scope=repository%3Aa%2Fb%3Apull");
    EXPECT_EQ(asked_authorization, "");
}

TEST(FetchBearerToken, Failures) {
    Challenge challenge = bearer({{"realm", "https://auth/token"}});
    auto rejected = [](const std::string&, const std::string&) {
        return TokenReply{401, R"({"details":"incorrect username or password"})"};
    };
    EXPECT_EQ(error_of([&] {
                  fetch_bearer_token(challenge, "s", Credentials{"u", "p"}, rejected);
              }),
              "getting a token from https://auth/token: invalid username/password: incorrect username or password");
    auto denied = [](const std::string&, const std::string&) { return TokenReply{401, ""}; };
    EXPECT_EQ(error_of([&] { fetch_bearer_token(challenge, "s", std::nullopt, denied); }),
              "getting a token from https://auth/token: authentication required");
    auto broken = [](const std::string&, const std::string&) { return TokenReply{502, "bad gateway"}; };
    EXPECT_EQ(error_of([&] { fetch_bearer_token(challenge, "s", std::nullopt, broken); }),
              "getting a token from https://auth/token: received unexpected HTTP status: 502");
    auto unreachable = [](const std::string& url, const std::string&) -> TokenReply {
        throw Error("GET " + url + ": Couldn't connect to server");
    };
    EXPECT_EQ(error_of([&] { fetch_bearer_token(challenge, "s", std::nullopt, unreachable); }),
              "getting a token from https://auth/token: GET https://auth/token?scope=s: Couldn't connect to server");
}

}  // namespace
}  // namespace berth::registry
