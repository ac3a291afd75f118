#include "cli/output/document.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/output/go_template.hpp"

namespace berth::cli {

void print_document(const nlohmann::json& document, const std::string& format,
                    const std::function<std::string(const nlohmann::json&)>& default_text) {
    std::string lowered = format;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string text;
    if (format.empty())
        text = default_text(document);
    else if (lowered == "json")
        text = document.dump(4) + "\n";
    else
        text = render_template(format, document) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace berth::cli
