#include "cli/cidfile.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"

namespace berth::cli {

void check_cidfile_free(const std::string& path) {
    if (path_exists(path))
        throw Error("container id file exists. Ensure another container is not using it or delete " + path);
}

void write_cidfile(const std::string& path, const std::string& id) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) {
        if (errno == EEXIST) check_cidfile_free(path);
        throw_last_errno("opening cidfile " + path);
    }
    if (::write(fd.get(), id.data(), id.size()) != static_cast<ssize_t>(id.size()))
        throw_last_errno("writing cidfile " + path);
}

}  // namespace berth::cli
