// berth save and berth load (also image save, image load).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "engine/image_commands.hpp"
#include "registry/reference.hpp"
#include "transport/archive_load.hpp"
#include "transport/archive_save.hpp"

namespace berth::cli {
namespace {

struct SaveOptions {
    std::vector<std::string> images;
    std::string output;
    std::string format = "docker-archive";
    bool multi_image_archive = false;
    bool quiet = false;
    bool compress = false;
    bool uncompressed = false;
};

struct LoadOptions {
    std::string input;
    bool quiet = false;
};

void to_stderr(const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

// The name the user gave an image by, when it is one of its names (an id gives none).
std::vector<std::string> names_given(const storage::ImageRecord& image, const std::string& text) {
    try {
        std::string name = engine::normalized_image_name(text);
        if (std::find(image.names.begin(), image.names.end(), name) != image.names.end()) return {name};
    } catch (const Error&) {
    }
    for (const auto& name : image.names)  // a short name that resolved to one of them
        if (name.ends_with("/" + text) || name.ends_with("/" + text + ":latest")) return {name};
    return {};
}

std::vector<transport::SavedImage> images_to_save(const SaveOptions& options, const std::string& graph_root) {
    std::vector<transport::SavedImage> saved;
    if (options.multi_image_archive) {
        for (const auto& text : options.images) {
            auto image = engine::resolve_image(graph_root, text);
            saved.push_back({image, names_given(image, text)});
        }
        return saved;
    }
    // As Podman: without -m, the other arguments are further names of the first image in the archive.
    auto image = engine::resolve_image(graph_root, options.images.front());
    saved.push_back({image, names_given(image, options.images.front())});
    for (size_t i = 1; i < options.images.size(); ++i) {
        std::string name = engine::normalized_image_name(options.images[i]);
        auto& names = saved.front().names;
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    return saved;
}

int run_save(const SaveOptions& options, const GlobalOptions& globals) {
    transport::SaveRequest request;
    request.format = transport::parse_archive_format(options.format);
    if (options.multi_image_archive && request.format != transport::ArchiveFormat::docker_archive)
        throw Error("unsupported format \"" + options.format + "\" for saving multiple images (only docker-archive)");
    bool directory =
        request.format == transport::ArchiveFormat::oci_dir || request.format == transport::ArchiveFormat::docker_dir;
    if (directory && options.output.empty())
        throw Error("the " + options.format + " format needs -o/--output DIRECTORY");
    if (options.output.empty() && ::isatty(STDOUT_FILENO) == 1)
        throw Error("refusing to save to terminal. Use -o flag or redirect");
    auto storage = open_storage(globals, false);  // save only reads the store
    request.graph_root = storage.graph_root;
    request.images = images_to_save(options, storage.graph_root);
    if (!options.quiet) request.report = to_stderr;
    UniqueFd file;
    if (directory) {
        request.where = options.output;
    } else if (options.output.empty()) {
        request.fd = STDOUT_FILENO;
        request.where = "stdout";
    } else {
        file = UniqueFd(::open(options.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!file) throw_last_errno("open " + options.output);
        request.fd = file.get();
        request.where = options.output;
    }
    try {
        transport::save_images(request);
    } catch (const Error&) {
        if (file) ::unlink(options.output.c_str());
        throw;
    }
    if (file && ::close(file.release()) != 0) throw_last_errno("close " + options.output);
    return 0;
}

int run_load(const LoadOptions& options, const GlobalOptions& globals) {
    transport::LoadRequest request;
    UniqueFd file;
    if (options.input.empty()) {
        if (::isatty(STDIN_FILENO) == 1)
            throw Error("cannot read from terminal, use command-line redirection or the --input flag");
        request.fd = STDIN_FILENO;
        request.where = "stdin";
    } else {
        // Opened before entering the user namespace, where the user's groups no longer count.
        file = UniqueFd(::open(options.input.c_str(), O_RDONLY | O_CLOEXEC));
        if (!file) throw_last_errno("stat " + options.input);
        struct stat status {};
        if (::fstat(file.get(), &status) == 0 && S_ISDIR(status.st_mode)) request.directory = options.input;
        request.fd = file.get();
        request.where = options.input;
    }
    auto storage = open_storage(globals, true);
    request.graph_root = storage.graph_root;
    request.rootless = storage.rootless;
    if (!options.quiet) {
        request.report = to_stderr;
        to_stderr("Getting image source signatures");
    }
    for (const auto& name : transport::load_images(request)) std::printf("Loaded image: %s\n", name.c_str());
    std::fflush(stdout);
    return 0;
}

void add_save(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "save")) return;
    auto options = std::make_shared<SaveOptions>();
    CommandHelp help{"[options] IMAGE [IMAGE...]",
                     "Save images to a docker-archive (the default) or an oci-archive tar file, or to stdout,\n"
                     "which must then not be a terminal. A docker-archive holds Docker's manifest.json with\n"
                     "each image's config and RepoTags, the config and every layer as an uncompressed tar; an\n"
                     "oci-archive is an OCI image layout with the image's name in the index's\n"
                     "org.opencontainers.image.ref.name annotation and the blobs as they are stored.\n"
                     "\n"
                     "oci-dir writes that layout into the directory -o names, docker-dir the dir: transport's\n"
                     "(manifest.json in Docker's schema 2, the blobs named by their digests).\n"
                     "\n"
                     "Without --multi-image-archive further arguments are more names (RepoTags) of the first\n"
                     "image; with it each argument is an image of the archive (docker-archive only).",
                     {"berth save -o busybox.tar busybox", "berth save --format oci-archive busybox > busybox.tar",
                      "berth save -m -o images.tar busybox alpine"},
                     ValueKind::images};
    auto& save = tree.add_command(parent, "save", "Save image(s) to an archive", std::move(help),
                                  [options, &globals] { return run_save(*options, globals); });
    save.add_option("image", options->images, "Images to save")->required();
    save.add_flag("--compress", options->compress, "Accepted for Podman compatibility (directory formats only)");
    tree.set_choices(save.add_option("--format", options->format,
                                     "Save image to docker-archive or oci-archive (oci-dir and docker-dir: not yet) "
                                     "(default \"docker-archive\")"),
                     {"docker-archive", "oci-archive", "docker-dir", "oci-dir"});
    save.add_flag("-m,--multi-image-archive", options->multi_image_archive,
                  "Interpret additional arguments as images not tags and create a multi-image-archive (only for "
                  "docker-archive)");
    tree.set_value_kind(save.add_option("-o,--output", options->output,
                                        "Write to a specified file (default: stdout, which must be redirected)"),
                        ValueKind::files);
    save.add_flag("-q,--quiet", options->quiet, "Suppress the output");
    save.add_flag("--uncompressed", options->uncompressed, "Accepted for Podman compatibility; no-op");
}

void add_load(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "load")) return;
    auto options = std::make_shared<LoadOptions>();
    CommandHelp help{"[options]",
                     "Load images from a docker-archive or oci-archive tar file (or stdin), plain or compressed\n"
                     "with gzip, zstd, xz or bzip2, or from an oci-dir or docker-dir directory, into local\n"
                     "storage. Images get the names of Docker's RepoTags or of the OCI index's\n"
                     "org.opencontainers.image.ref.name annotation. Each layer is\n"
                     "checked against the config's diff ids, each OCI blob against its digest; an archive whose\n"
                     "members or manifest point outside it is refused before the store is touched.",
                     {"berth load -i busybox.tar", "berth load < busybox.tar.gz"},
                     ValueKind::none};
    auto& load = tree.add_command(parent, "load", "Load image(s) from a tar archive", std::move(help),
                                  [options, &globals] { return run_load(*options, globals); });
    tree.set_value_kind(
        load.add_option("-i,--input", options->input, "Read from specified archive file (default: stdin)"),
        ValueKind::files);
    load.add_flag("-q,--quiet", options->quiet, "Suppress the output");
}

}  // namespace

void add_archive_commands(CommandTree& tree, const GlobalOptions& globals) {
    add_save(tree, tree.root(), globals);
    add_load(tree, tree.root(), globals);
    if (!tree.wants("image")) return;
    CLI::App* image = tree.root().get_subcommand("image");
    add_save(tree, *image, globals);
    add_load(tree, *image, globals);
}

}  // namespace berth::cli
