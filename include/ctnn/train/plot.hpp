// Training curves as a standalone SVG a browser opens: loss (left) and accuracy (right) per
// epoch, training and validation. Plain text output, no dependencies.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ctnn {

/// One epoch of a training run.
struct epoch_record {
    std::size_t epoch = 0; ///< from 1
    double train_loss = 0, train_accuracy = 0;
    double val_loss = 0, val_accuracy = 0;
    double seconds = 0;
    double learning_rate = 0;
    bool improved = false; ///< validation loss was the best so far
};

namespace detail {

inline std::string fmt(double v, int digits = 3) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*g", digits, v);
    return b;
}

/// One panel: axes, ticks, two series.
inline void svg_panel(std::string& svg, double x0, double y0, double w, double h, const std::string& title,
                      const std::vector<double>& a, const std::vector<double>& b, const char* a_name,
                      const char* b_name, bool percent) {
    const std::size_t n = std::max(a.size(), b.size());
    double lo = 1e300, hi = -1e300;
    for (double v : a) lo = std::min(lo, v), hi = std::max(hi, v);
    for (double v : b) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!(hi > lo)) lo -= 0.5, hi += 0.5;
    const double pad = (hi - lo) * 0.05;
    lo = std::max(lo - pad, 0.0); // losses and accuracies are never negative
    hi = percent ? std::min(hi + pad, 1.0) : hi + pad;
    const double left = x0 + 56, right = x0 + w - 12, top = y0 + 28, bottom = y0 + h - 36;
    auto px = [&](std::size_t i) {
        return n <= 1 ? (left + right) / 2 : left + (right - left) * static_cast<double>(i) / static_cast<double>(n - 1);
    };
    auto py = [&](double v) { return bottom - (bottom - top) * (v - lo) / (hi - lo); };
    svg += "<text x='" + fmt(x0 + w / 2, 6) + "' y='" + fmt(y0 + 18, 6) +
           "' text-anchor='middle' font-size='14' font-weight='bold'>" + title + "</text>\n";
    svg += "<rect x='" + fmt(left, 6) + "' y='" + fmt(top, 6) + "' width='" + fmt(right - left, 6) + "' height='" +
           fmt(bottom - top, 6) + "' fill='none' stroke='#444'/>\n";
    for (int t = 0; t <= 4; ++t) {
        const double v = lo + (hi - lo) * t / 4.0, y = py(v);
        svg += "<line x1='" + fmt(left, 6) + "' x2='" + fmt(right, 6) + "' y1='" + fmt(y, 6) + "' y2='" + fmt(y, 6) +
               "' stroke='#ddd'/>\n";
        svg += "<text x='" + fmt(left - 4, 6) + "' y='" + fmt(y + 4, 6) + "' text-anchor='end' font-size='11'>" +
               (percent ? fmt(v * 100, 4) + "%" : fmt(v, 3)) + "</text>\n";
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (n > 12 && i % ((n + 11) / 12) != 0 && i + 1 != n) continue;
        svg += "<text x='" + fmt(px(i), 6) + "' y='" + fmt(bottom + 16, 6) + "' text-anchor='middle' font-size='11'>" +
               std::to_string(i + 1) + "</text>\n";
    }
    svg += "<text x='" + fmt((left + right) / 2, 6) + "' y='" + fmt(bottom + 32, 6) +
           "' text-anchor='middle' font-size='12'>epoch</text>\n";
    auto series = [&](const std::vector<double>& s, const char* colour, const char* name, double ly) {
        if (s.empty()) return;
        std::string pts;
        for (std::size_t i = 0; i < s.size(); ++i) pts += fmt(px(i), 6) + "," + fmt(py(s[i]), 6) + " ";
        svg += "<polyline fill='none' stroke='" + std::string(colour) + "' stroke-width='2' points='" + pts + "'/>\n";
        for (std::size_t i = 0; i < s.size(); ++i)
            svg += "<circle cx='" + fmt(px(i), 6) + "' cy='" + fmt(py(s[i]), 6) + "' r='2.5' fill='" + colour + "'/>\n";
        svg += "<line x1='" + fmt(right - 110, 6) + "' x2='" + fmt(right - 90, 6) + "' y1='" + fmt(ly, 6) + "' y2='" +
               fmt(ly, 6) + "' stroke='" + colour + "' stroke-width='2'/>\n";
        svg += "<text x='" + fmt(right - 86, 6) + "' y='" + fmt(ly + 4, 6) + "' font-size='11'>" + name + "</text>\n";
    };
    // Losses fall and accuracies rise: put the legend where the curves are not.
    const double legend = percent ? bottom - 36 : top + 14;
    series(a, "#1f77b4", a_name, legend);
    series(b, "#d62728", b_name, legend + 16);
}

} // namespace detail

/// Writes loss and accuracy curves of `history` to an SVG file.
inline void write_training_plot(const std::string& path, const std::vector<epoch_record>& history,
                                const std::string& title = "ctnn training") {
    std::vector<double> tl, vl, ta, va;
    for (const auto& r : history) {
        tl.push_back(r.train_loss);
        vl.push_back(r.val_loss);
        ta.push_back(r.train_accuracy);
        va.push_back(r.val_accuracy);
    }
    std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='900' height='360' "
                      "font-family='sans-serif'>\n<rect width='900' height='360' fill='white'/>\n";
    svg += "<text x='450' y='20' text-anchor='middle' font-size='16'>" + title + "</text>\n";
    detail::svg_panel(svg, 0, 24, 450, 336, "loss", tl, vl, "training", "validation", false);
    detail::svg_panel(svg, 450, 24, 450, 336, "accuracy", ta, va, "training", "validation", true);
    svg += "</svg>\n";
    std::ofstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("ctnn::write_training_plot: cannot open " + path + " for writing");
    f << svg;
    if (!f) throw std::runtime_error("ctnn::write_training_plot: writing " + path + " failed");
}

} // namespace ctnn
