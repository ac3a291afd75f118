// berth push.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/output/pull_progress.hpp"
#include "cli/registry_credentials.hpp"
#include "cli/registry_options.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "engine/image_commands.hpp"
#include "registry/reference.hpp"
#include "transport/image_push.hpp"

namespace berth::cli {
namespace {

struct PushOptions {
    std::string image;
    std::string destination;
    std::string tls_verify;  // empty: not given, registries.conf decides
    std::string creds;
    std::string authfile;
    std::string cert_dir;
    std::string digestfile;
    std::string format;
    std::string compression_format = "gzip";
    bool remove_signatures = false;
    bool disable_content_trust = false;
    bool quiet = false;
};

// Without a destination the image goes where its name says, as in Podman.
std::string destination_of(const PushOptions& options) {
    if (!options.destination.empty()) return options.destination;
    if (registry::looks_like_image_id(options.image) && !registry::has_explicit_domain(options.image))
        throw Error(options.image + ": an image id needs a destination to push to");
    return options.image;
}

int run_push(const PushOptions& options, const GlobalOptions& globals) {
    transport::PushRequest request;
    request.tls_verify = parse_optional_bool_flag("tls-verify", options.tls_verify);
    request.format = transport::parse_manifest_format(options.format);
    request.compression = options.compression_format;
    request.destination = destination_of(options);
    request.credentials = parse_creds(options.creds);
    if (!request.credentials) request.stored_credentials = stored_credentials(options.authfile);
    auto storage = open_storage(globals, false);  // push only reads the store
    request.graph_root = storage.graph_root;
    request.image = engine::resolve_image(storage.graph_root, options.image);
    std::optional<PullProgress> display;
    if (!options.quiet) {
        display.emplace(stderr);
        request.report = [&](const std::string& line) { display->line(line); };
        if (display->live())
            request.progress = [&](const transport::BlobProgress& blob) {
                display->layer({blob.digest, blob.bytes, blob.total, blob.done});
            };
    }
    transport::PushResult result;
    try {
        result = transport::push_image(request);
        if (display) display->finish();
    } catch (const Error& error) {
        if (display) display->finish();
        throw Error("pushing " + options.image + " to " + request.destination + ": " + error.what(),
                    error.exit_status());
    }
    if (!options.digestfile.empty()) {
        try {
            write_file_atomic(options.digestfile, result.manifest_digest);
        } catch (const Error& error) {
            throw Error(std::string("writing the digest file: ") + error.what(), error.exit_status());
        }
    }
    return 0;
}

}  // namespace

void add_push_command(CommandTree& tree, const GlobalOptions& globals) {
    auto options = std::make_shared<PushOptions>();
    CommandHelp help{"[options] IMAGE [DESTINATION]",
                     "Push an image from local storage to a registry. DESTINATION is docker://HOST/REPO[:TAG]\n"
                     "or HOST/REPO[:TAG]; without it the image goes to where its name IMAGE says.\n"
                     "\n"
                     "Blobs the repository has already are skipped; a blob the registry holds in another\n"
                     "repository the image was pulled from is mounted from there instead of uploaded. Layers\n"
                     "go up in parallel, at most six at once, each streamed from the blob berth stored when it\n"
                     "pulled the image: the manifest digest stays the one the image was pulled by unless\n"
                     "--format converts it.\n"
                     "\n"
                     "Credentials are those of --creds, else those that berth login stored for the registry.\n"
                     "--cert-dir, --remove-signatures and --disable-content-trust are accepted as in Podman;\n"
                     "berth neither reads client certificates nor writes signatures.",
                     {"berth push localhost:5000/app:1", "berth push app docker://registry.example.com/team/app:2",
                      "berth push --format v2s2 --digestfile app.digest app localhost:5000/app:1"},
                     ValueKind::images};
    auto& push = tree.add_command(tree.root(), "push", "Push an image to a registry", std::move(help),
                                  [options, &globals] { return run_push(*options, globals); });
    push.add_option("image", options->image, "Image to push")->required();
    push.add_option("destination", options->destination, "Where to push it (default: the image's name)");
    add_authfile_option(tree, push, options->authfile);
    tree.set_value_kind(
        push.add_option("--cert-dir", options->cert_dir, "Directory of TLS certificates and keys (accepted; not used)"),
        ValueKind::directories);
    tree.set_choices(push.add_option("--compression-format", options->compression_format,
                                     "Compression of the layers (gzip or zstd); stored layers are pushed as they are"),
                     {"gzip", "zstd"});
    push.add_option("--creds", options->creds, "Credentials (USERNAME:PASSWORD) for the registry");
    tree.set_value_kind(
        push.add_option("--digestfile", options->digestfile, "Write the digest of the pushed manifest to this file"),
        ValueKind::files);
    push.add_flag("--disable-content-trust", options->disable_content_trust,
                  "Accepted for Docker compatibility; no-op");
    tree.set_choices(push.add_option("-f,--format", options->format,
                                     "Manifest type (oci or v2s2) to write (default: the image's own)"),
                     {"oci", "v2s2"});
    push.add_flag("-q,--quiet", options->quiet, "Print no progress information");
    push.add_flag("--remove-signatures", options->remove_signatures, "Discard signatures (berth stores none)");
    add_tls_verify_option(tree, push, options->tls_verify);
}

}  // namespace berth::cli
