#include "cli/output/pull_progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>

namespace berth::cli {
namespace {

constexpr size_t bar_width = 30;

std::string bar(uint64_t bytes, uint64_t total) {
    size_t filled = total == 0 ? bar_width : static_cast<size_t>(bar_width * std::min(bytes, total) / total);
    std::string text = "[" + std::string(filled, '=');
    if (filled < bar_width) text += ">" + std::string(bar_width - filled - 1, '-');
    return text + "]";
}

}  // namespace

std::string binary_size(uint64_t bytes) {
    static constexpr std::array<const char*, 5> units{"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < units.size()) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f%s" : "%.1f%s", value, units[unit]);
    return text;
}

PullProgress::PullProgress(std::FILE* out) : out_(out), live_(::isatty(::fileno(out)) == 1) {}

void PullProgress::line(const std::string& text) {
    if (live_ && text.starts_with("Copying blob")) return;  // the live lines say it
    if (live_ && !layers_.empty()) finish();
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
}

void PullProgress::layer(const engine::LayerProgress& progress) {
    auto now = std::chrono::steady_clock::now();
    auto found = std::find_if(layers_.begin(), layers_.end(),
                              [&](const Layer& layer) { return layer.progress.digest == progress.digest; });
    if (found == layers_.end())
        layers_.push_back({progress, now});
    else
        found->progress = progress;
    if (!progress.done && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    redraw();
}

void PullProgress::finish() {
    if (!live_ || layers_.empty()) return;
    redraw();
    layers_.clear();
    drawn_ = 0;
}

std::string PullProgress::layer_line(const Layer& layer) const {
    const auto& progress = layer.progress;
    std::string line = "Copying blob " + progress.digest.substr(7, 12) + " ";
    if (progress.done) return line + "done";
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - layer.started).count();
    uint64_t rate = seconds > 0 ? static_cast<uint64_t>(static_cast<double>(progress.bytes) / seconds) : 0;
    return line + bar(progress.bytes, progress.total) + " " + binary_size(progress.bytes) + " / " +
           binary_size(progress.total) + " (" + binary_size(rate) + "/s)";
}

void PullProgress::redraw() {
    std::string screen;
    if (drawn_ > 0) screen += "\x1b[" + std::to_string(drawn_) + "A";
    for (const auto& layer : layers_) screen += "\r\x1b[2K" + layer_line(layer) + "\n";
    drawn_ = layers_.size();
    std::fputs(screen.c_str(), out_);
    std::fflush(out_);
}

}  // namespace berth::cli
