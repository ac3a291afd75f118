// berth pull.
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/output/pull_progress.hpp"
#include "cli/pull_command.hpp"
#include "cli/registry_credentials.hpp"
#include "cli/registry_options.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "engine/image_manifest.hpp"
#include "engine/image_pull.hpp"
#include "registry/reference.hpp"

namespace berth::cli {
namespace {

struct PullOptions {
    std::vector<std::string> references;
    std::string platform;
    std::string tls_verify;  // empty: not given, registries.conf decides
    std::string creds;
    std::string authfile;
    bool quiet = false;
};

// Pulls one reference into opened storage, with progress on stderr unless quiet; returns the image id.
std::string pull_one(engine::PullRequest request, const std::string& reference, bool quiet) {
    request.reference = reference;
    std::optional<PullProgress> display;
    if (!quiet) {
        display.emplace(stderr);
        request.report = [&](const std::string& line) { display->line(line); };
        if (display->live()) request.progress = [&](const engine::LayerProgress& layer) { display->layer(layer); };
    }
    std::string id;
    try {
        id = engine::pull_image(request);
    } catch (const Error& error) {
        if (display) display->finish();
        throw Error("pull " + reference + ": " + error.what(), error.exit_status());
    }
    if (display) display->finish();
    return id;
}

int run_pull(const PullOptions& options, const GlobalOptions& globals) {
    engine::PullRequest request;
    if (!options.platform.empty()) request.platform = engine::parse_platform(options.platform);
    request.tls_verify = parse_optional_bool_flag("tls-verify", options.tls_verify);
    request.credentials = parse_creds(options.creds);
    if (!request.credentials) request.stored_credentials = stored_credentials(options.authfile);
    auto storage = open_storage(globals, true);
    request.graph_root = storage.graph_root;
    request.rootless = storage.rootless;
    // SIGINT and SIGTERM stop the pull where it is; what it wrote so far is removed on the way out.
    install_interrupt_handlers();
    for (const auto& reference : options.references) {
        std::string id = pull_one(request, reference, options.quiet);
        std::printf("%s\n", id.substr(7).c_str());
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace

std::string pull_for_container(const StorageContext& storage, const ContainerPull& pull) {
    engine::PullRequest request;
    request.stored_credentials = stored_credentials(pull.authfile);
    request.tls_verify = pull.tls_verify;
    request.graph_root = storage.graph_root;
    request.rootless = storage.rootless;
    return run_with_storage_ids(storage, [&] { return pull_one(request, pull.reference, pull.quiet); });
}

void add_pull_command(CommandTree& tree, const GlobalOptions& globals) {
    auto options = std::make_shared<PullOptions>();
    CommandHelp help{"[options] IMAGE [IMAGE...]",
                     "Pull images from a registry into local storage. Layers are fetched in parallel,\n"
                     "checked against their digests while they stream, and unpacked as they arrive; an\n"
                     "image is listed only once all of it is stored.\n"
                     "\n"
                     "A short name (busybox) is resolved as Podman does, through the aliases and the\n"
                     "unqualified-search-registries of registries.conf ($CONTAINERS_REGISTRIES_CONF, else\n"
                     "~/.config/containers/registries.conf, else /etc/containers/registries.conf, with their\n"
                     "registries.conf.d drop-ins); [[registry]] entries give mirrors and insecure registries.\n"
                     "\n"
                     "Credentials are those of --creds, else those that berth login stored for each registry,\n"
                     "mirror or repository the pull tries (see berth-login(1) for the files searched).\n"
                     "\n"
                     "A transfer (manifest or blob) that brings no data for 60 seconds is abandoned and tried\n"
                     "again, three times at most with a doubling pause, before the pull fails naming the\n"
                     "registry and the blob; $BERTH_TRANSFER_STALL_TIMEOUT sets that time in seconds.\n"
                     "\n"
                     "SIGINT or SIGTERM stops a pull at once and removes what it had written (exit status\n"
                     "128 + the signal's number); a second one ends berth without that clean-up.\n"
                     "\n"
                     "On a terminal each layer has a live line with its bytes, size and rate; otherwise plain\n"
                     "lines say what happens; -q prints only the image id.",
                     {"berth pull docker.io/library/busybox", "berth pull --tls-verify=false localhost:5000/app:1",
                      "berth pull --platform linux/arm64 docker.io/library/alpine",
                      "berth pull --creds alice:s3cret quay.io/alice/app"},
                     ValueKind::none};
    auto& pull = tree.add_command(tree.root(), "pull", "Pull an image from a registry", std::move(help),
                                  [options, &globals] { return run_pull(*options, globals); });
    pull.add_option("image", options->references, "Images to pull")->required();
    pull.add_option("--platform", options->platform, "Pull the image for this os/arch[/variant]");
    add_tls_verify_option(tree, pull, options->tls_verify);
    pull.add_option("--creds", options->creds, "Credentials (USERNAME:PASSWORD) for the registry");
    add_authfile_option(tree, pull, options->authfile);
    pull.add_flag("-q,--quiet", options->quiet, "Print only the image id");
}

}  // namespace berth::cli
