// The benchmark cases as the peers (oneDNN, XNNPACK, libtorch) run them: the same sizes as
// bench/cases.hpp (which ctnn's own benchmarks use), in plain numbers, without ctnn, so a
// peer's executable needs only its library. Benchmarks are named "<id>/<impl>".
// bench/run keeps a copy of the MAC counts to turn median times into GFLOP/s.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace ctnn_bench {

// Keep in step with bench/cases.hpp (c1..c6, p1, p2, LeNet-5).

/// A convolution, float32: N x C x H x W in, K filters of KH x KW, one stride, one padding.
struct conv_case {
    const char* id;
    int n, c, h, w, k, kh, kw, stride, pad;
    constexpr int oh() const { return (h + 2 * pad - kh) / stride + 1; }
    constexpr int ow() const { return (w + 2 * pad - kw) / stride + 1; }
    constexpr double macs() const { return double(n) * k * oh() * ow() * c * kh * kw; }
};

inline constexpr conv_case conv_cases[] = {
    {"c1", 1, 1, 28, 28, 6, 5, 5, 1, 2},      // LeNet conv1
    {"c2", 1, 6, 14, 14, 16, 5, 5, 1, 0},     // LeNet conv2
    {"c3", 1, 64, 56, 56, 64, 3, 3, 1, 1},    // ResNet stage 1
    {"c4", 1, 64, 56, 56, 128, 3, 3, 2, 1},   // ResNet downsampling
    {"c5", 1, 64, 56, 56, 256, 1, 1, 1, 0},   // ResNet 1x1 expansion
    {"c6", 32, 32, 32, 32, 32, 3, 3, 1, 1},   // a batch of small images
};

/// A pooling: N x C x H x W, square window and stride.
struct pool_case {
    const char* id;
    bool max;
    int n, c, h, w, window, stride;
    constexpr int oh() const { return (h - window) / stride + 1; }
    constexpr int ow() const { return (w - window) / stride + 1; }
    /// Bytes a pass must read and write at least.
    constexpr double bytes() const { return 4.0 * n * c * (double(h) * w + double(oh()) * ow()); }
};

inline constexpr pool_case pool_cases[] = {
    {"p1", true, 1, 64, 56, 56, 2, 2},
    {"p2", false, 1, 64, 56, 56, 2, 2},
};

/// LeNet-5 as in README.md and examples/mnist_train: 1x28x28 -> conv 6@5x5 pad 2, relu,
/// max pool 2 -> conv 16@5x5, relu, max pool 2 -> 400 -> 120 relu -> 84 relu -> 10 -> softmax.
namespace lenet {
inline constexpr int in_c = 1, in_h = 28, in_w = 28, classes = 10;
inline constexpr int c1 = 6, c2 = 16, k = 5, f1 = 120, f2 = 84;
inline constexpr int flat = c2 * 5 * 5; // 400
/// Multiply-adds of one sample's forward pass (conv and dense layers).
inline constexpr double forward_macs = 6.0 * 28 * 28 * 25 + 16.0 * 10 * 10 * 6 * 25 + 400.0 * 120 + 120.0 * 84 + 84.0 * 10;
} // namespace lenet

inline constexpr int train_batch = 64;

/// Uniform values in [lo, hi), reproducible.
inline std::vector<float> random_values(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(gen);
    return v;
}

/// Reproducible class labels for a training batch.
inline std::vector<std::int64_t> random_labels(std::size_t n, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::vector<std::int64_t> v(n);
    for (auto& x : v) x = static_cast<std::int64_t>(gen() % lenet::classes);
    return v;
}

// Counters named as bench/ctnn_bench.cpp names them, so bench/compare.py reads both.

/// GFLOP/s: 2 * MACs per call over the time per call.
inline void set_conv_counters(benchmark::State& state, double macs) {
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.SetItemsProcessed(state.iterations());
}

/// GFLOP/s of a pooling: one operation per input value (bench/ctnn_bench.cpp's count), and
/// GB/s of the bytes it must move.
inline void set_pool_counters(benchmark::State& state, const pool_case& p) {
    state.counters["GFLOP/s"] = benchmark::Counter(double(p.n) * p.c * p.h * p.w * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
    state.counters["GB/s"] = benchmark::Counter(p.bytes() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.SetItemsProcessed(state.iterations());
}

/// Registers f(state) as "<id>/<impl>". Rates use CPU time, as bench/ctnn_bench.cpp's do:
/// every case runs on one thread, and on a shared machine the CPU time of a one-thread
/// process is the steadier clock (bench/run reports both).
template <class F>
void add(const std::string& id, const std::string& impl, F f) {
    benchmark::RegisterBenchmark((id + "/" + impl).c_str(), f)->Unit(benchmark::kMicrosecond);
}

} // namespace ctnn_bench
