#include "storage/archive_library.hpp"

#include "common/shared_library.hpp"

namespace berth::storage {
namespace {

ArchiveLibrary load() {
    SharedLibrary library("libarchive.so.13", "libarchive13");
    ArchiveLibrary table{};
#define BERTH_RESOLVE_ARCHIVE_FUNCTION(name) library.resolve(#name, table.name);
    BERTH_ARCHIVE_FUNCTIONS(BERTH_RESOLVE_ARCHIVE_FUNCTION)
#undef BERTH_RESOLVE_ARCHIVE_FUNCTION
    return table;
}

}  // namespace

const ArchiveLibrary& libarchive() { return load_once(load); }

}  // namespace berth::storage
