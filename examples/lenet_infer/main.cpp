// LeNet-5 inference on ctnn: the network as one type, its compile-time plan, and the
// latency of a forward pass at batch 1 and 64. (Training, and so real accuracy, arrives
// with issue 3; the weights here are seeded He-uniform.)
#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>
#include <vector>

using lenet = ctnn::network<ctnn::input<1, 28, 28>,                       //
                            ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::relu, // 6 x 28 x 28
                            ctnn::max_pool2d<2>,                          // 6 x 14 x 14
                            ctnn::conv2d<16, 5>, ctnn::relu,              // 16 x 10 x 10
                            ctnn::max_pool2d<2>,                          // 16 x 5 x 5
                            ctnn::flatten,                                // 400
                            ctnn::dense<120>, ctnn::relu, ctnn::dense<84>, ctnn::relu, ctnn::dense<10>,
                            ctnn::softmax>;
static_assert(lenet::output_shape == ctnn::shape<10>{});

template <std::size_t I>
void he_uniform(lenet::parameters& p, std::mt19937& gen) {
    if constexpr (lenet::layer<I>::param_count > 0) {
        const auto& w = lenet::layer<I>::tensors[0];
        const double fan_in = static_cast<double>(w.size / w.dims[0]);
        std::uniform_real_distribution<float> u(-1, 1);
        const float bound = static_cast<float>(std::sqrt(6.0 / fan_in));
        for (float& v : p.tensor<I, 0>()) v = bound * u(gen);
    }
}

template <class F>
double median_us(int reps, F f) {
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
        const auto a = std::chrono::steady_clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
    }
    std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
    return t[static_cast<std::size_t>(reps / 2)];
}

int main() {
    lenet::summary(std::cout);
    ctnn::model<lenet> m(64);
    std::mt19937 gen(42);
    [&]<std::size_t... I>(std::index_sequence<I...>) { (he_uniform<I>(m.params(), gen), ...); }(
        std::make_index_sequence<lenet::entry_count>{});

    std::vector<float> in(64 * lenet::input_size), out(64 * lenet::output_size);
    std::uniform_real_distribution<float> pixel(0, 1);
    for (float& v : in) v = pixel(gen);

    for (std::size_t batch : {std::size_t{1}, std::size_t{64}}) {
        const std::span<const float> x(in.data(), batch * lenet::input_size);
        const std::span<float> y(out.data(), batch * lenet::output_size);
        m.forward(x, y);
        const double us = median_us(batch == 1 ? 2001 : 101, [&] { m.forward(x, y); });
        std::printf("forward, batch %3zu: %9.1f us per call, %7.2f us per image (reference kernels, one thread)\n",
                    batch, us, us / static_cast<double>(batch));
    }
    std::printf("first image's class probabilities:");
    for (std::size_t k = 0; k < 10; ++k) std::printf(" %.3f", static_cast<double>(out[k]));
    std::printf("\n");
}
