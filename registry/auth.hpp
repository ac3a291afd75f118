// Registry authentication: WWW-Authenticate challenges, Basic credentials and Bearer tokens
// (https://distribution.github.io/distribution/spec/auth/token/).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

struct Credentials {
    std::string username;
    std::string password;
};

// One challenge of a WWW-Authenticate header: `Bearer realm="https://auth.example/token",service="registry"`.
struct Challenge {
    std::string scheme;                             // lowercase: "basic", "bearer", ...
    std::map<std::string, std::string> parameters;  // lowercase names, unquoted and unescaped values
    std::string token68;                            // `Negotiate abc==` style credentials, rarely used

    // The value of a parameter, or an empty string when the challenge has none of that name.
    std::string parameter(std::string_view name) const;
};

// Parses a WWW-Authenticate value (RFC 9110 section 11.6.1): one or more challenges, each a scheme followed by
// comma-separated name=value parameters whose values are tokens or quoted strings with backslash escapes.
// Scheme and parameter names are case-insensitive and come back lowercase. Spaces around '=' and ',' and empty
// list elements are accepted, and so are unquoted values holding characters such as '/' and ':' (some registries
// send realm=https://...). Throws Error("invalid WWW-Authenticate header: <why>: \"<value>\"") on anything else,
// such as an unterminated quoted string or a parameter without a scheme.
std::vector<Challenge> parse_www_authenticate(std::string_view value);

// The challenge berth answers among those of all WWW-Authenticate headers of a reply: Bearer before Basic.
// Nothing when there is neither.
std::optional<Challenge> choose_challenge(const std::vector<Challenge>& challenges);

// The Authorization header value for Basic credentials: "Basic <base64(username:password)>".
std::string basic_authorization(const Credentials& credentials);

// Base64 (RFC 4648, with padding) of the bytes.
std::string base64_encode(std::string_view bytes);

// The scope that grants pulling from a repository: "repository:<repository>:pull".
std::string pull_scope(std::string_view repository);

// The scope that grants pushing to a repository (and pulling from it): "repository:<repository>:pull,push".
std::string push_scope(std::string_view repository);

// The URL to ask a Bearer challenge's realm for a token: realm?service=...&scope=...[&account=...].
// The scope is the challenge's own when it has one (several scopes separated by spaces become several scope
// parameters), else default_scope. Throws Error when the challenge has no realm or the realm is not an http(s) URL.
std::string token_url(const Challenge& challenge, std::string_view default_scope,
                      const std::optional<Credentials>& credentials);

// The token of a token server's JSON reply: its "token", or else its "access_token".
// Throws Error("getting a token from <realm>: <why>") when the reply is not JSON or holds no token.
std::string parse_token_reply(std::string_view body, std::string_view realm);

// A short text for a registry's JSON error reply ({"errors":[{"code":"MANIFEST_UNKNOWN","message":...}]}) or a
// token server's ({"details":...} or {"error":...,"error_description":...}), as Podman shows them:
// "manifest unknown", "unauthorized: authentication required", "name unknown: repository name not known to
// registry". An empty string when the body holds none of these.
std::string registry_error_text(std::string_view body);

// What a token server answered: its HTTP status and body.
struct TokenReply {
    long status = 0;
    std::string body;
};

// Does a GET of url with the given Authorization header value (empty for none) and returns the reply; transport
// failures throw.
using TokenGetter = std::function<TokenReply(const std::string& url, const std::string& authorization)>;

// Answers a Bearer challenge: asks its realm for a token (see token_url), sending the credentials as Basic
// authorization when there are any, and returns the token. Throws Error("getting a token from <realm>: <why>"),
// with "invalid username/password: ..." when the server rejects given credentials.
std::string fetch_bearer_token(const Challenge& challenge, std::string_view default_scope,
                               const std::optional<Credentials>& credentials, const TokenGetter& get);

}  // namespace berth::registry
