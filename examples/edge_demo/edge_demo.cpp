// edge_demo: the first figure of the seed's CNN notes, computed by ctnn. A colour picture of
// a circle goes through a 3-input, 1-output 3x3 convolution (the seed's "3x1x3x3" kernel: one
// named 3x3 filter, the same on each of R, G and B, bias 0, padding 1), ReLU and 2x2 max
// pooling. Each stage is written twice:
//   NAME.png  grey, mapped linearly from the stage's own [min, max] to [0, 255]
//             (the notebook's normalize(); a constant stage maps to 0);
//   NAME.f32  the exact floats: the text line "ctnn-f32 C H W\n", then C*H*W little-endian
//             float32 values in CHW order.
//
// Assumes the input is exactly image_width x image_height pixels: the network's input size is
// part of its type. Pixel values stay 0..255, as the notebook feeds cv2's uint8 values in.
//
//   edge_demo [--filter NAME | --filter list] [--input FILE] [--out DIR]
//   edge_demo --make-test-image FILE [--size WxH]     draws circle.png
#include <ctnn/ctnn.hpp>

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "filters.hpp"

#ifndef EDGE_DEMO_DEFAULT_INPUT
#define EDGE_DEMO_DEFAULT_INPUT "circle.png"
#endif

namespace {

constexpr std::size_t image_width = 96, image_height = 96;

using edge_net = ctnn::network<ctnn::input<3, image_height, image_width>,
                               ctnn::conv2d<1, 3, ctnn::pad<1>>, // entry 1: the 3x1x3x3 kernel
                               ctnn::relu,                       // entry 2
                               ctnn::max_pool2d<2>>;             // entry 3

template <std::size_t I>
using stage_shape = typename edge_net::layer<I>::out_shape;

static_assert(stage_shape<1>{} == ctnn::shape<1, image_height, image_width>{});
static_assert(stage_shape<3>{} == ctnn::shape<1, image_height / 2, image_width / 2>{});
static_assert(std::endian::native == std::endian::little, "edge_demo writes .f32 files as the host stores floats");

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct options {
    std::string filter{edge_demo::default_filter};
    std::filesystem::path input = EDGE_DEMO_DEFAULT_INPUT;
    std::filesystem::path out = ".";
    std::optional<std::filesystem::path> make_test_image;
    std::size_t make_width = image_width, make_height = image_height;
    bool size_given = false;
    bool help = false;
};

void print_usage(std::ostream& os) {
    os << "usage: edge_demo [--filter NAME | --filter list] [--input FILE] [--out DIR]\n"
          "       edge_demo --make-test-image FILE [--size WxH]\n"
          "Runs a colour " << image_width << " x " << image_height
       << " image through conv 3x3 (one filter, the same on R, G and B) -> relu -> 2x2 max pool\n"
          "and writes conv, relu and pool as .png (min..max mapped to 0..255) and .f32 (exact floats).\n"
          "Defaults: --filter " << edge_demo::default_filter << ", --input " << EDGE_DEMO_DEFAULT_INPUT
       << ", --out .\n";
}

/// "96x64" -> {96, 64}: width, height.
std::pair<std::size_t, std::size_t> parse_size(const std::string& text) {
    std::size_t w = 0, h = 0;
    char x = 0, rest = 0;
    std::istringstream is(text);
    if (!(is >> w >> x >> h) || (x != 'x' && x != 'X') || is >> rest || w < 2 || h < 2 || w > 4096 || h > 4096)
        throw usage_error("--size wants WIDTHxHEIGHT, each 2..4096, like 96x96; got '" + text + "'");
    return {w, h};
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw usage_error(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "--filter") {
            o.filter = value();
        } else if (arg == "--input") {
            o.input = value();
        } else if (arg == "--out") {
            o.out = value();
        } else if (arg == "--make-test-image") {
            o.make_test_image = value();
        } else if (arg == "--size") {
            std::tie(o.make_width, o.make_height) = parse_size(value());
            o.size_given = true;
        } else if (arg == "--help" || arg == "-h") {
            o.help = true;
        } else {
            throw usage_error("unknown argument '" + std::string(arg) + "'");
        }
    }
    if (o.size_given && !o.make_test_image) throw usage_error("--size goes with --make-test-image");
    return o;
}

std::string taps_row(const edge_demo::named_filter& f, std::size_t row) {
    std::ostringstream os;
    for (std::size_t k = 0; k < 3; ++k) os << std::setw(5) << f.taps[row * 3 + k];
    return os.str();
}

void print_filters(std::ostream& os) {
    for (const auto& f : edge_demo::filters)
        os << std::left << std::setw(16) << f.name << std::right << taps_row(f, 0) << "  |" << taps_row(f, 1)
           << "  |" << taps_row(f, 2) << "   " << f.effect << '\n';
}

// The test image: an orange disc (radius 3/8 of the smaller side, centred) on a dark blue
// ground. On the ground red rises to the right and green downwards, by one step per two
// pixels (so a central difference sees an even ramp, not bands); on the disc green rises
// downwards by one per pixel; blue is flat: the three channels differ. The rim is antialiased by 4x4 supersampling. Integer arithmetic
// only: every machine draws the same bytes.
std::vector<unsigned char> draw_test_image(std::size_t width, std::size_t height) {
    using i64 = long long;
    const auto w = static_cast<i64>(width), h = static_cast<i64>(height);
    // Units of 1/8 pixel: pixel x spans [8x, 8x + 8); its subsamples sit at 8x + 1, 3, 5, 7.
    const i64 cx = 4 * w, cy = 4 * h, radius = 3 * std::min(w, h);
    std::vector<unsigned char> rgb(width * height * 3);
    for (i64 y = 0; y < h; ++y) {
        for (i64 x = 0; x < w; ++x) {
            i64 covered = 0; // of 16 subsamples
            for (i64 sy = 0; sy < 4; ++sy)
                for (i64 sx = 0; sx < 4; ++sx) {
                    const i64 dx = 8 * x + 2 * sx + 1 - cx, dy = 8 * y + 2 * sy + 1 - cy;
                    covered += dx * dx + dy * dy <= radius * radius;
                }
            const i64 ground[3] = {10 + x / 2, 20 + y / 2, 70};
            const i64 disc[3] = {250, 120 + y, 40};
            for (std::size_t c = 0; c < 3; ++c) {
                const i64 v = (ground[c] * (16 - covered) + disc[c] * covered + 8) / 16;
                rgb[static_cast<std::size_t>(y * w + x) * 3 + c] = static_cast<unsigned char>(std::min<i64>(v, 255));
            }
        }
    }
    return rgb;
}

void write_png(const std::filesystem::path& file, std::size_t width, std::size_t height, int components,
               const unsigned char* data) {
    const int w = static_cast<int>(width), h = static_cast<int>(height);
    if (!stbi_write_png(file.string().c_str(), w, h, components, data, w * components))
        throw std::runtime_error("cannot write " + file.string());
}

/// The image in `file` as C x H x W floats (0..255), if it is exactly the network's input size.
std::vector<float> load_input(const std::filesystem::path& file) {
    int w = 0, h = 0, channels_in_file = 0;
    const std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
        stbi_load(file.string().c_str(), &w, &h, &channels_in_file, 3), &stbi_image_free);
    if (!pixels) {
        const char* why = stbi_failure_reason();
        throw std::runtime_error("cannot read " + file.string() + " as an image (" +
                                 (why ? why : "unknown reason") + ")");
    }
    if (static_cast<std::size_t>(w) != image_width || static_cast<std::size_t>(h) != image_height)
        throw std::runtime_error(file.string() + " is " + std::to_string(w) + " x " + std::to_string(h) +
                                 " pixels (width x height), but this network takes " +
                                 std::to_string(image_width) + " x " + std::to_string(image_height) +
                                 " (ctnn::input<3, " + std::to_string(image_height) + ", " +
                                 std::to_string(image_width) +
                                 ">); resize the image, or change image_width and image_height in edge_demo.cpp");
    // HWC uint8 (R, G, B interleaved) -> CHW float.
    std::vector<float> chw(edge_net::input_size);
    constexpr std::size_t plane = image_height * image_width;
    for (std::size_t i = 0; i < plane; ++i)
        for (std::size_t c = 0; c < 3; ++c) chw[c * plane + i] = static_cast<float>(pixels.get()[i * 3 + c]);
    return chw;
}

/// One stage's values written as NAME.png and NAME.f32 into `dir`.
template <ctnn::any_shape Shape>
void write_stage(const std::filesystem::path& dir, const std::string& name, std::span<const float> v) {
    using dims = ctnn::chw<Shape>;
    static_assert(dims::c == 1, "edge_demo writes one grey picture per stage");
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    std::vector<unsigned char> grey(v.size());
    if (*hi > *lo) {
        const double scale = 255.0 / (static_cast<double>(*hi) - static_cast<double>(*lo));
        for (std::size_t i = 0; i < v.size(); ++i)
            grey[i] = static_cast<unsigned char>(
                std::lround((static_cast<double>(v[i]) - static_cast<double>(*lo)) * scale));
    }
    write_png(dir / (name + ".png"), dims::w, dims::h, 1, grey.data());

    const auto raw = dir / (name + ".f32");
    std::ofstream f(raw, std::ios::binary);
    f << "ctnn-f32 " << dims::c << ' ' << dims::h << ' ' << dims::w << '\n';
    f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size_bytes()));
    if (!f.flush()) throw std::runtime_error("cannot write " + raw.string());
}

std::string shape_text(auto shape) {
    std::ostringstream os;
    os << shape;
    return os.str();
}

void print_stage(std::string_view stage, const std::string& shape, std::span<const float> v, std::string_view files) {
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    std::cout << std::left << std::setw(7) << stage << std::setw(15) << shape << std::right << "min "
              << std::setw(8) << *lo << "   max " << std::setw(8) << *hi << files << '\n';
}

int run(int argc, char** argv) {
    const options o = parse(argc, argv);
    if (o.help) {
        print_usage(std::cout);
        return 0;
    }
    if (o.make_test_image) {
        write_png(*o.make_test_image, o.make_width, o.make_height, 3,
                  draw_test_image(o.make_width, o.make_height).data());
        std::cout << "edge_demo: drew " << o.make_test_image->string() << " (" << o.make_width << " x "
                  << o.make_height << ")\n";
        return 0;
    }
    if (o.filter == "list") {
        print_filters(std::cout);
        return 0;
    }
    const edge_demo::named_filter* filter = edge_demo::find_filter(o.filter);
    if (!filter) throw usage_error("no filter called '" + o.filter + "'; `edge_demo --filter list` shows the nine");

    const std::vector<float> in = load_input(o.input);

    ctnn::model<edge_net> m(1);
    auto weight = m.params().tensor<1, 0>(); // OIHW: 1 x 3 x 3 x 3
    for (std::size_t c = 0; c < 3; ++c) std::copy(filter->taps.begin(), filter->taps.end(), weight.data() + 9 * c);
    std::ranges::fill(m.params().tensor<1, 1>(), 0.0f);

    // Stage by stage, through the bound layers, to keep each stage's output.
    std::vector<float> conv(stage_shape<1>::size), relu(stage_shape<2>::size), pool(stage_shape<3>::size);
    const float* params = m.params().values.data();
    edge_net::layer<1>::forward(in.data(), conv.data(), params + edge_net::param_offset[1], 1);
    edge_net::layer<2>::forward(conv.data(), relu.data(), params + edge_net::param_offset[2], 1);
    edge_net::layer<3>::forward(relu.data(), pool.data(), params + edge_net::param_offset[3], 1);

    // The whole network in one call must give the same pool, bit for bit.
    std::vector<float> whole(edge_net::output_size);
    m.forward(in, whole);
    if (whole != pool) throw std::runtime_error("internal: the network's forward() differs from its layers run one by one");

    std::filesystem::create_directories(o.out);
    write_stage<stage_shape<1>>(o.out, "conv", conv);
    write_stage<stage_shape<2>>(o.out, "relu", relu);
    write_stage<stage_shape<3>>(o.out, "pool", pool);

    std::cout << "edge_demo: filter " << filter->name << " (" << filter->effect
              << "), the same on R, G and B, bias 0, padding 1\n";
    for (std::size_t row = 0; row < 3; ++row) std::cout << taps_row(*filter, row) << '\n';
    print_stage("input", shape_text(edge_net::input_shape), in, "   " + o.input.string());
    print_stage("conv", shape_text(edge_net::layer_shape<1>), conv, "   " + (o.out / "conv.png").string());
    print_stage("relu", shape_text(edge_net::layer_shape<2>), relu, "   " + (o.out / "relu.png").string());
    print_stage("pool", shape_text(edge_net::layer_shape<3>), pool, "   " + (o.out / "pool.png").string());
    std::cout << "PNGs map each stage's min..max to 0..255; the .f32 files beside them hold the exact floats\n";
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const usage_error& e) {
        std::cerr << "edge_demo: error: " << e.what() << '\n';
        print_usage(std::cerr);
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "edge_demo: error: " << e.what() << '\n';
        return 1;
    }
}
