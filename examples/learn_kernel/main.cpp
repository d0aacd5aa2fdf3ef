// The seed's experiment 17.3.7: recover a hidden 3x3 kernel from an image and its filtered
// copy by gradient descent. A one-layer ctnn network (conv2d<1, 3, pad<1>, no_bias>) starts
// from a random kernel; its output is compared with the filtered image by mean squared
// error, and SGD moves the kernel until the two agree.
//
//   learn_kernel [--steps N] [--lr X]        exits non-zero if the kernel is not recovered
#include <ctnn/ctnn.hpp>
#include <ctnn/train/engine.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/optimizer.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

constexpr std::size_t size = 32;
using net = ctnn::network<ctnn::input<1, size, size>, ctnn::conv2d<1, 3, ctnn::pad<1>, ctnn::no_bias>>;

int main(int argc, char** argv) {
    std::size_t steps = 300;
    double lr = 0.5;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--steps") steps = std::strtoul(argv[i + 1], nullptr, 10);
        else if (a == "--lr") lr = std::strtod(argv[i + 1], nullptr);
        else {
            std::fprintf(stderr, "usage: learn_kernel [--steps N] [--lr X]\n");
            return 2;
        }
    }
    // A grey test image with edges in every direction: rings on a diagonal gradient.
    std::vector<float> image(size * size);
    for (std::size_t y = 0; y < size; ++y)
        for (std::size_t x = 0; x < size; ++x) {
            const double dx = static_cast<double>(x) - 15.5, dy = static_cast<double>(y) - 12.0;
            const double r = std::sqrt(dx * dx + dy * dy);
            image[y * size + x] =
                static_cast<float>(0.5 * (std::sin(r * 0.9) > 0 ? 1 : 0) + 0.5 * static_cast<double>(x + y) / 62.0);
        }

    // The hidden kernel (the seed's: a sharpen-like filter) and the filtered copy it makes.
    const std::array<float, 9> hidden{0.0f, -1.0f, 0.0f, -1.0f, 5.0f, -1.0f, 0.0f, -1.0f, 0.0f};
    auto truth = std::make_unique<net::parameters>();
    truth->assign<1, 0>(hidden);
    std::vector<float> target(net::output_size);
    ctnn::workspace<net> ws1(1);
    net::forward(*truth, image, target, ws1);

    // Learn it back from a random start.
    auto p = std::make_unique<net::parameters>();
    const std::array<float, 9> start{0.11f, -0.24f, 0.05f, 0.31f, -0.17f, 0.2f, -0.08f, 0.14f, -0.29f};
    p->assign<1, 0>(start);
    ctnn::sgd<net> opt({.learning_rate = lr, .momentum = 0.9});
    ctnn::training_workspace<net> ws(1);
    double loss = 0;
    for (std::size_t step = 0; step < steps; ++step) {
        ctnn::forward_train<net>(*p, image.data(), 1, ws);
        loss = ctnn::mean_squared_error::evaluate<net, float>(ctnn::train_output<net>(ws, 1, image.data()), target, 1,
                                                             ws.delta(0))
                   .mean_loss();
        ctnn::backward<net>(*p, image.data(), 1, ws);
        opt.step(p->values, ws.gradients());
        if (step % 50 == 0 || step + 1 == steps) std::printf("step %4zu  loss %.3e\n", step, loss);
    }

    const auto learned = p->tensor<1, 0>();
    double worst = 0;
    std::printf("\n   true kernel          learned kernel\n");
    for (std::size_t r = 0; r < 3; ++r) {
        std::printf(" ");
        for (std::size_t c = 0; c < 3; ++c) std::printf("%6.2f", static_cast<double>(hidden[r * 3 + c]));
        std::printf("     ");
        for (std::size_t c = 0; c < 3; ++c) {
            std::printf("%7.3f", static_cast<double>(learned[r * 3 + c]));
            worst = std::max(worst, std::abs(static_cast<double>(learned[r * 3 + c] - hidden[r * 3 + c])));
        }
        std::printf("\n");
    }
    std::printf("\nlargest difference %.2e after %zu steps\n", worst, steps);
    return worst < 1e-2 ? 0 : 1;
}
