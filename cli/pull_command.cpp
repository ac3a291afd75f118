// berth pull.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/registry_options.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "engine/image_manifest.hpp"
#include "engine/image_pull.hpp"
#include "registry/auth_file.hpp"
#include "registry/reference.hpp"
#include "registry/registries_conf.hpp"

namespace berth::cli {
namespace {

struct PullOptions {
    std::vector<std::string> references;
    std::string platform;
    std::string tls_verify = "true";
    std::string creds;
    std::string authfile;
    bool quiet = false;
};

std::optional<registry::Credentials> parse_creds(const std::string& text) {
    if (text.empty()) return std::nullopt;
    auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        throw Error("invalid --creds \"" + text + "\": expected user:password");
    return registry::Credentials{text.substr(0, colon), text.substr(colon + 1)};
}

// Whether the image is pulled from the registry its name gives and nowhere else: a fully-qualified name for which
// registries.conf has no mirror or other location. The engine sends a pull's credentials to every place it tries,
// so stored credentials go only with such pulls, never to a search registry or a mirror they were not stored for.
bool pulled_only_from_its_registry(const std::string& text, const registry::Reference& reference,
                                   const std::optional<registry::RegistriesConf>& conf) {
    if (!registry::has_explicit_domain(text) || !conf) return false;
    try {
        auto sources = registry::pull_sources(*conf, reference);
        return std::all_of(sources.begin(), sources.end(),
                           [&](const auto& source) { return source.reference.domain == reference.domain; });
    } catch (const Error&) {
        return false;  // a blocked registry: pull_image reports it
    }
}

// The credentials for each reference: --creds for all of them, else what the auth files hold for each image's
// repository. Looked up before the storage is opened, which may enter a user namespace and change the uid that
// chooses the default auth file.
std::vector<std::optional<registry::Credentials>> credentials_for(const PullOptions& options) {
    std::vector<std::optional<registry::Credentials>> credentials(options.references.size());
    if (auto given = parse_creds(options.creds)) {
        std::fill(credentials.begin(), credentials.end(), given);
        return credentials;
    }
    auto env = registry::AuthEnvironment::from_process();
    auto files = registry::auth_files_for_reading(env, options.authfile);
    if (registry::auth_file_is_given(env, options.authfile) && ::access(files.front().c_str(), F_OK) != 0)
        throw_last_errno("credential file is not accessible: " + files.front());
    std::optional<registry::RegistriesConf> conf;
    try {
        conf = registry::load_registries_conf(
            registry::registries_conf_paths(registry::RegistriesConfEnvironment::from_process()));
    } catch (const Error&) {
        // pull_image reports it; without it no pull can be sure where it goes
    }
    for (size_t i = 0; i < options.references.size(); ++i) {
        const std::string& text = options.references[i];
        registry::Reference reference;
        try {
            reference = registry::normalize_reference(registry::parse_reference(text));
        } catch (const Error&) {
            continue;  // pull_image reports it when it comes to this reference
        }
        if (!pulled_only_from_its_registry(text, reference, conf)) continue;
        if (auto found = registry::find_credentials(files, reference.name())) credentials[i] = found->credentials;
    }
    return credentials;
}

int run_pull(const PullOptions& options, const GlobalOptions& globals) {
    engine::PullRequest request;
    if (!options.platform.empty()) request.platform = engine::parse_platform(options.platform);
    request.tls_verify = parse_bool_flag("tls-verify", options.tls_verify);
    auto credentials = credentials_for(options);
    auto storage = open_storage(globals, true);
    request.graph_root = storage.graph_root;
    request.rootless = storage.rootless;
    if (!options.quiet) request.report = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    for (size_t i = 0; i < options.references.size(); ++i) {
        const auto& reference = options.references[i];
        request.reference = reference;
        request.credentials = credentials[i];
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
                     "image is listed only once all of it is stored.\n"
                     "\n"
                     "A short name (busybox) is resolved as Podman does, through the aliases and the\n"
                     "unqualified-search-registries of registries.conf ($CONTAINERS_REGISTRIES_CONF, else\n"
                     "~/.config/containers/registries.conf, else /etc/containers/registries.conf, with their\n"
                     "registries.conf.d drop-ins); [[registry]] entries give mirrors and insecure registries.\n"
                     "\n"
                     "Credentials are those of --creds, else those that berth login stored for the image's\n"
                     "repository or registry (see berth-login(1) for the files searched). Stored credentials\n"
                     "are used only for a fully-qualified name that registries.conf does not send to mirrors\n"
                     "or another location; other pulls are anonymous unless --creds is given.",
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
