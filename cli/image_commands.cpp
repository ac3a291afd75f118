// berth images, rmi, tag, untag and the `berth image` group (ls, rm, tag, untag, inspect, prune).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "cli/commands.hpp"
#include "cli/exists_command.hpp"
#include "cli/image_filters.hpp"
#include "cli/image_history.hpp"
#include "cli/output/document.hpp"
#include "cli/output/format.hpp"
#include "cli/output/table.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "engine/container_start.hpp"
#include "engine/image_commands.hpp"
#include "engine/image_manifest.hpp"
#include "gotemplate/podman_format.hpp"
#include "storage/container_store.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;

struct ImagesOptions {
    bool all = false;
    bool quiet = false;
    bool digests = false;
    bool no_trunc = false;
    bool noheading = false;
    std::string format;
    std::vector<std::string> filters;
    std::string image;  // `images IMAGE`: a reference filter
};

struct NamesOptions {
    std::vector<std::string> names;
    bool force = false;
    bool all = false;
    bool ignore = false;
    std::string format;
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
            {"Created", human_age(static_cast<int64_t>(std::time(nullptr)) - created)},
            {"CreatedSince", human_age(static_cast<int64_t>(std::time(nullptr)) - created)},
            {"CreatedAt", go_time_text(created * 1000000000)},
            {"Size", human_size(static_cast<uint64_t>(record.size))},
            // Podman's imageReporter fields beside the columns.
            {"Names", record.names},
            {"RepoTags", record.names},
            {"RepoDigests", record.digests},
            {"Dangling", record.names.empty()},
            {"ReadOnly", false},
            {"VirtualSize", record.size},
            {"History", join(record.names, ", ")},  // Podman's imageReporter.History()
            {"SharedSize", 0},
            {"ParentId", ""}};
}

// The image's labels, from its config (empty when it has none).
json image_labels(const std::string& graph_root, const storage::ImageRecord& image) {
    json labels = json::object();
    auto document = engine::inspect_image(graph_root, image.id);
    if (document.contains("Labels") && document["Labels"].is_object())
        for (const auto& [key, value] : document["Labels"].items())
            if (value.is_string()) labels[key] = value;
    return labels;
}

// images --format json: Podman's ImageSummary.
json image_json(const std::string& graph_root, const storage::ImageRecord& record, size_t containers) {
    auto inspected = engine::inspect_image(graph_root, record.id);
    return {{"Id", record.id.substr(7)},
            {"ParentId", ""},
            {"RepoTags", record.names},
            {"RepoDigests", inspected.value("RepoDigests", json::array())},
            {"Created", parse_created(record.created)},
            {"Size", record.size},
            {"SharedSize", 0},
            {"VirtualSize", record.size},
            {"Labels", image_labels(graph_root, record)},
            {"Containers", containers},
            {"Names", record.names},
            {"Digest", record.digests.empty() ? "" : record.digests.front()},
            {"Digests", record.digests},
            {"History", record.names},
            {"CreatedAt", record.created}};
}

// What images --filter looks at besides the records: other images, labels, the containers' images.
struct ImageFilterFacts {
    std::optional<storage::ImageRecord> referenced;  // the last image a before=/since= value named
    std::set<std::string> used_ids;
};

std::vector<storage::ImageRecord> filtered_images(const ImagesOptions& options, const std::string& graph_root) {
    auto filter_texts = options.filters;
    if (!options.image.empty()) filter_texts.push_back("reference=" + options.image);
    auto filters = parse_image_filters(filter_texts);
    auto images = engine::list_images(graph_root);
    if (filters.empty()) return images;
    ImageFilterFacts facts;
    ImageFilterContext context;
    context.now = static_cast<int64_t>(std::time(nullptr));
    context.find_image = [&](const std::string& text) -> const storage::ImageRecord* {
        try {
            facts.referenced = engine::resolve_image(graph_root, text);
        } catch (const Error&) {
            return nullptr;
        }
        return &*facts.referenced;
    };
    context.labels_of = [&](const storage::ImageRecord& image) {
        return image_labels(graph_root, image).get<std::map<std::string, std::string>>();
    };
    if (filters.values.contains("containers"))
        for (const auto& record : storage::ContainerStore(graph_root).list()) facts.used_ids.insert(record.image_id);
    context.in_use = [&](const storage::ImageRecord& image) { return facts.used_ids.contains(image.id); };
    check_image_filter_references(filters, context);
    std::erase_if(images, [&](const auto& image) { return !image_filter_matches(filters, image, context); });
    return images;
}

void print_image_table(const std::vector<json>& rows, bool digests, bool noheading) {
    std::vector<std::vector<std::string>> table{{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
    if (digests) table.front().insert(table.front().begin() + 2, "DIGEST");
    for (const auto& row : rows) {
        std::vector<std::string> cells{row["Repository"], row["Tag"], row["ID"], row["CreatedSince"], row["Size"]};
        if (digests) cells.insert(cells.begin() + 2, row["Digest"].get<std::string>());
        table.push_back(cells);
    }
    std::string text = format_table(table);
    std::fputs((noheading ? without_heading(text) : text).c_str(), stdout);
}

// images rows as templates see them: Podman's imageReporter fields and headings.
const TemplateSchema& images_template_schema() {
    static const TemplateSchema schema{
        "images",
        "images.imageReporter",
        {{"Labels", "map[string]string"}},
        {"Repository", "Tag", "ID", "Digest", "Created", "CreatedSince", "CreatedAt", "Size", "Names", "RepoTags",
         "RepoDigests", "Dangling", "ReadOnly", "VirtualSize", "Labels", "History", "SharedSize", "ParentId"},
        {{"ID", "IMAGE ID"}, {"CreatedSince", "CREATED"}, {"ReadOnly", "R/O"}}};
    return schema;
}

// Whether an image is an intermediate one, as Podman hides them from `images` without --all: it has no names and
// another image was built on it (its layers, then maybe more, and made later) - the steps `berth build` caches.
bool is_intermediate(const storage::ImageRecord& image, const std::vector<storage::ImageRecord>& all) {
    if (!image.names.empty()) return false;
    return std::any_of(all.begin(), all.end(), [&](const storage::ImageRecord& other) {
        if (other.id == image.id || other.layers.size() < image.layers.size()) return false;
        if (!std::equal(image.layers.begin(), image.layers.end(), other.layers.begin())) return false;
        return other.layers.size() > image.layers.size() || other.created > image.created;
    });
}

int run_images(const ImagesOptions& options, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    auto images = filtered_images(options, storage.graph_root);
    if (!options.all) {
        auto all = engine::list_images(storage.graph_root);
        std::erase_if(images, [&](const storage::ImageRecord& image) { return is_intermediate(image, all); });
    }
    if (options.quiet) {
        for (const auto& image : images)
            std::printf("%s\n", options.no_trunc ? image.id.c_str() : image.id.substr(7, 12).c_str());
        return 0;
    }
    if (gotemplate::is_json_format(options.format)) {
        std::map<std::string, size_t> containers;
        for (const auto& record : storage::ContainerStore(storage.graph_root).list()) ++containers[record.image_id];
        json list = json::array();
        for (const auto& image : images) list.push_back(image_json(storage.graph_root, image, containers[image.id]));
        std::printf("%s\n", list.dump(4).c_str());
        return 0;
    }
    // Labels cost a read of each config: only for templates that may use them.
    auto used = options.format.empty() ? std::optional<std::set<std::string>>(std::set<std::string>{})
                                       : template_fields(options.format, images_template_schema());
    bool want_labels = !used || used->contains("Labels");
    std::vector<json> rows;
    for (const auto& image : images) {
        json labels = want_labels ? image_labels(storage.graph_root, image) : json::object();
        auto add_row = [&](const std::string& name) {
            rows.push_back(image_row(image, name, options.no_trunc));
            rows.back()["Labels"] = labels;
        };
        if (image.names.empty()) add_row("");
        for (const auto& name : image.names) add_row(name);
    }
    if (options.format.empty()) {
        print_image_table(rows, options.digests, options.noheading);
        return 0;
    }
    std::string text = format_list(json(rows), options.format, images_template_schema());
    if (options.noheading && gotemplate::is_table_format(options.format)) text = without_heading(text);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

// Runs `action` for each name; an unknown image is reported and makes the status 1, as in Podman.
int for_each_image(const std::vector<std::string>& names, const std::function<void(const std::string&)>& action) {
    int status = 0;
    for (const auto& name : names) {
        try {
            action(name);
        } catch (const Error& error) {
            std::fprintf(stderr, "Error: %s\n", error.what());
            status = std::max(status, error.exit_status() == 2 ? 2 : 1);  // 2: in use by a container
        }
    }
    return status;
}

// rmi --force: the containers made from the image go first, running or not, as with Podman.
void remove_containers_of_image(const StorageContext& storage, const std::string& image_id) {
    auto remove_files = [&storage](const std::string& path) { remove_storage_tree(storage, path); };
    for (const auto& container : storage::ContainerStore(storage.graph_root).list())
        if (container.image_id == image_id)
            engine::remove_container(storage.graph_root, container.id, true, remove_files);
}

int run_rmi(const NamesOptions& options, const GlobalOptions& globals) {
    if (options.all && !options.names.empty())
        throw Error("when using the --all switch, you may not pass any images names or IDs");
    if (!options.all && options.names.empty()) throw Error("image name or ID must be specified");
    auto storage = open_storage(globals, true);
    std::vector<std::string> names = options.names;
    if (options.all)
        for (const auto& image : engine::list_images(storage.graph_root)) names.push_back(image.id);
    return for_each_image(names, [&](const std::string& name) {
        std::optional<storage::ImageRecord> record;
        try {
            record = engine::resolve_image(storage.graph_root, name);
        } catch (const Error&) {
            if (options.ignore) return;
            throw;
        }
        if (options.force) remove_containers_of_image(storage, record->id);
        auto removed = engine::remove_image(storage.graph_root, name);
        for (const auto& untagged : removed.untagged) std::printf("Untagged: %s\n", untagged.c_str());
        if (!removed.deleted.empty()) std::printf("Deleted: %s\n", removed.deleted.substr(7).c_str());
    });
}

int run_tag(const NamesOptions& options, const GlobalOptions& globals) {
    if (options.names.size() < 2) throw Error("tag requires at least 2 arguments: IMAGE TARGET_NAME...");
    auto storage = open_storage(globals, false);
    for (size_t i = 1; i < options.names.size(); ++i)
        engine::tag_image(storage.graph_root, options.names.front(), options.names[i]);
    return 0;
}

int run_untag(const NamesOptions& options, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    std::vector<std::string> names(options.names.begin() + 1, options.names.end());
    engine::untag_image(storage.graph_root, options.names.front(), names);
    return 0;
}

int run_inspect(const NamesOptions& options, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    json documents = json::array();
    int status = for_each_image(options.names, [&](const std::string& name) {
        documents.push_back(engine::inspect_image(storage.graph_root, name));
    });
    print_inspect(documents, options.format, image_inspect_schema());
    return status == 0 ? 0 : exit_berth_error;
}

int run_prune(const NamesOptions& options, const GlobalOptions& globals) {
    auto storage = open_storage(globals, true);
    for (const auto& id : engine::prune_images(storage.graph_root, options.all))
        std::printf("%s\n", id.substr(7).c_str());
    return 0;
}

void add_images(CommandTree& tree, CLI::App& parent, const std::string& name, const GlobalOptions& globals) {
    if (tree.skips(parent, name)) return;
    auto options = std::make_shared<ImagesOptions>();
    CommandHelp help{"[options] [IMAGE]",
                     "List the images in local storage (those matching IMAGE, when given).",
                     {"berth images", "berth images -q", "berth images --filter reference=busybox",
                      "berth images --format '{{.Repository}}:{{.Tag}}'"},
                     ValueKind::none};
    auto& images = tree.add_command(parent, name, "List images in local storage", std::move(help),
                                    [options, &globals] { return run_images(*options, globals); });
    if (name == "ls") images.alias("list");
    images.add_option("image", options->image, "List only images matching this reference");
    images.add_flag("-a,--all", options->all,
                    "Show all images (by default the intermediate images of builds are hidden)");
    images.add_flag("-q,--quiet", options->quiet, "Display only image IDs");
    images.add_flag("--digests", options->digests, "Show digests");
    images.add_flag("--no-trunc", options->no_trunc, "Do not truncate output");
    images.add_flag("-n,--noheading", options->noheading, "Do not print column headings");
    images.add_option("-f,--filter", options->filters,
                      "Filter output based on conditions provided (reference, label, dangling, before, since, "
                      "readonly, id, intermediate, containers, until)");
    images.add_option("--format", options->format, "Change the output format to JSON or a Go template");
}

void add_rmi(CommandTree& tree, CLI::App& parent, const std::string& name, const GlobalOptions& globals) {
    if (tree.skips(parent, name)) return;
    auto options = std::make_shared<NamesOptions>();
    CommandHelp help{"[options] IMAGE [IMAGE...]",
                     "Remove images from local storage, with the layers and blobs no other image uses.\n"
                     "Given one of several names of an image, only that name is removed.",
                     {"berth rmi busybox", "berth rmi 3f57d9401f8d", "berth rmi --all --force"},
                     ValueKind::images};
    auto& rmi = tree.add_command(parent, name, "Remove one or more images from local storage", std::move(help),
                                 [options, &globals] { return run_rmi(*options, globals); });
    if (name == "rm") rmi.alias("remove");
    rmi.add_option("image", options->names, "Images to remove");
    rmi.add_flag("-a,--all", options->all, "Remove all images");
    rmi.add_flag("-f,--force", options->force, "Remove the containers that use the images too");
    rmi.add_flag("-i,--ignore", options->ignore, "Ignore errors when a specified image is missing");
}

void add_tag_and_untag(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    auto tag_options = std::make_shared<NamesOptions>();
    CommandHelp tag_help{"IMAGE TARGET_NAME [TARGET_NAME...]",
                         "Add names to a local image.",
                         {"berth tag busybox localhost:5000/busybox:1"},
                         ValueKind::images};
    auto& tag = tree.add_command(parent, "tag", "Add an additional name to a local image", std::move(tag_help),
                                 [tag_options, &globals] { return run_tag(*tag_options, globals); });
    tag.add_option("names", tag_options->names, "The image, then its new names")->required();

    auto untag_options = std::make_shared<NamesOptions>();
    CommandHelp untag_help{"IMAGE [NAME...]",
                           "Remove names from a local image; without names, remove all of them. The image stays.",
                           {"berth untag busybox", "berth untag 3f57d9401f8d localhost:5000/busybox:1"},
                           ValueKind::images};
    auto& untag = tree.add_command(parent, "untag", "Remove a name from a local image", std::move(untag_help),
                                   [untag_options, &globals] { return run_untag(*untag_options, globals); });
    untag.add_option("names", untag_options->names, "The image, then the names to remove")->required();
}

void add_image_group(CommandTree& tree, const GlobalOptions& globals) {
    if (!tree.wants("image")) return;
    CommandHelp group_help{
        "[command]", "Manage images: list, inspect, tag, remove and prune them.", {"berth image ls"}, ValueKind::none};
    auto& image = tree.add_command(tree.root(), "image", "Manage images", std::move(group_help), nullptr);
    add_images(tree, image, "ls", globals);
    add_rmi(tree, image, "rm", globals);
    add_tag_and_untag(tree, image, globals);
    add_history_command(tree, image, globals);

    auto inspect_options = std::make_shared<NamesOptions>();
    CommandHelp inspect_help{"[options] IMAGE [IMAGE...]",
                             "Display the configuration of images as JSON, as Podman does.",
                             {"berth image inspect busybox", "berth image inspect --format '{{.Os}}' busybox"},
                             ValueKind::images};
    auto& inspect = tree.add_command(image, "inspect", "Display the configuration of an image", std::move(inspect_help),
                                     [inspect_options, &globals] { return run_inspect(*inspect_options, globals); });
    inspect.add_option("image", inspect_options->names, "Images to inspect")->required();
    inspect.add_option("-f,--format", inspect_options->format, "Change the output format to a Go template");

    add_exists_command(tree, image, globals,
                       {"image", "berth image exists busybox", ValueKind::images,
                        [](const StorageContext& storage, const std::string& name) {
                            try {
                                engine::resolve_image(storage.graph_root, name);
                                return true;
                            } catch (const Error&) {
                                return false;
                            }
                        }});

    auto prune_options = std::make_shared<NamesOptions>();
    CommandHelp prune_help{"[options]",
                           "Remove images that have no name (all images with --all), with their unused layers.",
                           {"berth image prune", "berth image prune --all"},
                           ValueKind::none};
    auto& prune = tree.add_command(image, "prune", "Remove unused images", std::move(prune_help),
                                   [prune_options, &globals] { return run_prune(*prune_options, globals); });
    prune.add_flag("-a,--all", prune_options->all, "Remove all images, not only those without names");
}

}  // namespace

void add_image_commands(CommandTree& tree, const GlobalOptions& globals) {
    add_images(tree, tree.root(), "images", globals);
    add_rmi(tree, tree.root(), "rmi", globals);
    add_tag_and_untag(tree, tree.root(), globals);
    add_history_command(tree, tree.root(), globals);
    add_image_group(tree, globals);
}

}  // namespace berth::cli
