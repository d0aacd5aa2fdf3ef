// The benchmark cases, shared by every implementation's benchmark executable: a case is a
// name and its sizes in plain numbers (so a peer library's benchmark can build the same
// problem), plus, for ctnn, the layer or network type. Benchmarks are registered as
// "<case>/<implementation>", e.g. c1/ctnn, c1/ctnn-reference, c1/onednn; ctnn's two-thread
// rows are "<case>/ctnn-2threads/real_time" (c6, net64, train64).
#pragma once

#include <ctnn/core/thread_pool.hpp>
#include <ctnn/ctnn.hpp>

#include <cstddef>
#include <memory>
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

// Runners: a case's buffers, made once, and operator() for one call, which the benchmarks
// time (bench/ctnn_bench.cpp, bench/peers/ab_onednn.cpp). The first call is untimed: it
// touches the buffers first.

/// conv_layer<P>::forward with the scratch a network plans for this layer (its padded input:
/// conv2d::forward_scratch_size).
template <const conv_problem& P>
struct conv_run {
    using L = conv_layer<P>;
    std::vector<float> in = random_values(P.batch * L::in_shape::size, 1), params = random_values(L::param_count, 2),
                       out = std::vector<float>(P.batch * L::out_shape::size),
                       scratch = std::vector<float>(L::forward_scratch_size);
    static constexpr double flops = 2.0 * static_cast<double>(L::geometry.macs() * P.batch);
    void operator()() {
        L::forward(in.data(), out.data(), params.data(), P.batch, {}, scratch.empty() ? nullptr : scratch.data());
    }
};

/// A 2x2 stride-2 pooling layer's forward.
template <const pool_problem& P, class Pool>
struct pool_run {
    using L = typename Pool::template bind<float, ctnn::shape<P.channels, P.in_h, P.in_w>, 1>;
    std::vector<float> in = random_values(P.batch * L::in_shape::size, 1),
                       out = std::vector<float>(P.batch * L::out_shape::size);
    void operator()() { L::forward(in.data(), out.data(), nullptr, P.batch); }
};

/// Parameters for Net, uniform in [-0.2, 0.2).
template <class Net>
std::unique_ptr<typename Net::parameters> random_parameters() {
    auto p = std::make_unique<typename Net::parameters>();
    const auto v = random_values(Net::param_storage, 3);
    for (std::size_t i = 0; i < Net::param_storage; ++i) p->values[i] = 0.2f * v[i];
    return p;
}

/// Net::forward on a batch; with threads > 1, the overload that cuts the batch into one
/// contiguous part per thread of a pool (whose threads start here, before any timing).
template <class Net>
struct inference_run {
    std::size_t threads;
    std::unique_ptr<typename Net::parameters> params = random_parameters<Net>();
    std::vector<float> in, out;
    ctnn::workspace<Net> ws;
    ctnn::thread_pool pool;
    explicit inference_run(std::size_t batch, std::size_t threads_ = 1)
        : threads(threads_), in(random_values(batch * Net::input_size, 4)), out(batch * Net::output_size), ws(batch),
          pool(threads_) {}
    void operator()() {
        if (threads > 1)
            Net::forward(*params, in, out, ws, pool);
        else
            Net::forward(*params, in, out, ws);
    }
};

} // namespace ctnn::bench
