// images --filter KEY=VALUE (or KEY!=VALUE), as Podman 4.3 reads it: reference, label, dangling, before
// (and since/after), readonly, id, intermediate, containers and until. Several reference values are or-ed;
// every other value must hold (and-ed), as in Podman; dangling, intermediate, readonly and containers take
// one boolean (two different values are an error).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/image_store.hpp"

namespace berth::cli {

struct ImageFilterValue {
    std::string value;
    bool negated = false;  // KEY!=VALUE
};

struct ImageFilters {
    std::map<std::string, std::vector<ImageFilterValue>> values;  // key -> its values, in the order given
    bool empty() const { return values.empty(); }
};

// Parses the --filter values; throws Error with Podman's messages: `unsupported image filter "nope"`,
// `invalid image filter "nope": must be in the format "filter=value or filter!=value"`, `non-boolean value
// "dangling" for maybe filter: ...`, `specifying "dangling" filter more than once with different values is
// not supported`.
ImageFilters parse_image_filters(const std::vector<std::string>& filters);

// What a filter looks at besides the image record.
struct ImageFilterContext {
    // The image a before/since value names (by name or id); nullptr when none.
    std::function<const storage::ImageRecord*(const std::string&)> find_image;
    // The image's labels (read from its config only when a label filter asks).
    std::function<std::map<std::string, std::string>(const storage::ImageRecord&)> labels_of;
    // Whether a container uses the image.
    std::function<bool(const storage::ImageRecord&)> in_use;
    int64_t now = 0;  // unix seconds, for until=
};

// Resolves the images before= and since= name: Error `could not find local image for filter filter
// "before"="x": x: image not known` for one that is not there. Call once before matching.
void check_image_filter_references(const ImageFilters& filters, const ImageFilterContext& context);

// Whether `image` passes `filters`.
bool image_filter_matches(const ImageFilters& filters, const storage::ImageRecord& image,
                          const ImageFilterContext& context);

// An image's creation time (its config's RFC 3339 "created") in unix seconds; 0 when it has none.
int64_t image_created_seconds(const storage::ImageRecord& image);

}  // namespace berth::cli
