#include "rootless/id_map_helpers.hpp"

#include <sys/capability.h>
#include <sys/stat.h>

#include "common/error.hpp"
#include "common/files.hpp"

namespace berth::rootless {
namespace {

bool has_file_capability(const std::string& path, cap_value_t capability) {
    cap_t caps = ::cap_get_file(path.c_str());
    if (caps == nullptr) return false;
    cap_flag_value_t permitted = CAP_CLEAR;
    bool ok = ::cap_get_flag(caps, capability, CAP_PERMITTED, &permitted) == 0 && permitted == CAP_SET;
    ::cap_free(caps);
    return ok;
}

}  // namespace

IdMapHelper check_id_map_helper(std::string_view name) {
    IdMapHelper helper;
    helper.name = std::string(name);
    helper.path = find_in_path(name);
    if (!helper.path) {
        helper.problem = helper.name + " not found in $PATH: install the uidmap package";
        return helper;
    }
    struct stat st {};
    if (::stat(helper.path->c_str(), &st) != 0) {
        helper.problem = "stat " + *helper.path + ": " + errno_text(errno);
        return helper;
    }
    const cap_value_t needed = name == "newgidmap" ? CAP_SETGID : CAP_SETUID;
    const bool setuid_root = st.st_uid == 0 && (st.st_mode & S_ISUID) != 0;
    if (setuid_root || (st.st_uid == 0 && has_file_capability(*helper.path, needed))) {
        helper.usable = true;
        return helper;
    }
    const char* capability = needed == CAP_SETGID ? "cap_setgid" : "cap_setuid";
    helper.problem = *helper.path + " is neither setuid root nor has " + capability + "; fix it with: chmod u+s " +
                     *helper.path + " (or setcap " + capability + "+ep " + *helper.path + ")";
    return helper;
}

}  // namespace berth::rootless
