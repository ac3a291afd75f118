#include "cli/registry_credentials.hpp"

#include <unistd.h>

#include <memory>
#include <vector>

#include "common/error.hpp"
#include "registry/auth_file.hpp"

namespace berth::cli {

std::optional<registry::Credentials> parse_creds(const std::string& text) {
    if (text.empty()) return std::nullopt;
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        throw Error("invalid --creds \"" + text + "\": expected user:password");
    return registry::Credentials{text.substr(0, colon), text.substr(colon + 1)};
}

CredentialLookup stored_credentials(const std::string& authfile) {
    auto env = registry::AuthEnvironment::from_process();
    auto files = registry::auth_files_for_reading(env, authfile);
    if (registry::auth_file_is_given(env, authfile) && ::access(files.front().c_str(), F_OK) != 0)
        throw_last_errno("credential file is not accessible: " + files.front());
    auto loaded = std::make_shared<std::vector<registry::AuthFile>>();
    for (const auto& file : files) loaded->push_back(registry::AuthFile::load(file));  // a malformed one fails now
    return [loaded](const registry::Reference& place) -> std::optional<registry::Credentials> {
        for (const auto& file : *loaded)
            if (auto found = file.find(place.name())) return found;
        return std::nullopt;
    };
}

}  // namespace berth::cli
