// Image references as users type them: [domain/]path[:tag][@digest].
//
// The grammar is that of github.com/distribution/reference:
//   reference  := name [":" tag] ["@" digest]
//   name       := [domain "/"] path                  at most 255 characters in all
//   domain     := host [":" port]
//   host       := domain-name | "[" IPv6 address "]"
//   domain-name:= component ("." component)*          component: [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//   port       := [0-9]+
//   path       := path-component ("/" path-component)*
//   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator: "." | "_" | "__" | "-"+
//   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//   digest     := algorithm ":" hex                     sha256: 64, sha384: 96, sha512: 128 lowercase hex digits
//
// As in Docker and Podman, the first path component is taken as the domain only when it looks like one: it contains
// '.' or ':', is "localhost", or has an uppercase letter. "library/busybox" therefore has no domain.
#pragma once

#include <string>
#include <string_view>

namespace berth::registry {

// A parsed image reference. Every field is exactly as the user wrote it; normalize_reference fills in defaults.
struct Reference {
    std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"; empty if the input had none
    std::string path;    // "library/busybox"
    std::string tag;     // empty if none
    std::string digest;  // "sha256:..." or empty

    // domain + "/" + path, or path alone when there is no domain.
    std::string name() const;
    // name[:tag][@digest]
    std::string to_string() const;

    friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses exactly what the user typed, without adding defaults.
// Throws berth::Error("invalid reference format: <what is wrong>: \"<text>\"") when the text breaks the grammar,
// e.g. "repository name must be lowercase", "invalid tag", "invalid digest", "repository name too long",
// "empty reference".
Reference parse_reference(std::string_view text);

// Fills in what Docker and Podman assume for a fully-qualified name: no domain becomes "docker.io",
// "index.docker.io" becomes "docker.io", a single path component on docker.io gets a "library/" prefix, and a
// reference with neither tag nor digest gets the tag "latest".
// Throws berth::Error when the result cannot name a repository: a bare 64-hex-digit path (an image id, not a name)
// or a name that grows past 255 characters.
Reference normalize_reference(Reference reference);

// True when the user's text names a registry explicitly (so short-name resolution is not needed): its first
// component is a valid domain that contains '.' or ':', is "localhost", or has an uppercase letter.
// Never throws; the rest of the text is not checked.
bool has_explicit_domain(std::string_view text);

// Whether text is a full or shortened image id as Podman accepts for local images: 3 to 64 lowercase hex digits,
// or "sha256:" followed by all 64. Short hex words such as "cafe" are valid names too, so callers that find no
// image with such an id should still try the text as a name.
bool looks_like_image_id(std::string_view text);

}  // namespace berth::registry
