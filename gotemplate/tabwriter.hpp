// Go's text/tabwriter as Podman configures it (minimum width 12, padding 2, spaces): cells end at a
// tab, and each column of consecutive lines is as wide as its widest cell plus the padding.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::gotemplate {

std::string align_columns(std::string_view text, size_t min_width = 12, size_t padding = 2);

}  // namespace berth::gotemplate
