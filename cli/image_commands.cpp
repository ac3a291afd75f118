// berth images, rmi, tag.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output/document.hpp"
#include "cli/output/go_template.hpp"
#include "cli/output/table.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "engine/image_commands.hpp"
#include "engine/image_manifest.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;

struct ImagesOptions {
    bool all = false;
    bool quiet = false;
    bool digests = false;
    bool no_trunc = false;
    std::string format;
};

struct NamesOptions {
    std::vector<std::string> names;
    bool force = false;
};

int64_t parse_created(const std::string& created) {
    std::tm parts{};
    if (::strptime(created.c_str(), "%Y-%m-%dT%H:%M:%S", &parts) == nullptr) return 0;
    return static_cast<int64_t>(::timegm(&parts));
}

// One row of `berth images` for one name of an image ("<none>" for a dangling one).
json image_row(const storage::ImageRecord& record, const std::string& name, bool no_trunc) {
    std::string repository = "<none>", tag = "<none>";
    if (!name.empty()) {
        auto colon = name.rfind(':');
        repository = name.substr(0, colon);
        tag = name.substr(colon + 1);
    }
    int64_t created = parse_created(record.created);
    std::string hex = record.id.substr(7);
    return {{"Repository", repository},
            {"Tag", tag},
            {"ID", no_trunc ? record.id : hex.substr(0, 12)},
            {"Digest", record.digests.empty() ? "" : record.digests.front()},
            {"Created", created},
            {"CreatedSince", human_age(static_cast<int64_t>(std::time(nullptr)) - created)},
            {"CreatedAt", record.created},
            {"Size", human_size(static_cast<uint64_t>(record.size))}};
}

json image_json(const storage::ImageRecord& record) {
    return {{"Id", record.id.substr(7)},
            {"Names", record.names},
            {"RepoTags", record.names},
            {"Digest", record.digests.empty() ? "" : record.digests.front()},
            {"Digests", record.digests},
            {"Size", record.size},
            {"Created", parse_created(record.created)},
            {"CreatedAt", record.created}};
}

int run_images(const ImagesOptions& options, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    auto images = engine::list_images(storage.graph_root);
    if (options.quiet) {
        for (const auto& image : images)
            std::printf("%s\n", options.no_trunc ? image.id.c_str() : image.id.substr(7, 12).c_str());
        return 0;
    }
    if (options.format == "json") {
        json list = json::array();
        for (const auto& image : images) list.push_back(image_json(image));
        std::printf("%s\n", list.dump(4).c_str());
        return 0;
    }
    std::vector<json> rows;
    for (const auto& image : images) {
        if (image.names.empty()) rows.push_back(image_row(image, "", options.no_trunc));
        for (const auto& name : image.names) rows.push_back(image_row(image, name, options.no_trunc));
    }
    if (!options.format.empty()) {
        for (const auto& row : rows) std::printf("%s\n", render_template(options.format, row).c_str());
        return 0;
    }
    std::vector<std::vector<std::string>> table{{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
    if (options.digests) table.front().insert(table.front().begin() + 2, "DIGEST");
    for (const auto& row : rows) {
        std::vector<std::string> cells{row["Repository"], row["Tag"], row["ID"], row["CreatedSince"], row["Size"]};
        if (options.digests) cells.insert(cells.begin() + 2, row["Digest"].get<std::string>());
        table.push_back(cells);
    }
    std::fputs(format_table(table).c_str(), stdout);
    return 0;
}

int run_rmi(const NamesOptions& options, const GlobalOptions& globals) {
    auto storage = open_storage(globals, true);
    int status = 0;
    for (const auto& name : options.names) {
        try {
            auto removed = engine::remove_image(storage.graph_root, name);
            for (const auto& untagged : removed.untagged) std::printf("Untagged: %s\n", untagged.c_str());
            if (!removed.deleted.empty()) std::printf("Deleted: %s\n", removed.deleted.substr(7).c_str());
        } catch (const Error& error) {
            std::fprintf(stderr, "Error: %s\n", error.what());
            status = 1;  // Podman: 1 when an image is not known
        }
    }
    return status;
}

int run_tag(const NamesOptions& options, const GlobalOptions& globals) {
    if (options.names.size() < 2) throw Error("tag requires at least 2 arguments: IMAGE TARGET_NAME...");
    auto storage = open_storage(globals, false);
    for (size_t i = 1; i < options.names.size(); ++i)
        engine::tag_image(storage.graph_root, options.names.front(), options.names[i]);
    return 0;
}

void add_images(CommandTree& tree, const GlobalOptions& globals) {
    auto options = std::make_shared<ImagesOptions>();
    CommandHelp help{"[options]",
                     "List the images in local storage.",
                     {"berth images", "berth images -q", "berth images --format '{{.Repository}}:{{.Tag}}'"},
                     ValueKind::none};
    auto& images = tree.add_command(tree.root(), "images", "List images in local storage", std::move(help),
                                    [options, &globals] { return run_images(*options, globals); });
    images.add_flag("-a,--all", options->all, "Show all images (berth keeps no intermediate images)");
    images.add_flag("-q,--quiet", options->quiet, "Display only image IDs");
    images.add_flag("--digests", options->digests, "Show digests");
    images.add_flag("--no-trunc", options->no_trunc, "Do not truncate output");
    images.add_option("--format", options->format, "Change the output format to JSON or a Go template");
}

void add_rmi_and_tag(CommandTree& tree, const GlobalOptions& globals) {
    auto rmi_options = std::make_shared<NamesOptions>();
    CommandHelp rmi_help{"[options] IMAGE [IMAGE...]",
                         "Remove images from local storage, with the layers and blobs no other image uses.",
                         {"berth rmi busybox", "berth rmi 3f57d9401f8d"},
                         ValueKind::none};
    auto& rmi =
        tree.add_command(tree.root(), "rmi", "Remove one or more images from local storage", std::move(rmi_help),
                         [rmi_options, &globals] { return run_rmi(*rmi_options, globals); });
    rmi.add_option("image", rmi_options->names, "Images to remove")->required();
    rmi.add_flag("-f,--force", rmi_options->force, "Remove images even when containers use them");

    auto tag_options = std::make_shared<NamesOptions>();
    CommandHelp tag_help{"IMAGE TARGET_NAME [TARGET_NAME...]",
                         "Add names to a local image.",
                         {"berth tag busybox localhost:5000/busybox:1"},
                         ValueKind::none};
    auto& tag = tree.add_command(tree.root(), "tag", "Add an additional name to a local image", std::move(tag_help),
                                 [tag_options, &globals] { return run_tag(*tag_options, globals); });
    tag.add_option("names", tag_options->names, "The image, then its new names")->required();
}

}  // namespace

void add_image_commands(CommandTree& tree, const GlobalOptions& globals) {
    add_images(tree, globals);
    add_rmi_and_tag(tree, globals);
}

}  // namespace berth::cli
