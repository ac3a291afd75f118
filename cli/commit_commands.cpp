// berth commit, berth diff and berth export (and their `berth container` forms): a container's changes as an
// image, as a list, and its filesystem as a tar stream.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "engine/container_control.hpp"
#include "engine/image_commands.hpp"
#include "storage/container_diff.hpp"
#include "storage/image_store.hpp"
#include "storage/layer_tar.hpp"
#include "transport/config_changes.hpp"
#include "transport/container_commit.hpp"

namespace berth::cli {
namespace {

// Writes all of the bytes to a descriptor.
void write_all(int fd, const char* data, size_t size, const std::string& what) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, size);
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) throw_last_errno("write " + what);
        data += written;
        size -= static_cast<size_t>(written);
    }
}

// ---- diff ----

struct DiffFlags {
    std::string container;
    std::string format;
    bool latest = false;
};

storage::ContainerRecord chosen_container(const std::string& graph_root, const std::string& name, bool latest) {
    if (latest) {
        auto all = storage::ContainerStore(graph_root).list();
        if (all.empty()) throw Error("no containers to act on");
        return all.back();
    }
    if (name.empty()) throw Error("you must provide a container name or ID");
    return engine::find_container(graph_root, name);
}

// The changes of a container to its image or, for an image, of its top layer to the layers below, as Podman's diff.
std::vector<storage::Change> changes_of(const StorageContext& storage, const DiffFlags& flags) {
    if (flags.latest)
        return storage::container_trees(storage.graph_root, chosen_container(storage.graph_root, "", true)).changes;
    if (flags.container.empty()) throw Error("you must provide a container or image name or ID");
    if (auto record = storage::ContainerStore(storage.graph_root).find(flags.container))
        return storage::container_trees(storage.graph_root, *record).changes;
    storage::ImageRecord image;
    try {
        image = engine::resolve_image(storage.graph_root, flags.container);
    } catch (const Error&) {
        throw Error(flags.container + " not found: layer not known");
    }
    return storage::image_layer_changes(storage.graph_root, image.layers);
}

int run_diff(const DiffFlags& flags, const GlobalOptions& globals) {
    if (!flags.format.empty() && flags.format != "json")
        throw Error("only --format json is supported, not \"" + flags.format + "\"");
    auto storage = open_storage(globals, true);  // rootless: the container's files belong to subordinate ids
    auto changes = changes_of(storage, flags);
    if (flags.format == "json") {
        nlohmann::ordered_json document = nlohmann::ordered_json::object();
        for (auto [kind, key] :
             {std::pair{storage::ChangeKind::changed, "changed"}, std::pair{storage::ChangeKind::added, "added"},
              std::pair{storage::ChangeKind::deleted, "deleted"}}) {
            std::vector<std::string> paths;
            for (const auto& change : changes)
                if (change.kind == kind) paths.push_back(change.path);
            if (!paths.empty()) document[key] = paths;
        }
        std::printf("%s\n", document.dump(5).c_str());
        return 0;
    }
    for (const auto& change : changes) std::printf("%c %s\n", storage::change_letter(change.kind), change.path.c_str());
    return 0;
}

void add_diff(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "diff")) return;
    auto flags = std::make_shared<DiffFlags>();
    CommandHelp help{"[options] {CONTAINER|IMAGE}",
                     "List the files a container added (A), changed (C) and deleted (D) in its image's\n"
                     "filesystem, or those an image's top layer changed in the layers below it. A changed\n"
                     "file's directories show as changed too; the mount points berth makes in every\n"
                     "container (/etc/hosts, /proc, ...) are left out, as in Podman.",
                     {"berth diff web", "berth diff --format json web", "berth diff localhost/app:1"},
                     ValueKind::containers};
    auto& diff = tree.add_command(parent, "diff", "Display the changes to the container's file system", std::move(help),
                                  [flags, &globals] { return run_diff(*flags, globals); });
    diff.add_option("container", flags->container, "Container or image to list the changes of");
    tree.set_choices(diff.add_option("--format", flags->format, "Change the output format (json)"), {"json"});
    diff.add_flag("-l,--latest", flags->latest, "Act on the latest container berth is aware of");
}

// ---- commit ----

struct CommitFlags {
    std::string container;
    std::string image;
    std::string author;
    std::vector<std::string> changes;
    std::string format = "oci";
    std::string iidfile;
    std::string message;
    bool include_volumes = false;
    bool pause = false;
    bool quiet = false;
    bool squash = false;
};

int run_commit(const CommitFlags& flags, const GlobalOptions& globals) {
    transport::CommitRequest request;
    if (flags.format == "oci")
        request.format = transport::ManifestFormat::oci;
    else if (flags.format == "docker")
        request.format = transport::ManifestFormat::docker_v2s2;
    else
        throw Error("unrecognized image type \"" + flags.format + "\"");
    if (!flags.image.empty()) request.name = transport::commit_image_name(flags.image);
    nlohmann::json checked;
    transport::apply_config_changes(checked, flags.changes);  // a malformed change fails before any work
    auto storage = open_storage(globals, true);
    request.graph_root = storage.graph_root;
    request.rootless = storage.rootless;
    request.container = engine::find_container(storage.graph_root, flags.container);
    auto base = storage::ImageStore(storage.graph_root).find(request.container.image_id);
    if (!base) throw Error("container " + flags.container + ": its image " + request.container.image_id + " is gone");
    request.base = *base;
    request.base_name = request.container.image_name;
    request.author = flags.author;
    request.message = flags.message;
    request.changes = flags.changes;
    request.squash = flags.squash;
    if (!flags.quiet) request.report = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    storage::ImageRecord image;
    try {
        image = transport::commit_container(request);
    } catch (const Error& error) {
        throw Error("committing container " + flags.container + ": " + error.what(), error.exit_status());
    }
    std::string id = image.id.substr(7);
    if (!flags.iidfile.empty()) {
        UniqueFd file(::open(flags.iidfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!file) throw_last_errno("open " + flags.iidfile);
        write_all(file.get(), image.id.data(), image.id.size(), flags.iidfile);
    }
    std::printf("%s\n", id.c_str());
    return 0;
}

void add_commit(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "commit")) return;
    auto flags = std::make_shared<CommitFlags>();
    CommandHelp help{"[options] CONTAINER [IMAGE]",
                     "Create an image from a container's changes: the container's image with one more layer,\n"
                     "holding what the container added and changed and whiteouts for what it deleted. The\n"
                     "image takes the container's environment and command; --change sets more (CMD, ENTRYPOINT,\n"
                     "ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR, in Dockerfile form:\n"
                     "'CMD=[\"/bin/app\"]'). A name without a registry is taken as localhost/NAME. The new\n"
                     "image's id is printed; `berth push` sends it to a registry.",
                     {"berth commit web web-image", "berth commit -q --change 'CMD=[\"/bin/app\"]' web app:1",
                      "berth commit --format docker -m fixed web example.com/app"},
                     ValueKind::containers};
    auto& commit = tree.add_command(parent, "commit", "Create new image based on the changed container",
                                    std::move(help), [flags, &globals] { return run_commit(*flags, globals); });
    commit.add_option("container", flags->container, "Container to commit")->required();
    commit.add_option("image", flags->image, "Name of the new image");
    commit.add_option("-a,--author", flags->author, "Set the author for the image committed");
    commit.add_option("-c,--change", flags->changes, "Apply the instruction to the created image (repeatable)");
    tree.set_choices(commit.add_option("-f,--format", flags->format, "Format of the image manifest and metadata")
                         ->capture_default_str(),
                     {"oci", "docker"});
    tree.set_value_kind(commit.add_option("--iidfile", flags->iidfile, "Write the image id to the file"),
                        ValueKind::files);
    commit.add_flag("--include-volumes", flags->include_volumes,
                    "Include container volumes as image volumes (accepted; berth has no volumes yet)");
    commit.add_option("-m,--message", flags->message, "Set commit message for imported image");
    commit.add_flag("-p,--pause", flags->pause, "Pause container during commit (accepted)");
    commit.add_flag("-q,--quiet", flags->quiet, "Suppress output");
    commit.add_flag("-s,--squash", flags->squash, "Squash newly built layers into a single new layer");
}

// ---- export ----

struct ExportFlags {
    std::string container;
    std::string output;
};

int run_export(const ExportFlags& flags, const GlobalOptions& globals) {
    if (flags.output.empty() && ::isatty(STDOUT_FILENO) == 1)
        throw Error("refusing to export to terminal. Use -o flag or redirect");
    auto storage = open_storage(globals, true);
    auto record = engine::find_container(storage.graph_root, flags.container);
    auto trees = storage::container_trees(storage.graph_root, record);
    UniqueFd file;
    int fd = STDOUT_FILENO;
    std::string what = "standard output";
    if (!flags.output.empty()) {
        file = UniqueFd(::open(flags.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!file) throw_last_errno("open " + flags.output);
        fd = file.get();
        what = flags.output;
    }
    storage::write_view_tar(trees.container,
                            [fd, &what](const char* data, size_t size) { write_all(fd, data, size, what); });
    return 0;
}

void add_export(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "export")) return;
    auto flags = std::make_shared<ExportFlags>();
    CommandHelp help{"[options] CONTAINER",
                     "Write a container's filesystem (its image's files with the container's changes) as a\n"
                     "tar archive to standard output or to the file of -o. Files keep the owners they have\n"
                     "inside the container.",
                     {"berth export -o web.tar web", "berth export web | tar -t"},
                     ValueKind::containers};
    auto& command = tree.add_command(parent, "export", "Export container's filesystem contents as a tar archive",
                                     std::move(help), [flags, &globals] { return run_export(*flags, globals); });
    command.add_option("container", flags->container, "Container to export")->required();
    tree.set_value_kind(command.add_option("-o,--output", flags->output, "Write to a specified file"),
                        ValueKind::files);
}

}  // namespace

void add_commit_commands(CommandTree& tree, CLI::App* container, const GlobalOptions& globals) {
    CLI::App& parent = container ? *container : tree.root();
    add_commit(tree, parent, globals);
    add_diff(tree, parent, globals);
    add_export(tree, parent, globals);
}

}  // namespace berth::cli
