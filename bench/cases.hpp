// The benchmark cases, shared by every implementation's benchmark executable: a case is a
// name and its sizes in plain numbers (so a peer library's benchmark can build the same
// problem), plus, for ctnn, the layer or network type. Benchmarks are registered as
// "<case>/<implementation>", e.g. c1/ctnn, c1/ctnn-reference, c1/onednn; ctnn's two-thread
// rows are "<case>/ctnn-2threads/real_time" (c6, net64, train64).
#pragma once

#include <ctnn/ctnn.hpp>

#include <cstddef>
#include <random>
#include <vector>

namespace ctnn::bench {

/// One convolution: NCHW input, OIHW weights, square kernel, symmetric padding.
struct conv_problem {
    const char* name;
    std::size_t batch, in_c, in_h, in_w, out_c, kernel, stride, pad;
};
/// One 2x2 stride-2 pooling.
struct pool_problem {
    const char* name;
    std::size_t batch, channels, in_h, in_w;
};

// c4 is PyTorch's floor rounding (56 + 2 - 3 is odd); the others divide exactly.
inline constexpr conv_problem c1{"c1", 1, 1, 28, 28, 6, 5, 1, 2};
inline constexpr conv_problem c2{"c2", 1, 6, 14, 14, 16, 5, 1, 0};
inline constexpr conv_problem c3{"c3", 1, 64, 56, 56, 64, 3, 1, 1};
inline constexpr conv_problem c4{"c4", 1, 64, 56, 56, 128, 3, 2, 1};
inline constexpr conv_problem c5{"c5", 1, 64, 56, 56, 256, 1, 1, 0};
inline constexpr conv_problem c6{"c6", 32, 32, 32, 32, 32, 3, 1, 1};
inline constexpr pool_problem p1{"p1", 1, 64, 56, 56};
inline constexpr pool_problem p2{"p2", 1, 64, 56, 56};

/// n values uniform in [-1, 1) from a fixed seed: inputs and parameters of the cases.
inline std::vector<float> random_values(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = u(gen);
    return v;
}

/// The ctnn layer of a conv_problem.
template <const conv_problem& P>
using conv_layer = typename ctnn::conv2d<P.out_c, P.kernel, ctnn::stride<P.stride>, ctnn::pad<P.pad>,
                                         ctnn::floor_mode>::template bind<float, ctnn::shape<P.in_c, P.in_h, P.in_w>, 1>;

/// A conv_problem as a one-layer network (c6/ctnn-2threads): its layer is conv_layer<P>, so
/// forward() with a thread pool runs conv<P>'s kernel on each thread's part of the batch.
template <const conv_problem& P>
using conv_network =
    ctnn::network<ctnn::input<P.in_c, P.in_h, P.in_w>,
                  ctnn::conv2d<P.out_c, P.kernel, ctnn::stride<P.stride>, ctnn::pad<P.pad>, ctnn::floor_mode>>;

/// LeNet-5 as the tests and the MNIST example build it (net1, net64, train64).
using lenet = ctnn::network<ctnn::input<1, 28, 28>,                                //
                            ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::relu,          //
                            ctnn::max_pool2d<2>,                                   //
                            ctnn::conv2d<16, 5>, ctnn::relu,                       //
                            ctnn::max_pool2d<2>,                                   //
                            ctnn::flatten,                                         //
                            ctnn::dense<120>, ctnn::relu, ctnn::dense<84>, ctnn::relu, //
                            ctnn::dense<10>, ctnn::softmax>;

/// Multiply-adds of a network's convolutions and dense layers for one sample; with
/// training, also of their weight gradients and of the input gradients of all but entry 1.
template <class Net>
constexpr double network_flops(bool training) {
    double flops = 0;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using L = typename Net::template layer<I + 1>;
                double macs = 0;
                if constexpr (requires { L::geometry.macs(); })
                    macs = static_cast<double>(L::geometry.macs());
                else if constexpr (requires { L::geometry.in + L::geometry.out; })
                    macs = static_cast<double>(L::geometry.in * L::geometry.out);
                flops += 2 * macs;
                if (training) flops += 2 * macs * (I == 0 ? 1 : 2);
            }(),
            ...);
    }(std::make_index_sequence<Net::entry_count - 1>{});
    return flops;
}

} // namespace ctnn::bench
