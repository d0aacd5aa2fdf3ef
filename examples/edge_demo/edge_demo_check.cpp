// edge_demo_check: an oracle for edge_demo that shares no code with ctnn. It loads the input
// PNG, computes conv (3x3, the same filter on R, G and B, zero padding 1, bias 0), ReLU and
// 2x2 max pooling with plain loops in double, and compares them with what edge_demo wrote:
//   DIR/NAME.f32  within 1e-5 of the stage's largest magnitude (float32 sums vs double);
//   DIR/NAME.png  within one grey level of round(255 * (v - min) / (max - min)).
//
//   edge_demo_check --input circle.png --filter NAME --dir DIR
//   edge_demo_check --same-pixels A.png B.png     (RGB pixels equal: the committed test image)
#include <stb_image.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "filters.hpp"

namespace {

// Guards the shared table: the default must stay the textbook Sobel-x. (By index, not through
// find_filter's pointer: g++ 12 with -fsanitize=address does not fold a comparison of a
// global's address with nullptr in a constant expression.)
constexpr bool default_is_sobel_x() {
    for (std::size_t k = 0; k < edge_demo::filters.size(); ++k)
        if (edge_demo::filters[k].name == edge_demo::default_filter)
            return edge_demo::filters[k].taps == std::array<float, 9>{-1, 0, 1, -2, 0, 2, -1, 0, 1};
    return false;
}
static_assert(default_is_sobel_x());

struct plane {
    std::size_t c = 0, h = 0, w = 0;
    std::vector<double> v;
};

struct image {
    int w = 0, h = 0;
    std::vector<unsigned char> px; // HWC, `components` per pixel
};

image load(const std::string& file, int components) {
    image im;
    int in_file = 0;
    const std::unique_ptr<stbi_uc, void (*)(void*)> p(stbi_load(file.c_str(), &im.w, &im.h, &in_file, components),
                                                      &stbi_image_free);
    if (!p) throw std::runtime_error("cannot read " + file);
    im.px.assign(p.get(), p.get() + static_cast<std::size_t>(im.w) * static_cast<std::size_t>(im.h) *
                                         static_cast<std::size_t>(components));
    return im;
}

plane reference_conv(const image& rgb, const std::array<float, 9>& taps) {
    const auto h = static_cast<std::ptrdiff_t>(rgb.h), w = static_cast<std::ptrdiff_t>(rgb.w);
    plane out{1, static_cast<std::size_t>(h), static_cast<std::size_t>(w), {}};
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x) {
            double sum = 0;
            for (std::ptrdiff_t dy = -1; dy <= 1; ++dy)
                for (std::ptrdiff_t dx = -1; dx <= 1; ++dx) {
                    const std::ptrdiff_t yy = y + dy, xx = x + dx;
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue; // zero padding
                    const double tap = taps[static_cast<std::size_t>((dy + 1) * 3 + (dx + 1))];
                    for (std::size_t c = 0; c < 3; ++c)
                        sum += tap * rgb.px[static_cast<std::size_t>(yy * w + xx) * 3 + c];
                }
            out.v.push_back(sum);
        }
    return out;
}

plane reference_relu(plane p) {
    for (double& x : p.v) x = std::max(x, 0.0);
    return p;
}

plane reference_pool(const plane& p) {
    plane out{1, p.h / 2, p.w / 2, {}};
    for (std::size_t y = 0; y < out.h; ++y)
        for (std::size_t x = 0; x < out.w; ++x) {
            const auto at = [&](std::size_t yy, std::size_t xx) { return p.v[yy * p.w + xx]; };
            out.v.push_back(std::max({at(2 * y, 2 * x), at(2 * y, 2 * x + 1), at(2 * y + 1, 2 * x),
                                      at(2 * y + 1, 2 * x + 1)}));
        }
    return out;
}

plane read_f32(const std::string& file) {
    std::ifstream f(file, std::ios::binary);
    std::string header;
    if (!std::getline(f, header)) throw std::runtime_error("cannot read " + file);
    std::istringstream hs(header);
    std::string magic;
    plane p;
    if (!(hs >> magic >> p.c >> p.h >> p.w) || magic != "ctnn-f32")
        throw std::runtime_error(file + ": the header is not 'ctnn-f32 C H W'");
    std::vector<float> raw(p.c * p.h * p.w);
    f.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size() * sizeof(float)));
    if (!f || f.peek() != std::char_traits<char>::eof())
        throw std::runtime_error(file + ": not exactly C*H*W floats after the header");
    p.v.assign(raw.begin(), raw.end());
    return p;
}

/// Prints one line per stage; false when the stage does not match.
bool compare(const std::string& dir, const std::string& name, const plane& ref) {
    bool ok = true;
    const plane got = read_f32(dir + "/" + name + ".f32");
    std::printf("%-5s %zu x %zu x %zu", name.c_str(), ref.c, ref.h, ref.w);
    if (got.c != ref.c || got.h != ref.h || got.w != ref.w) {
        std::printf("  FAIL: %s.f32 is %zu x %zu x %zu\n", name.c_str(), got.c, got.h, got.w);
        return false;
    }
    double largest = 0, error = 0;
    for (std::size_t i = 0; i < ref.v.size(); ++i) {
        largest = std::max(largest, std::abs(ref.v[i]));
        error = std::max(error, std::abs(ref.v[i] - got.v[i]));
    }
    const double tolerance = 1e-5 * std::max(largest, 1.0);
    std::printf("  floats: max |error| %.3g (tolerance %.3g)", error, tolerance);
    if (!(error <= tolerance)) ok = false;

    const image png = load(dir + "/" + name + ".png", 1);
    if (static_cast<std::size_t>(png.w) != ref.w || static_cast<std::size_t>(png.h) != ref.h) {
        std::printf("  FAIL: %s.png is %d x %d\n", name.c_str(), png.w, png.h);
        return false;
    }
    const auto [lo, hi] = std::minmax_element(ref.v.begin(), ref.v.end());
    int worst = 0;
    for (std::size_t i = 0; i < ref.v.size(); ++i) {
        const long want = *hi > *lo ? std::lround((ref.v[i] - *lo) * 255.0 / (*hi - *lo)) : 0;
        worst = std::max(worst, static_cast<int>(std::labs(want - png.px[i])));
    }
    std::printf("  png: max grey error %d (tolerance 1)", worst);
    if (worst > 1) ok = false;
    std::printf("  %s\n", ok ? "ok" : "FAIL");
    return ok;
}

int check_run(const std::string& input, const std::string& filter_name, const std::string& dir) {
    const edge_demo::named_filter* f = edge_demo::find_filter(filter_name);
    if (!f) throw std::runtime_error("no filter called " + filter_name);
    const image rgb = load(input, 3);
    const plane conv = reference_conv(rgb, f->taps), relu = reference_relu(conv), pool = reference_pool(relu);
    std::printf("edge_demo_check: %s on %s, outputs in %s\n", f->name.data(), input.c_str(), dir.c_str());
    bool ok = compare(dir, "conv", conv); // every stage compared and reported, whatever the first gave
    ok = compare(dir, "relu", relu) && ok;
    ok = compare(dir, "pool", pool) && ok;
    std::printf("edge_demo_check: %s\n", ok ? "all stages match" : "MISMATCH");
    return ok ? 0 : 1;
}

int check_same_pixels(const std::string& a, const std::string& b) {
    const image x = load(a, 3), y = load(b, 3);
    if (x.w != y.w || x.h != y.h || x.px != y.px) {
        std::printf("edge_demo_check: %s and %s differ (%d x %d vs %d x %d)\n", a.c_str(), b.c_str(), x.w, x.h,
                    y.w, y.h);
        return 1;
    }
    std::printf("edge_demo_check: %s and %s have the same %d x %d RGB pixels\n", a.c_str(), b.c_str(), x.w, x.h);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 4 && std::strcmp(argv[1], "--same-pixels") == 0) return check_same_pixels(argv[2], argv[3]);
        if (argc == 7 && std::strcmp(argv[1], "--input") == 0 && std::strcmp(argv[3], "--filter") == 0 &&
            std::strcmp(argv[5], "--dir") == 0)
            return check_run(argv[2], argv[4], argv[6]);
        std::fprintf(stderr, "usage: edge_demo_check --input PNG --filter NAME --dir DIR\n"
                             "       edge_demo_check --same-pixels A.png B.png\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "edge_demo_check: error: %s\n", e.what());
        return 1;
    }
}
