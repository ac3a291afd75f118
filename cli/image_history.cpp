#include "cli/image_history.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include "cli/output/format.hpp"
#include "cli/output/table.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "engine/image_commands.hpp"
#include "gotemplate/podman_format.hpp"
#include "storage/blob_store.hpp"
#include "storage/layer_store.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;

struct HistoryOptions {
    std::string image;
    std::string format;
    bool human = true;
    bool no_trunc = false;
    bool quiet = false;
};

std::string string_field(const json& object, const char* key) {
    auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// Seconds since the epoch of an RFC 3339 time (the fraction and zone offset honoured), 0 when unreadable.
int64_t unix_seconds(const std::string& text) {
    std::tm parts{};
    const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
    if (rest == nullptr) return 0;
    auto seconds = static_cast<int64_t>(::timegm(&parts));
    while (*rest == '.' || (*rest >= '0' && *rest <= '9')) ++rest;
    int sign = *rest == '+' ? -1 : *rest == '-' ? 1 : 0;
    int hours = 0, minutes = 0;
    if (sign != 0 && std::sscanf(rest + 1, "%d:%d", &hours, &minutes) == 2)
        seconds += sign * (hours * 3600 + minutes * 60);
    return seconds;
}

std::string rfc3339_seconds(int64_t seconds) {
    std::time_t time = seconds;
    std::tm parts{};
    ::gmtime_r(&time, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

// A row as templates and tables see it: Podman's historyReporter fields.
json reporter_row(const HistoryRow& row, const HistoryOptions& options) {
    int64_t created = unix_seconds(row.created);
    std::string when =
        options.human ? human_age(static_cast<int64_t>(std::time(nullptr)) - created) : rfc3339_seconds(created);
    std::string created_by = row.created_by;
    if (!options.no_trunc && created_by.size() > 45) created_by = created_by.substr(0, 42) + "...";
    std::string id = !options.no_trunc && row.id.size() >= 12 ? row.id.substr(0, 12) : row.id;
    return {{"ID", id},
            {"Created", when},
            {"CreatedSince", when},
            {"CreatedAt", go_time_text(created * 1000000000)},
            {"CreatedBy", created_by},
            {"Size", human_size(row.size)},
            {"Comment", row.comment},
            {"Tags", json::array()}};
}

// --format json: Podman's ImageHistoryLayer plus its "Created" in RFC 3339.
nlohmann::ordered_json json_row(const HistoryRow& row) {
    nlohmann::ordered_json entry = {{"id", row.id}, {"created", row.created}};
    if (!row.created_by.empty()) entry["CreatedBy"] = row.created_by;
    entry["size"] = row.size;
    if (!row.comment.empty()) entry["comment"] = row.comment;
    entry["Created"] = rfc3339_seconds(unix_seconds(row.created));
    return entry;
}

const TemplateSchema& history_schema() {
    static const TemplateSchema schema{"history",
                                       "images.historyReporter",
                                       {{"Tags", "[]string"}},
                                       {"ID", "Created", "CreatedBy", "Size", "Comment"},
                                       {{"CreatedBy", "CREATED BY"}}};
    return schema;
}

std::vector<HistoryRow> image_history(const StorageContext& storage, const std::string& name) {
    auto record = engine::resolve_image(storage.graph_root, name);
    auto config = json::parse(storage::BlobStore(storage.graph_root).read(record.id), nullptr, false);
    if (!config.is_object()) throw Error("image " + record.id + ": malformed config blob");
    storage::LayerStore layers(storage.graph_root);
    std::vector<uint64_t> sizes;
    for (const auto& chain_id : record.layers)
        sizes.push_back(layers.contains(chain_id) ? layers.size_of(chain_id) : 0);
    auto rows = history_rows(config, sizes, record.id.substr(7));
    for (auto& row : rows)
        if (row.created.empty()) row.created = record.created;
    return rows;
}

int run_history(const HistoryOptions& options, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    auto rows = image_history(storage, options.image);
    if (gotemplate::is_json_format(options.format)) {
        auto list = nlohmann::ordered_json::array();
        for (const auto& row : rows) list.push_back(json_row(row));
        std::printf("%s\n", list.dump().c_str());
        return 0;
    }
    json reporters = json::array();
    for (const auto& row : rows) reporters.push_back(reporter_row(row, options));
    std::string format = options.quiet ? "{{.ID}}"
                         : !options.format.empty()
                             ? options.format
                             : "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
    std::string text = format_list(reporters, format, history_schema());
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

}  // namespace

std::vector<HistoryRow> history_rows(const json& config, const std::vector<uint64_t>& layer_sizes,
                                     const std::string& image_hex) {
    std::vector<HistoryRow> rows;
    auto history = config.find("history");
    if (history != config.end() && history->is_array() && !history->empty()) {
        size_t layer = 0;
        for (const auto& entry : *history) {
            if (!entry.is_object()) continue;
            HistoryRow row{"<missing>", string_field(entry, "created"), string_field(entry, "created_by"),
                           string_field(entry, "comment"), 0};
            bool empty_layer = entry.value("empty_layer", false);
            if (!empty_layer && layer < layer_sizes.size()) row.size = layer_sizes[layer++];
            rows.push_back(row);
        }
    } else {
        for (uint64_t size : layer_sizes) rows.push_back({"<missing>", string_field(config, "created"), "", "", size});
    }
    std::reverse(rows.begin(), rows.end());
    if (!rows.empty()) rows.front().id = image_hex;
    return rows;
}

void add_history_command(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "history")) return;
    auto options = std::make_shared<HistoryOptions>();
    CommandHelp help{"[options] IMAGE",
                     "Show the history of an image: the instruction that made each layer, when, and the layer's\n"
                     "size, newest first.",
                     {"berth history busybox", "berth history --no-trunc --format '{{.ID}} {{.CreatedBy}}' busybox"},
                     ValueKind::images};
    auto& history = tree.add_command(parent, "history", "Show history of a specified image", std::move(help),
                                     [options, &globals] { return run_history(*options, globals); });
    history.add_option("image", options->image, "The image")->required();
    history.add_option("--format", options->format, "Change the output to JSON or a Go template");
    history.add_flag("-H,--human", options->human, "Display sizes and dates in human readable format (default true)");
    history.add_flag("--no-trunc", options->no_trunc, "Do not truncate the output");
    history.add_flag("-q,--quiet", options->quiet, "Display the numeric IDs only");
}

}  // namespace berth::cli
