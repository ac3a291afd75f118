#include "cli/image_filters.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace berth::cli {
namespace {

using storage::ImageRecord;

const std::set<std::string> keys = {"after", "before",   "containers", "dangling", "id",   "intermediate",
                                    "label", "readonly", "reference",  "since",    "until"};
const std::set<std::string> boolean_keys = {"containers", "dangling", "intermediate", "readonly"};

// Go's strconv.ParseBool.
std::optional<bool> parse_go_bool(const std::string& text) {
    static const std::set<std::string> yes = {"1", "t", "T", "TRUE", "true", "True"};
    static const std::set<std::string> no = {"0", "f", "F", "FALSE", "false", "False"};
    if (yes.contains(text)) return true;
    if (no.contains(text)) return false;
    return std::nullopt;
}

bool glob_matches(const std::string& pattern, const std::string& text) {
    return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0 ||
           ::fnmatch(("*/" + pattern).c_str(), text.c_str(), 0) == 0;
}

// reference=PATTERN: a glob on a name with its tag, or on its repository alone.
bool reference_matches(const std::string& pattern, const ImageRecord& image) {
    for (const auto& name : image.names) {
        std::string repository = name.substr(0, name.rfind(':'));
        if (glob_matches(pattern, name) || glob_matches(pattern, repository)) return true;
    }
    return false;
}

bool label_matches(const std::map<std::string, std::string>& labels, const std::string& value) {
    auto equals = value.find('=');
    auto found = labels.find(value.substr(0, equals));
    if (found == labels.end()) return false;
    return equals == std::string::npos || found->second == value.substr(equals + 1);
}

// until=: a duration before now (10m, 2h, 1h30m, 45s) or unix seconds.
int64_t until_seconds(const std::string& value, int64_t now) {
    if (auto seconds = parse_unsigned(value)) return static_cast<int64_t>(*seconds);
    int64_t total = 0, number = 0;
    bool digits = false;
    for (char c : value) {
        if (c >= '0' && c <= '9') {
            number = number * 10 + (c - '0');
            digits = true;
            continue;
        }
        int64_t unit = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : 0;
        if (!digits || unit == 0) throw Error("invalid until filter value \"" + value + "\": not a duration or a time");
        total += number * unit;
        number = 0;
        digits = false;
    }
    if (digits) throw Error("invalid until filter value \"" + value + "\": a duration needs a unit (s, m, h)");
    return now - total;
}

const ImageRecord& referenced(const std::string& key, const std::string& value, const ImageFilterContext& context) {
    const ImageRecord* found = context.find_image ? context.find_image(value) : nullptr;
    if (!found)
        throw Error("could not find local image for filter filter \"" + key + "\"=\"" + value + "\": " + value +
                    ": image not known");
    return *found;
}

bool value_matches(const std::string& key, const std::string& value, const ImageRecord& image,
                   const ImageFilterContext& context) {
    if (key == "reference") return reference_matches(value, image);
    if (key == "id") return image.id == "sha256:" + value;
    if (key == "label") return context.labels_of && label_matches(context.labels_of(image), value);
    if (key == "dangling") return image.names.empty() == *parse_go_bool(value);
    if (key == "readonly") return !*parse_go_bool(value);      // berth's stores are all writable
    if (key == "intermediate") return !*parse_go_bool(value);  // berth builds no intermediate images
    if (key == "containers") return (context.in_use && context.in_use(image)) == *parse_go_bool(value);
    if (key == "before") return image_created_seconds(image) < image_created_seconds(referenced(key, value, context));
    if (key == "since" || key == "after")
        return image_created_seconds(image) > image_created_seconds(referenced(key, value, context));
    if (key == "until") return image_created_seconds(image) < until_seconds(value, context.now);
    return false;
}

}  // namespace

int64_t image_created_seconds(const ImageRecord& image) {
    std::tm parts{};
    if (::strptime(image.created.c_str(), "%Y-%m-%dT%H:%M:%S", &parts) == nullptr) return 0;
    return static_cast<int64_t>(::timegm(&parts));
}

ImageFilters parse_image_filters(const std::vector<std::string>& filters) {
    ImageFilters parsed;
    for (const auto& text : filters) {
        auto equals = text.find('=');
        if (equals == std::string::npos)
            throw Error("invalid image filter \"" + text +
                        "\": must be in the format \"filter=value or filter!=value\"");
        bool negated = equals > 0 && text[equals - 1] == '!';
        std::string key = text.substr(0, negated ? equals - 1 : equals), value = text.substr(equals + 1);
        if (!keys.contains(key)) throw Error("unsupported image filter \"" + key + "\"");
        if (boolean_keys.contains(key)) {
            auto flag = parse_go_bool(value);
            if (!flag)
                throw Error("non-boolean value \"" + key + "\" for " + value +
                            " filter: strconv.ParseBool: parsing \"" + value + "\": invalid syntax");
            for (const auto& earlier : parsed.values[key])
                if (*parse_go_bool(earlier.value) != *flag)
                    throw Error("specifying \"" + key +
                                "\" filter more than once with different values is not supported");
        }
        parsed.values[key].push_back({value, negated});
    }
    return parsed;
}

void check_image_filter_references(const ImageFilters& filters, const ImageFilterContext& context) {
    for (const char* key : {"before", "since", "after"}) {
        auto found = filters.values.find(key);
        if (found == filters.values.end()) continue;
        for (const auto& value : found->second) referenced(key, value.value, context);
    }
}

bool image_filter_matches(const ImageFilters& filters, const ImageRecord& image, const ImageFilterContext& context) {
    for (const auto& [key, values] : filters.values) {
        auto test = [&](const ImageFilterValue& value) {
            return value_matches(key, value.value, image, context) != value.negated;
        };
        bool passed = key == "reference" ? std::any_of(values.begin(), values.end(), test)
                                         : std::all_of(values.begin(), values.end(), test);
        if (!passed) return false;
    }
    return true;
}

}  // namespace berth::cli
