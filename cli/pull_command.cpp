// berth pull.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "engine/image_manifest.hpp"
#include "engine/image_pull.hpp"

namespace berth::cli {
namespace {

struct PullOptions {
    std::vector<std::string> references;
    std::string platform;
    std::string tls_verify = "true";
    std::string creds;
    bool quiet = false;
};

std::optional<registry::Credentials> parse_creds(const std::string& text) {
    if (text.empty()) return std::nullopt;
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        throw Error("invalid --creds \"" + text + "\": expected user:password");
    return registry::Credentials{text.substr(0, colon), text.substr(colon + 1)};
}

bool parse_bool_flag(const std::string& name, const std::string& value) {
    if (value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    throw Error("invalid value \"" + value + "\" for --" + name + ": expected true or false");
}

int run_pull(const PullOptions& options, const GlobalOptions& globals) {
    engine::PullRequest request;
    if (!options.platform.empty()) request.platform = engine::parse_platform(options.platform);
    request.tls_verify = parse_bool_flag("tls-verify", options.tls_verify);
    request.credentials = parse_creds(options.creds);
    auto storage = open_storage(globals, true);
    request.graph_root = storage.graph_root;
    request.rootless = storage.rootless;
    if (!options.quiet) request.report = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    for (const auto& reference : options.references) {
        request.reference = reference;
        std::string id;
        try {
            id = engine::pull_image(request);
        } catch (const Error& error) {
            throw Error("pull " + reference + ": " + error.what(), error.exit_status());
        }
        std::printf("%s\n", id.substr(7).c_str());
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace

void add_pull_command(CommandTree& tree, const GlobalOptions& globals) {
    auto options = std::make_shared<PullOptions>();
    CommandHelp help{"[options] IMAGE [IMAGE...]",
                     "Pull images from a registry into local storage. Layers are fetched in parallel,\n"
                     "checked against their digests while they stream, and unpacked as they arrive; an\n"
                     "image is listed only once all of it is stored.",
                     {"berth pull busybox", "berth pull --tls-verify=false localhost:5000/app:1",
                      "berth pull --platform linux/arm64 alpine"},
                     ValueKind::none};
    auto& pull = tree.add_command(tree.root(), "pull", "Pull an image from a registry", std::move(help),
                                  [options, &globals] { return run_pull(*options, globals); });
    pull.add_option("image", options->references, "Images to pull")->required();
    pull.add_option("--platform", options->platform, "Pull the image for this os/arch[/variant]");
    tree.set_choices(pull.add_option("--tls-verify", options->tls_verify,
                                     "Require HTTPS and verify certificates (false: plain HTTP)")
                         ->expected(0, 1)
                         ->default_str("true"),
                     {"true", "false"});
    pull.add_option("--creds", options->creds, "Credentials (USERNAME:PASSWORD) for the registry");
    pull.add_flag("-q,--quiet", options->quiet, "Print only the image id");
}

}  // namespace berth::cli
