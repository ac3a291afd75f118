// Small file helpers: whole-file reads, atomic writes, directory creation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// Reads a whole file; throws Error naming the path when it cannot.
std::string read_file(const std::string& path);

// Reads a whole file, or nothing when it does not exist (other failures throw).
std::optional<std::string> read_file_if_exists(const std::string& path);

// How a write survives a crash of the machine: `durable` fsyncs the file and its directory, so that after a power
// loss the new content is there; `atomic` only renames, so that a reader sees the old or the new content whole,
// and after a power loss the file may be empty or old (for records that are rebuilt or checked anyway).
enum class Durability { durable, atomic };

// Writes a file atomically: a temporary file beside it, fsync (when durable), rename, fsync of the directory.
void write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0644,
                       Durability durability = Durability::durable);

// Creates a directory and its parents (like mkdir -p) with the given mode for new ones.
void make_directories(const std::string& path, unsigned mode = 0755);

// The sorted names in a directory (without "." and ".."); nothing when it does not exist.
std::vector<std::string> list_directory(const std::string& path);

// Whether a path exists (without following a final symlink).
bool path_exists(const std::string& path);

// Whether an executable regular file with this name is found in $PATH (or is this path).
std::optional<std::string> find_in_path(std::string_view name);

}  // namespace berth

namespace berth {

// Removes a file or a directory tree without following symlinks (like rm -rf); a missing path is fine.
// Directories without write or search permission for the owner are opened up first.
void remove_tree(const std::string& path);

// The same for the entry `name` of the directory `dir_fd`; `path` names it in errors. Nothing above `dir_fd` is
// looked up, so a symlink among the parents cannot lead the removal elsewhere.
void remove_tree_at(int dir_fd, const std::string& name, const std::string& path);

// Reads the whole regular file `name` under the directory `dir_fd` into `content` (whose memory is reused), or
// returns false when it does not exist; `path` names it in errors. A short read is taken as the end, which holds
// for regular files: small ones take one read.
bool read_regular_file_at(int dir_fd, const std::string& name, const std::string& path, std::string& content);

// The sorted names in the directory `dir_fd` (without "." and ".."); `path` names it in errors.
std::vector<std::string> list_directory_at(int dir_fd, const std::string& path);

// A fresh directory "<parent>/<prefix>XXXXXX", removed with its content when the object goes away.
class TempDir {
public:
    TempDir(const std::string& parent, const std::string& prefix);
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace berth
