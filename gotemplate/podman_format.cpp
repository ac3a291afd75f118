#include "gotemplate/podman_format.hpp"

#include <cctype>

#include "gotemplate/tabwriter.hpp"

namespace berth::gotemplate {
namespace {

// Rewrites the text outside actions with `text_rule` and the actions with `action_rule`.
template <typename TextRule, typename ActionRule>
std::string rewrite(std::string_view format, TextRule text_rule, ActionRule action_rule) {
    std::string out;
    size_t position = 0;
    while (position < format.size()) {
        size_t open = format.find("{{", position);
        if (open == std::string_view::npos) open = format.size();
        text_rule(format.substr(position, open - position), out);
        if (open == format.size()) break;
        size_t close = format.find("}}", open + 2);
        size_t end = close == std::string_view::npos ? format.size() : close + 2;
        action_rule(format.substr(open, end - open), out);
        position = end;
    }
    return out;
}

void unescape(std::string_view text, std::string& out) {
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
            out += text[++i] == 't' ? '\t' : '\n';
        } else {
            out += text[i];
        }
    }
}

// Whether an action writes a line end itself through a `\n` in one of its strings.
bool action_writes_line_end(std::string_view format) {
    bool found = false;
    rewrite(
        format, [](std::string_view, std::string&) {},
        [&](std::string_view action, std::string&) { found = found || action.find("\\n") != std::string_view::npos; });
    return found;
}

// Podman's test of whether a format ranges over the list itself: "{{ range . }}" and later "{{ end -}}".
bool ranges_over_list(std::string_view text) {
    auto skip_spaces = [&](size_t& i) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    };
    auto action_at = [&](size_t i, std::string_view word, bool dot, bool dash) {
        if (!text.substr(i).starts_with("{{")) return false;
        i += 2;
        skip_spaces(i);
        if (!text.substr(i).starts_with(word)) return false;
        i += word.size();
        skip_spaces(i);
        if (dot) {
            if (i >= text.size() || text[i] != '.') return false;
            ++i;
            skip_spaces(i);
        }
        if (dash && i < text.size() && text[i] == '-') {
            ++i;
            skip_spaces(i);
        }
        return text.substr(i).starts_with("}}");
    };
    for (size_t open = text.find("{{"); open != std::string_view::npos; open = text.find("{{", open + 1)) {
        if (!action_at(open, "range", true, false)) continue;
        for (size_t end = text.find("{{", open + 2); end != std::string_view::npos; end = text.find("{{", end + 1))
            if (action_at(end, "end", false, true)) return true;
        return false;
    }
    return false;
}

}  // namespace

bool is_json_format(std::string_view format) {
    if (format.size() != 4) return false;
    std::string lowered;
    for (char c : format) lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lowered == "json";
}

bool is_table_format(std::string_view format) { return format.starts_with("table "); }

std::string normalize_format(std::string_view format, bool over_list) {
    bool table = is_table_format(format);
    std::string text;
    if (table) {
        format.remove_prefix(6);
        auto tabs = [](std::string_view part, std::string& out) {
            std::string spaced;
            unescape(part, spaced);
            for (char& c : spaced)
                if (c == ' ') c = '\t';
            out += spaced;
        };
        text = rewrite(format, tabs, [](std::string_view action, std::string& out) {
            for (size_t i = 0; i < action.size(); ++i) {
                if (action[i] == ' ')
                    out += '\t';
                else if (action[i] == '\\' && i + 1 < action.size() && action[i + 1] == 't')
                    out += '\t', ++i;
                else
                    out += action[i];
            }
        });
    } else {
        text = rewrite(format, unescape, [](std::string_view action, std::string& out) {
            for (size_t i = 0; i < action.size(); ++i) {
                if (action[i] == '\\' && i + 1 < action.size() && action[i + 1] == 't')
                    out += '\t', ++i;
                else
                    out += action[i];
            }
        });
    }
    if (!text.ends_with('\n') && !action_writes_line_end(format)) text += '\n';
    if (table || (over_list && !ranges_over_list(text))) text = "{{range .}}" + text + "{{end -}}";
    return text;
}

std::string heading(std::string_view field) {
    // Words as Go's camelcase package splits them: runs of lower-case letters, upper-case letters and
    // digits; an upper-case run followed by lower-case letters gives its last letter to them ("HTTPServer").
    enum Class { lower, upper, digit, other };
    auto class_of = [](char c) {
        if (c >= 'a' && c <= 'z') return lower;
        if (c >= 'A' && c <= 'Z') return upper;
        if (c >= '0' && c <= '9') return digit;
        return other;
    };
    std::vector<std::string> runs;
    Class previous = other;
    for (char c : field) {
        Class current = class_of(c);
        if (runs.empty() || current != previous) runs.emplace_back();
        runs.back() += c;
        previous = current;
    }
    for (size_t i = 0; i + 1 < runs.size(); ++i) {
        if (class_of(runs[i][0]) == upper && class_of(runs[i + 1][0]) == lower) {
            runs[i + 1].insert(runs[i + 1].begin(), runs[i].back());
            runs[i].pop_back();
        }
    }
    std::string out;
    for (const auto& run : runs) {
        if (run.empty()) continue;
        if (!out.empty()) out += ' ';
        out += run;
    }
    for (auto& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return out;
}

nlohmann::json headings(const std::vector<std::string>& fields, const std::map<std::string, std::string>& overrides) {
    nlohmann::json row = nlohmann::json::object();
    for (const auto& field : fields) row[field] = heading(field);
    for (const auto& [field, text] : overrides) {
        std::string upper = text;
        for (auto& c : upper)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        row[field] = upper;
    }
    return row;
}

Report::Report(std::string name, std::string_view format, bool over_list)
    : table_(is_table_format(format)),
      template_(Template::parse(std::move(name), normalize_format(format, over_list))) {}

std::string Report::render(const nlohmann::json& data, const ExecuteOptions& options,
                           const nlohmann::json& heading_row) const {
    std::string out;
    if (table_) {
        ExecuteOptions heading_options;
        heading_options.root_type = "[]map[string]string";
        template_.execute(nlohmann::json::array({heading_row}), heading_options, out);
    }
    template_.execute(data, options, out);
    return table_ ? align_columns(out) : out;
}

}  // namespace berth::gotemplate
