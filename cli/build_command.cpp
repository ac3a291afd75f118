// berth build and berth image build: an image from a Containerfile (builder/), RUN steps in containers made as
// `berth run` makes them.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "builder/image_build.hpp"
#include "cli/commands.hpp"
#include "cli/container_setup.hpp"
#include "cli/pull_command.hpp"
#include "cli/registry_options.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "engine/container_start.hpp"
#include "engine/image_commands.hpp"
#include "engine/runtime_spec.hpp"
#include "transport/container_commit.hpp"

namespace berth::cli {
namespace {

struct BuildFlags {
    std::string context = ".";
    std::vector<std::string> tags;
    std::string file;
    std::string target;
    std::vector<std::string> build_args;
    std::vector<std::string> build_arg_files;
    std::vector<std::string> cap_add;
    std::vector<std::string> volumes;
    bool squash_all = false;
    std::vector<std::string> secrets;
    std::vector<std::string> labels;
    bool no_cache = false;
    bool layers = true;
    std::string iidfile;
    bool quiet = false;
    std::string format = "oci";
    std::string network = "host";
    std::string tls_verify;
    std::string authfile;
    std::string pull;
    std::string isolation;
    bool rm = true;
    bool force_rm = false;
};

std::string absolute(const std::string& path) {
    if (path.starts_with("/")) return path;
    char* cwd = ::getcwd(nullptr, 0);
    if (!cwd) throw_last_errno("getcwd");
    std::string out = std::string(cwd) + "/" + path;
    std::free(cwd);
    return out;
}

std::pair<std::string, std::string> read_containerfile(const BuildFlags& flags, const std::string& context) {
    if (flags.file == "-")
        return {std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()), "stdin"};
    if (!flags.file.empty()) {
        auto text = read_file_if_exists(flags.file);
        if (!text && !flags.file.starts_with("/")) text = read_file_if_exists(context + "/" + flags.file);
        if (!text) throw Error("the specified Containerfile or Dockerfile does not exist, " + flags.file);
        return {*text, flags.file.substr(flags.file.rfind('/') + 1)};
    }
    for (const char* name : {"Containerfile", "Dockerfile"})
        if (auto text = read_file_if_exists(context + "/" + name)) return {*text, name};
    throw Error("no Containerfile or Dockerfile specified or found in context directory, " + context);
}

std::map<std::string, std::string> key_values(const std::vector<std::string>& items, bool from_environment) {
    std::map<std::string, std::string> out;
    for (const auto& item : items) {
        size_t equals = item.find('=');
        if (equals != std::string::npos) {
            out[item.substr(0, equals)] = item.substr(equals + 1);
        } else if (from_environment) {
            if (const char* value = std::getenv(item.c_str())) out[item] = value;
        } else {
            out[item] = "";
        }
    }
    return out;
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

builder::BuildHost build_host(const StorageContext& storage, const GlobalOptions& globals, const BuildFlags& flags) {
    builder::BuildHost host;
    host.graph_root = storage.graph_root;
    host.rootless = storage.rootless;
    host.image = [&storage, &flags](const std::string& name) {
        if (flags.pull != "always" && flags.pull != "true") {
            try {
                return engine::resolve_image(storage.graph_root, name);
            } catch (const Error&) {
                if (flags.pull == "never") throw;
            }
        }
        ContainerPull pull{name, flags.quiet, parse_optional_bool_flag("tls-verify", flags.tls_verify), flags.authfile};
        return engine::resolve_image(storage.graph_root, pull_for_container(storage, pull));
    };
    host.create = [&storage, &globals](const storage::ImageRecord& image, const engine::RunOptions& options) {
        auto request = container_create_request(storage, globals, image, options);
        return engine::create_container(request);
    };
    host.run = [&storage](const std::string& id) {
        engine::StartRequest request;
        request.graph_root = storage.graph_root;
        request.run_root = storage.run_root;
        request.id = id;
        request.remove_files = [&storage](const std::string& path) { remove_storage_tree(storage, path); };
        std::fflush(stdout);
        return engine::run_attached(request);
    };
    host.remove = [&storage](const std::string& id) {
        engine::remove_container(storage.graph_root, id, true,
                                 [&storage](const std::string& path) { remove_storage_tree(storage, path); });
    };
    host.with_storage_ids = [&storage](const std::function<std::string()>& work) {
        return run_with_storage_ids(storage, work);
    };
    return host;
}

int run_build(const BuildFlags& flags, const GlobalOptions& globals) {
    builder::BuildOptions options;
    options.context_dir = absolute(flags.context);
    if (!path_exists(options.context_dir)) throw Error("context directory " + flags.context + " does not exist");
    std::tie(options.containerfile, options.containerfile_name) = read_containerfile(flags, options.context_dir);
    for (const auto& tag : flags.tags) options.tags.push_back(transport::commit_image_name(tag));
    options.target = flags.target;
    for (const auto& file : flags.build_arg_files) {  // KEY=VALUE lines; '#' comments and blank lines skipped
        auto text = read_file_if_exists(file);
        if (!text) throw Error("--build-arg-file " + file + ": no such file");
        std::vector<std::string> lines;
        for (size_t start = 0; start < text->size();) {
            size_t end = text->find('\n', start);
            if (end == std::string::npos) end = text->size();
            std::string line = text->substr(start, end - start);
            start = end + 1;
            if (!line.empty() && line.front() != '#') lines.push_back(line);
        }
        for (const auto& [key, value] : key_values(lines, true)) options.build_args[key] = value;
    }
    for (const auto& [key, value] : key_values(flags.build_args, true)) options.build_args[key] = value;
    for (const auto& name : flags.cap_add) options.cap_add.push_back(engine::normalize_capability(name));
    for (const auto& volume : flags.volumes) options.volumes.push_back(engine::parse_volume(volume));
    options.squash_all = flags.squash_all;
    for (const auto& secret : flags.secrets) {  // id=ID,src=FILE (source=, and env=NAME is not supported)
        std::string id, source;
        for (const auto& [key, value] : key_values(split_commas(secret), false)) {
            if (key == "id") id = value;
            if (key == "src" || key == "source") source = value;
        }
        if (id.empty() || source.empty()) throw Error("--secret " + secret + ": id= and src= are required");
        if (!path_exists(source)) throw Error("--secret " + secret + ": " + source + " does not exist");
        options.secrets[id] = absolute(source);
    }
    options.labels = key_values(flags.labels, false);
    options.use_cache = !flags.no_cache;
    options.layers = flags.layers;
    if (flags.format == "docker")
        options.format = transport::ManifestFormat::docker_v2s2;
    else if (flags.format != "oci")
        throw Error("unrecognized image type \"" + flags.format + "\"");
    options.network = flags.network;
    if (!flags.quiet)
        options.report = [](const std::string& line) {
            std::printf("%s\n", line.c_str());
            std::fflush(stdout);
        };
    auto storage = open_storage(globals, false);  // RUN starts containers: stay outside the user namespace
    auto host = build_host(storage, globals, flags);
    std::string id = builder::build_image(options, host);
    if (!flags.iidfile.empty()) write_file_atomic(flags.iidfile, id);
    std::printf("%s\n", id.substr(7).c_str());
    return 0;
}

void add_build(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "build")) return;
    auto flags = std::make_shared<BuildFlags>();
    CommandHelp help{"[options] [CONTEXT]",
                     "Build an image from a Containerfile (or Dockerfile) and a context directory, without a\n"
                     "daemon and without root. RUN steps run in containers of berth's own runtime; each step that\n"
                     "changes files is committed as a layer, and a later build reuses it (\"Using cache\") while\n"
                     "its parent, its instruction, the build args it uses and, for COPY and ADD, the files it\n"
                     "copies are the same. Instructions that only change the image's config add no layer.\n"
                     "COPY and ADD read only the context (less what .containerignore or .dockerignore leave\n"
                     "out) or, with --from, another stage or image. RUN takes --mount=type=bind (the context,\n"
                     "read-only unless rw), type=cache (kept between builds), type=tmpfs and type=secret (a\n"
                     "--secret file at /run/secrets/ID, never in a layer). The new image's id is printed last.",
                     {"berth build -t app .", "berth build -f Containerfile.dev --build-arg VERSION=2 -t app:dev .",
                      "berth build --target build --no-cache -t app-build ."},
                     ValueKind::directories};
    auto& build = tree.add_command(parent, "build", "Build an image using instructions from Containerfiles",
                                   std::move(help), [flags, &globals] { return run_build(*flags, globals); });
    tree.set_value_kind(build.add_option("context", flags->context, "The directory of the build context"),
                        ValueKind::directories);
    build.add_option("--authfile", flags->authfile, "Path of the authentication file");
    build.add_option("--build-arg", flags->build_args, "Argument=value to supply to the builder (repeatable)");
    tree.set_value_kind(build.add_option("--build-arg-file", flags->build_arg_files,
                                         "A file of argument=value lines to supply to the builder"),
                        ValueKind::files);
    build.add_option("--cap-add", flags->cap_add, "Add capabilities to the RUN steps (repeatable)");
    tree.set_value_kind(build.add_option("-f,--file", flags->file, "Name of the Containerfile (\"-\": stdin)"),
                        ValueKind::files);
    build.add_flag("--force-rm", flags->force_rm, "Always remove intermediate containers (accepted; they always are)");
    tree.set_choices(build.add_option("--format", flags->format, "Format of the built image's manifest and metadata")
                         ->capture_default_str(),
                     {"oci", "docker"});
    tree.set_value_kind(build.add_option("--iidfile", flags->iidfile, "Write the image id to the file"),
                        ValueKind::files);
    build.add_option("--isolation", flags->isolation, "Type of process isolation (accepted; berth's runtime is used)");
    build.add_option("--label", flags->labels, "Set a label on the image (repeatable)");
    build.add_flag("--layers", flags->layers, "Cache intermediate images during the build (default true)");
    build.add_option("--network", flags->network, "Network mode of the RUN steps")->capture_default_str();
    build.add_flag("--no-cache", flags->no_cache, "Do not use existing cached images for the container build");
    build.add_option("--pull", flags->pull, "Pull the base images: always, missing (default), never");
    build.add_flag("-q,--quiet", flags->quiet,
                   "Refrain from announcing build instructions and image read/write progress");
    build.add_flag("--rm", flags->rm, "Remove intermediate containers after a successful build (accepted)");
    build.add_option("--secret", flags->secrets, "Secret file for RUN --mount=type=secret: id=ID,src=PATH");
    build.add_flag("--squash-all", flags->squash_all, "Squash all layers into a single layer");
    build.add_option("-t,--tag", flags->tags, "Name of the resulting image (repeatable)");
    build.add_option("--target", flags->target, "Set the target build stage to build");
    build.add_option("-v,--volume", flags->volumes, "Bind mount a volume into the RUN steps (repeatable)");
    add_tls_verify_option(tree, build, flags->tls_verify);
    for (auto* option : build.get_options())
        if (CommandTree::takes_value(*option)) option->allow_extra_args(false);  // -t a CONTEXT: one tag
}

}  // namespace

void add_build_commands(CommandTree& tree, const GlobalOptions& globals) {
    add_build(tree, tree.root(), globals);
    if (!tree.wants("image")) return;
    add_build(tree, *tree.root().get_subcommand("image"), globals);
}

}  // namespace berth::cli
