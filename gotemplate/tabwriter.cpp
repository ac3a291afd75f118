#include "gotemplate/tabwriter.hpp"

#include <vector>

namespace berth::gotemplate {
namespace {

size_t rune_count(std::string_view text) {
    size_t count = 0;
    for (unsigned char c : text) count += (c & 0xC0) != 0x80;
    return count;
}

// One line's cells; every cell but the last was terminated by a tab.
using Line = std::vector<std::string_view>;

class Aligner {
public:
    Aligner(std::vector<Line> lines, size_t min_width, size_t padding)
        : lines_(std::move(lines)), min_width_(min_width), padding_(padding) {}

    std::string run() {
        format(0, lines_.size());
        return std::move(out_);
    }

private:
    // Go's tabwriter.format: a column is a block of consecutive lines that all have a cell there.
    void format(size_t first, size_t end) {
        size_t column = widths_.size();
        for (size_t line = first; line < end; ++line) {
            if (column + 1 >= lines_[line].size()) continue;
            write_lines(first, line);
            first = line;
            size_t width = min_width_;
            for (; line < end && column + 1 < lines_[line].size(); ++line)
                width = std::max(width, rune_count(lines_[line][column]) + padding_);
            widths_.push_back(width);
            format(first, line);
            widths_.pop_back();
            first = line;
            --line;
        }
        write_lines(first, end);
    }

    void write_lines(size_t first, size_t end) {
        for (size_t line = first; line < end; ++line) {
            const auto& cells = lines_[line];
            for (size_t i = 0; i < cells.size(); ++i) {
                out_ += cells[i];
                if (i < widths_.size() && i + 1 < cells.size())
                    out_.append(widths_[i] - std::min(widths_[i], rune_count(cells[i])), ' ');
            }
            if (line + 1 < lines_.size() || !last_line_open_) out_ += '\n';
        }
        written_ = end;
    }

public:
    bool last_line_open_ = false;

private:
    std::vector<Line> lines_;
    size_t min_width_;
    size_t padding_;
    std::vector<size_t> widths_;
    size_t written_ = 0;
    std::string out_;
};

}  // namespace

std::string align_columns(std::string_view text, size_t min_width, size_t padding) {
    std::vector<Line> lines;
    size_t start = 0;
    bool open = !text.empty() && text.back() != '\n';
    while (start < text.size()) {
        size_t newline = text.find('\n', start);
        std::string_view line = text.substr(start, newline == std::string_view::npos ? text.npos : newline - start);
        Line cells;
        size_t cell = 0;
        for (size_t tab; (tab = line.find('\t', cell)) != std::string_view::npos; cell = tab + 1)
            cells.push_back(line.substr(cell, tab - cell));
        cells.push_back(line.substr(cell));
        lines.push_back(std::move(cells));
        if (newline == std::string_view::npos) break;
        start = newline + 1;
    }
    Aligner aligner(std::move(lines), min_width, padding);
    aligner.last_line_open_ = open;
    return aligner.run();
}

}  // namespace berth::gotemplate
