// libarchive, loaded when a layer is first unpacked (or an archive read or written): linking it would make every berth
// command load it and the libraries it needs at start-up, though most commands never unpack anything.
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace berth::storage {

// The libarchive functions berth uses.
#define BERTH_ARCHIVE_FUNCTIONS(X)             \
    X(archive_entry_atime)                     \
    X(archive_entry_atime_is_set)              \
    X(archive_entry_atime_nsec)                \
    X(archive_entry_copy_stat)                 \
    X(archive_entry_filetype)                  \
    X(archive_entry_free)                      \
    X(archive_entry_gid)                       \
    X(archive_entry_hardlink)                  \
    X(archive_entry_hardlink_utf8)             \
    X(archive_entry_mtime)                     \
    X(archive_entry_mtime_is_set)              \
    X(archive_entry_mtime_nsec)                \
    X(archive_entry_new)                       \
    X(archive_entry_pathname)                  \
    X(archive_entry_pathname_utf8)             \
    X(archive_entry_perm)                      \
    X(archive_entry_rdevmajor)                 \
    X(archive_entry_rdevminor)                 \
    X(archive_entry_set_filetype)              \
    X(archive_entry_set_hardlink)              \
    X(archive_entry_set_mtime)                 \
    X(archive_entry_set_pathname)              \
    X(archive_entry_set_perm)                  \
    X(archive_entry_set_size)                  \
    X(archive_entry_set_symlink)               \
    X(archive_entry_size)                      \
    X(archive_entry_size_is_set)               \
    X(archive_entry_symlink)                   \
    X(archive_entry_symlink_utf8)              \
    X(archive_entry_uid)                       \
    X(archive_entry_unset_atime)               \
    X(archive_entry_unset_birthtime)           \
    X(archive_entry_unset_ctime)               \
    X(archive_entry_xattr_add_entry)           \
    X(archive_entry_xattr_count)               \
    X(archive_entry_xattr_next)                \
    X(archive_entry_xattr_reset)               \
    X(archive_errno)                           \
    X(archive_error_string)                    \
    X(archive_read_data)                       \
    X(archive_read_data_block)                 \
    X(archive_read_free)                       \
    X(archive_read_new)                        \
    X(archive_read_next_header)                \
    X(archive_read_open)                       \
    X(archive_read_open_fd)                    \
    X(archive_read_support_filter_bzip2)       \
    X(archive_read_support_filter_gzip)        \
    X(archive_read_support_filter_none)        \
    X(archive_read_support_filter_xz)          \
    X(archive_read_support_filter_zstd)        \
    X(archive_read_support_format_empty)       \
    X(archive_read_support_format_raw)         \
    X(archive_read_support_format_tar)         \
    X(archive_set_error)                       \
    X(archive_write_add_filter_gzip)           \
    X(archive_write_add_filter_none)           \
    X(archive_write_close)                     \
    X(archive_write_data)                      \
    X(archive_write_free)                      \
    X(archive_write_header)                    \
    X(archive_write_new)                       \
    X(archive_write_open)                      \
    X(archive_write_open_fd)                   \
    X(archive_write_set_bytes_in_last_block)   \
    X(archive_write_set_format_pax_restricted) \
    X(archive_write_set_format_raw)

struct ArchiveLibrary {
#define BERTH_DECLARE_ARCHIVE_FUNCTION(name) decltype(&::name) name;
    BERTH_ARCHIVE_FUNCTIONS(BERTH_DECLARE_ARCHIVE_FUNCTION)
#undef BERTH_DECLARE_ARCHIVE_FUNCTION
};

// The library, loaded once per process; throws Error naming it and the package to install when it cannot be.
const ArchiveLibrary& libarchive();

}  // namespace berth::storage
