// The nine named 3x3 filters of the seed's source, the ai-edu notebook (Step 8, "what a
// convolution kernel does": try_filters in ch17's Level1 script), in the notebook's order
// and with its numbers. Plain data with no ctnn in it: edge_demo feeds a row to ctnn,
// edge_check computes the same row with plain loops.
//
// Taps are row-major, applied as cross-correlation (as PyTorch, the seed and ctnn do):
// out[y][x] = sum over dy, dx in -1..1 of taps[(dy + 1) * 3 + (dx + 1)] * in[y + dy][x + dx].
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace edge_demo {

struct named_filter {
    std::string_view name;
    std::string_view notebook_name; // as the notebook spells it
    std::string_view effect;
    std::array<float, 9> taps;
};

// clang-format off
inline constexpr std::array<named_filter, 9> filters{{
    {"sharpness",       "sharpness",       "the centre against its four neighbours: sharpen",
        { 0, -1,  0,   -1,  5, -1,    0, -1,  0}},
    {"vertical_edge",   "vertical edge",   "second difference along x: vertical lines and edges",
        { 0,  0,  0,   -1,  2, -1,    0,  0,  0}},
    {"surround",        "surround",        "eight neighbours minus nine centres: outline on a negative",
        { 1,  1,  1,    1, -9,  1,    1,  1,  1}},
    {"sobel_y",         "sobel y",         "gradient along y: horizontal edges",
        {-1, -2, -1,    0,  0,  0,    1,  2,  1}},
    {"nothing",         "nothing",         "identity: the picture itself",
        { 0,  0,  0,    0,  1,  0,    0,  0,  0}},
    {"horizontal_edge", "horizontal edge", "second difference along y: horizontal lines and edges",
        { 0, -1,  0,    0,  2,  0,    0, -1,  0}},
    // 0.11, not 1/9: the notebook's numbers.
    {"blur",            "blur",            "box blur",
        {0.11f, 0.11f, 0.11f,   0.11f, 0.11f, 0.11f,   0.11f, 0.11f, 0.11f}},
    {"sobel_x",         "sobel x",         "gradient along x: vertical edges (the seed's figure)",
        {-1,  0,  1,   -2,  0,  2,   -1,  0,  1}},
    {"embossing",       "embossing",       "diagonal relief: emboss",
        { 2,  0,  0,    0, -1,  0,    0,  0, -1}},
}};
// clang-format on

inline constexpr std::string_view default_filter = "sobel_x";

/// The filter called `name` ("sobel_x"; the notebook's "sobel x" and "sobel-x" work too), or nullptr.
constexpr const named_filter* find_filter(std::string_view name) noexcept {
    for (const auto& f : filters) {
        if (f.name.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < name.size() && same; ++i) {
            const char c = name[i] == ' ' || name[i] == '-' ? '_' : name[i];
            same = c == f.name[i];
        }
        if (same) return &f;
    }
    return nullptr;
}

} // namespace edge_demo
