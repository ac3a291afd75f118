#include "volumes/volume_name.hpp"

#include "common/error.hpp"
#include "storage/container_store.hpp"

namespace berth::volumes {
namespace {

// A directory entry holds at most 255 bytes; Podman has no limit of its own.
constexpr std::size_t longest_name = 255;

bool is_alphanumeric(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

bool valid_volume_name(std::string_view name) {
    if (name.empty() || name.size() > longest_name || !is_alphanumeric(name.front())) return false;
    for (char c : name)
        if (!is_alphanumeric(c) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

void check_volume_name(std::string_view name) {
    if (!valid_volume_name(name))
        throw Error("running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
}

std::string new_anonymous_volume_name() { return storage::new_container_id(); }

bool names_a_volume(std::string_view source) {
    return !source.empty() && source.front() != '/' && source.front() != '.';
}

}  // namespace berth::volumes
