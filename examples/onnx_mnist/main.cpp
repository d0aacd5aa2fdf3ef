// onnx_mnist: the LeNet-5 that train.py trained in PyTorch and exported to lenet.onnx, run by
// ctnn. The build turns lenet.onnx into lenet.hpp with tools/onnx2ctnn.py (weights embedded),
// so this program has no file to load and no ONNX runtime.
//
//   onnx_mnist IMAGE.png...     classify 28 x 28 grey digits (white on black, like MNIST)
//   onnx_mnist --mnist DIR [--expect-accuracy PERCENT]
//                               classify the 10,000 test images of MNIST (IDX files in DIR),
//                               one at a time: accuracy and median latency per image
//
// Pixels are divided by 255 and nothing else, as train.py did.
#include "lenet.hpp" // generated: namespace lenet { using model = ctnn::network<...>; void load(...); }

#include <ctnn/ctnn.hpp>
#include <ctnn/io/idx.hpp>

#include <stb_image.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using net = lenet::model;
static_assert(net::input_shape == ctnn::shape<1, 28, 28>{}, "train.py exports a 1 x 28 x 28 input");
static_assert(net::output_shape == ctnn::shape<10>{});

constexpr std::size_t side = 28;

/// The image at `path` as the network's input: grey, 28 x 28, scaled to [0, 1].
std::vector<float> read_digit(const std::string& path) {
    int width = 0, height = 0, channels = 0;
    std::unique_ptr<unsigned char, void (*)(void*)> pixels(stbi_load(path.c_str(), &width, &height, &channels, 1),
                                                           stbi_image_free);
    if (!pixels) throw std::runtime_error("cannot read " + path + " as an image: " + stbi_failure_reason());
    if (width != side || height != side)
        throw std::runtime_error(path + " is " + std::to_string(width) + " x " + std::to_string(height) +
                                 " pixels; this network takes 28 x 28 (an MNIST digit)");
    std::vector<float> x(net::input_size);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(pixels.get()[i]) / 255.0f;
    return x;
}

std::size_t argmax(std::span<const float> v) {
    return static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

int classify_images(const net::parameters& params, std::span<char* const> paths) {
    auto ws = std::make_unique<ctnn::static_workspace<net, 1>>();
    std::array<float, net::output_size> p{};
    for (const char* path : paths) {
        const std::vector<float> x = read_digit(path);
        net::forward(params, x, p, *ws);
        const std::size_t digit = argmax(p);
        std::printf("%s: %zu (p = %.4f)\n ", std::filesystem::path(path).filename().c_str(), digit, p[digit]);
        for (std::size_t k = 0; k < p.size(); ++k) std::printf(" %zu:%.4f", k, p[k]);
        std::printf("\n");
    }
    return 0;
}

int run_test_set(const net::parameters& params, const std::filesystem::path& dir, double expect_accuracy) {
    const ctnn::idx_dataset test =
        ctnn::read_idx_dataset(dir / "t10k-images-idx3-ubyte", dir / "t10k-labels-idx1-ubyte", 10);
    if (test.images.rows != side || test.images.cols != side)
        throw std::runtime_error("expected 28 x 28 images in " + dir.string());
    const std::vector<float> x = test.images.to_nchw();

    auto ws = std::make_unique<ctnn::static_workspace<net, 1>>();
    std::array<float, net::output_size> p{};
    std::vector<double> us(test.images.count);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < test.images.count; ++i) {
        const std::span<const float> image(x.data() + i * net::input_size, net::input_size);
        const auto start = std::chrono::steady_clock::now();
        net::forward(params, image, p, *ws);
        us[i] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
        correct += argmax(p) == test.labels.labels[i];
    }
    const double accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(test.images.count);
    std::nth_element(us.begin(), us.begin() + static_cast<std::ptrdiff_t>(us.size() / 2), us.end());
    std::printf("test accuracy: %.2f%% (%zu of %zu)\n", accuracy, correct, test.images.count);
    std::printf("median latency: %.1f us per image (batch 1, one thread, %zu images)\n", us[us.size() / 2],
                us.size());
    if (accuracy < expect_accuracy) {
        std::printf("FAILED: test accuracy %.2f%% is below the expected %.2f%%\n", accuracy, expect_accuracy);
        return 1;
    }
    return 0;
}

[[noreturn]] void usage(const std::string& problem) {
    std::fprintf(stderr,
                 "onnx_mnist: %s\nusage: onnx_mnist IMAGE.png...\n"
                 "       onnx_mnist --mnist DIR [--expect-accuracy PERCENT]\n",
                 problem.c_str());
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    const std::span<char* const> args(argv + 1, static_cast<std::size_t>(argc - 1));
    if (args.empty()) usage("give PNG images of digits, or --mnist DIR");
    try {
        auto params = std::make_unique<net::parameters>();
        lenet::load(*params); // copies the embedded weights into the aligned parameter block

        if (std::string_view(args[0]) != "--mnist") return classify_images(*params, args);
        if (args.size() != 2 && !(args.size() == 4 && std::string_view(args[2]) == "--expect-accuracy"))
            usage("--mnist takes a folder, then optionally --expect-accuracy PERCENT");
        return run_test_set(*params, args[1], args.size() == 4 ? std::strtod(args[3], nullptr) : 0.0);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "onnx_mnist: %s\n", e.what());
        return 1;
    }
}
