#include "cli/output/document.hpp"

#include <cstdio>

#include "gotemplate/podman_format.hpp"

namespace berth::cli {

void print_document(const nlohmann::json& document, const std::string& format,
                    const std::function<std::string(const nlohmann::json&)>& default_text, const TemplateSchema& schema,
                    const std::function<nlohmann::json(const nlohmann::json&)>& template_view) {
    std::string text;
    if (format.empty())
        text = default_text(document);
    else if (gotemplate::is_json_format(format))
        text = document.dump(4) + "\n";
    else
        text = format_document(template_view ? template_view(document) : document, format, schema);
    std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace berth::cli
