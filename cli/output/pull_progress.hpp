// What `berth pull` shows while it works: on a terminal one live line per layer (bytes, size,
// rate) as Podman does; elsewhere plain lines.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/image_pull.hpp"

namespace berth::cli {

class PullProgress {
public:
    explicit PullProgress(std::FILE* out);
    PullProgress(const PullProgress&) = delete;
    PullProgress& operator=(const PullProgress&) = delete;

    // Whether the output is a terminal, where layers get live lines.
    bool live() const { return live_; }
    // A message line ("Trying to pull ...").
    void line(const std::string& text);
    // A layer's progress; redrawn at most ten times a second, and when a layer is done.
    void layer(const engine::LayerProgress& progress);
    // Draws the final state of the layers.
    void finish();

private:
    struct Layer {
        engine::LayerProgress progress;
        std::chrono::steady_clock::time_point started;
    };
    void redraw();
    std::string layer_line(const Layer& layer) const;

    std::FILE* out_;
    bool live_;
    std::vector<Layer> layers_;
    size_t drawn_ = 0;  // live lines on the screen, below the cursor's starting line
    std::chrono::steady_clock::time_point last_draw_{};
};

// "1.2MiB", "512KiB", "12B": binary units, as in Podman's progress bars.
std::string binary_size(uint64_t bytes);

}  // namespace berth::cli
