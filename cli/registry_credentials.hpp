// Credentials for the commands that talk to registries: --creds, and those `berth login` stored.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "registry/auth.hpp"
#include "registry/reference.hpp"

namespace berth::cli {

// --creds USER:PASSWORD; nothing for an empty text. Throws Error for a text without a user.
std::optional<registry::Credentials> parse_creds(const std::string& text);

// Looks up the credentials stored for a place (registry, mirror, repository) in the auth files (--authfile, else the
// default ones). The files are read now, before the storage is opened: that may enter a user namespace, where the uid
// that picks the default auth file is 0. Throws Error for an --authfile that is not accessible or a malformed file.
using CredentialLookup = std::function<std::optional<registry::Credentials>(const registry::Reference&)>;
CredentialLookup stored_credentials(const std::string& authfile);

}  // namespace berth::cli
