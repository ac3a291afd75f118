#include "cli/storage_context.hpp"

#include <unistd.h>

#include "common/files.hpp"
#include "rootless/user_namespace.hpp"
#include "storage/storage_paths.hpp"

namespace berth::cli {

StorageContext open_storage(const GlobalOptions& globals, bool will_write) {
    auto paths = storage::default_storage_paths(storage::PathEnvironment::from_process(), globals.root_override(),
                                                globals.runroot_override());
    StorageContext context{paths.graph_root, paths.run_root, ::geteuid() != 0};
    make_directories(context.graph_root, 0700);
    if (will_write && context.rootless) rootless::enter_user_namespace(rootless::current_user_ids());
    return context;
}

}  // namespace berth::cli
