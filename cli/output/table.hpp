// Podman-style tables: columns padded to their widest cell, separated by spaces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::cli {

std::string format_table(const std::vector<std::vector<std::string>>& rows);

// --noheading: the text without its first line (the heading row of a table).
std::string without_heading(const std::string& text);

// "4.5 MB", "120 kB", "12 B" (decimal units with three significant digits, as Podman).
std::string human_size(uint64_t bytes);

// Go's time.Time.String() of a unix time in nanoseconds, in the local zone:
// "2026-12-04 18:58:01.901771289 +0000 UTC" (trailing zeros of the fraction dropped).
std::string go_time_text(int64_t unix_ns);

// "3 minutes ago", "About an hour ago", "2 weeks ago" (as Podman's CREATED column).
std::string human_age(int64_t seconds);

}  // namespace berth::cli
