// Experiment, not a ctnn kernel: direct convolution vectorized along output channels (the
// layout oneDNN's brgconv and XNNPACK use), measured against ctnn's flat-image kernel on the
// benchmark cases. It is the first step of issue 4's "layout planning": it tells what a
// channel-blocked layout inside a network would buy before the network machinery for it
// is built. Target ctnn_experiment_conv_by_output_channels (bench/CMakeLists.txt; built with
// the benchmarks so it keeps compiling, not run by bench/run):
//
//     ./build/bench/ctnn_experiment_conv_by_output_channels --benchmark_repetitions=3 \
//         --benchmark_report_aggregates_only=true
//
// The kernel: weights packed once as [block of OBV*W output channels][c][ky][kx][OBV*W];
// the input as conv2d_direct_flat lays it out (per channel, one padded plane per stride
// phase, rows of out_w + reach); a register block of NP pixels of one output row x OBV
// vectors of output channels; per tap, OBV aligned weight loads and NP broadcast FMAs. Sums
// start from the bias and run over (c, ky, kx) in conv2d_direct's order, so the output is
// the same bits as ctnn's kernels (the maxdiff counter checks it against the layer).
// Output: NCHW through a stack tile transposed with scalar moves, or the blocked layout
// (16 channels interleaved, nChw16c with AVX-512) straight from the registers: what a
// following layer reading that layout would get (maxdiff is then not checked: -1).
//
// Modes (the benchmark's argument, a bit set): 1 fills the padded planes in the timed loop;
// 2 writes the blocked output instead of NCHW; 4 packs the weights in the timed loop. So
// /1 is an NCHW-in/out kernel, /2 the compute alone into the blocked layout, /5 all of it.
//
// Findings (2026-11-28, AMD EPYC Zen 4 class, 2 vCPUs, AVX-512 through 256-bit units, FMA
// peak ~117 GFLOP/s; one run, medians of 3; bench/run the same hour: oneDNN c3 1965 us,
// c4 989, c6 5553; XNNPACK c2 4.41):
//
//   | case | ctnn layer (flat / direct) | blocked out, no fill (mode 2) | NCHW in/out (mode 1) |
//   |------|----------------------------|-------------------------------|----------------------|
//   | c3   | 2140 us                    | 2001 us, 14x1, 99% of peak    | 2238 us              |
//   | c4   | 1081 us                    | 1010 us, 14x1, 98%            | 1228 us              |
//   | c6   | 5871 us                    | 5530 us, 8x2, 94%             | 9155 us              |
//   | c2   | 4.91 us                    | 4.12 us, 5x1, 99%             | 4.67 us              |
//
//   - Computed into the blocked layout, this loop is at oneDNN's level on c3, c4 and c6 and
//     ahead of XNNPACK on c2. The plain fill below and the scalar transpose to NCHW give it
//     all back (c6 pays most: 32 samples of small maps to transpose).
//   - Packing the weights per call (mode 5) costs ~0-30 us on c3/c4: small, but it belongs
//     at load time.
//   - g++ 12 keeps at most ~16 accumulators of this loop in registers: 14x2 and 28x1 spilled
//     accumulators to the stack on every FMA (48-56 GFLOP/s); 16x1 on c6 and 10x1 on c2
//     spilled too. Without the asm barrier on the tap pointer, g++ shares broadcasts
//     between taps (pixel p at tap kx+1 is pixel p+1 at tap kx) and spills for that.
// The same experiment on AMD EPYC Zen 3 (2026-12-07: AVX2 only, 16 registers, L2 512 KB per
// core, FMA peak ~96 GFLOP/s; one run, medians of 3, the machine as noisy as ever):
//
//   | case | ctnn layer | blocked out, no fill (mode 2) | NCHW in/out (mode 1) |
//   |------|------------|-------------------------------|----------------------|
//   | c3   | 3160 us    | 3291 us (14x1), 3225 (7x2)    | 3098 us              |
//   | c4   | 2196 us    | 1865 us (14x1), 1908 (7x2)    | 2367 us              |
//   | c6   | 9627 us    | 11672 us (8x2)                | 15098 us             |
//   | c2   | 7.04 us    | 8.18 us (5x1)                 | 8.77 us              |
//
//   - With 16 registers the blocked loop is no faster than ctnn's kernels: 14 accumulators
//     leave one register for the weights and one for the broadcast. Its c4 lead came from
//     the L2: the flat kernel read its 853 KB of planes from L3 once per block of output
//     channels; since conv2d_direct_flat runs in bands (d6fb1f0) c4/ctnn is ~1500-1600 us.
// So the route to oneDNN's c3/c4 is layout planning (on the AVX-512 host): activations kept channel-blocked (and
// already padded, so a consumer broadcasts from them with no fill; a broadcast needs no
// contiguity, so strides need no phase planes either) between such convs, weights packed
// at load, NCHW only at the network's input and output. As an NCHW-in/out kernel it does
// not pay.
#include <benchmark/benchmark.h>

#include <ctnn/kernels/simd/arch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "../cases.hpp"

namespace {

namespace simd = ctnn::kernels::simd;
using ctnn::bench::random_values;
using A = simd::default_arch;
using V = simd::vec<float, A>;
constexpr std::size_t W = V::size;
using aligned = std::vector<float, xsimd::aligned_allocator<float, 64>>;

template <ctnn::conv2d_geometry G, std::size_t P, std::size_t OBV>
struct conv_by_output_channels {
    static constexpr std::size_t C = G.in_c, OC = G.out_c, KH = G.kernel_h, KW = G.kernel_w, KK = KH * KW;
    static constexpr std::size_t SH = G.stride_h, SW = G.stride_w;
    static constexpr std::size_t reach_h = (KH - 1) / SH, reach_w = (KW - 1) / SW;
    static constexpr std::size_t L = G.out_w + reach_w, plane_rows = G.out_h + reach_h, plane = plane_rows * L;
    static constexpr std::size_t channel_stride = SH * SW * plane;
    static constexpr std::size_t OBW = OBV * W, blocks = OC / OBW;
    static_assert(G.groups == 1 && G.dilation_h == 1 && G.dilation_w == 1 && OC % OBW == 0);
    static constexpr std::size_t image_size = C * channel_stride;
    static constexpr std::size_t packed_size = OC * C * KK;

    static constexpr std::size_t tap(std::size_t ky, std::size_t kx) {
        return (ky % SH * SW + kx % SW) * plane + ky / SH * L + kx / SW;
    }

    static void pack(const float* w, float* packed) {
        for (std::size_t b = 0; b < blocks; ++b)
            for (std::size_t c = 0; c < C; ++c)
                for (std::size_t k = 0; k < KK; ++k)
                    for (std::size_t o = 0; o < OBW; ++o)
                        packed[((b * C + c) * KK + k) * OBW + o] = w[((b * OBW + o) * C + c) * KK + k];
    }

    static void fill(float* image, const float* x) {
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t pv = 0; pv < SH; ++pv)
                for (std::size_t ph = 0; ph < SW; ++ph) {
                    float* p = image + c * channel_stride + (pv * SW + ph) * plane;
                    for (std::size_t i = 0; i < plane_rows; ++i) {
                        const auto iy = static_cast<std::ptrdiff_t>(i * SH + pv) - static_cast<std::ptrdiff_t>(G.pad_top);
                        float* d = p + i * L;
                        if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(G.in_h)) {
                            std::fill_n(d, L, 0.0f);
                            continue;
                        }
                        const float* row = x + (c * G.in_h + static_cast<std::size_t>(iy)) * G.in_w;
                        for (std::size_t j = 0; j < L; ++j) {
                            const auto ix = static_cast<std::ptrdiff_t>(j * SW + ph) - static_cast<std::ptrdiff_t>(G.pad_left);
                            d[j] = ix < 0 || ix >= static_cast<std::ptrdiff_t>(G.in_w) ? 0.0f : row[ix];
                        }
                    }
                }
    }

    template <std::size_t NP>
    static void block(const float* image, const float* packed, const float* bias, float* out, bool blocked,
                      std::size_t b, std::size_t y, std::size_t x0) {
        V acc[NP][OBV];
        simd::detail::static_for<OBV>([&]<std::size_t j>() {
            const V init = V::load_unaligned(bias + b * OBW + j * W);
            simd::detail::static_for<NP>([&]<std::size_t p>() { acc[p][j] = init; });
        });
        const float* wb = packed + b * C * KK * OBW;
        const float* src = image + y * L + x0;
        for (std::size_t c = 0; c < C; ++c) {
            const float* wc = wb + c * KK * OBW;
            const float* sc = src + c * channel_stride;
            simd::detail::static_for<KH>([&]<std::size_t ky>() {
                simd::detail::static_for<KW>([&]<std::size_t kx>() {
                    V wv[OBV];
                    simd::detail::static_for<OBV>(
                        [&]<std::size_t j>() { wv[j] = V::load_aligned(wc + (ky * KW + kx) * OBW + j * W); });
                    const float* st = sc + tap(ky, kx);
                    asm("" : "+r"(st)); // no broadcast shared between taps (see the findings)
                    simd::detail::static_for<NP>([&]<std::size_t p>() {
                        const V xb(st[p]);
                        simd::detail::static_for<OBV>(
                            [&]<std::size_t j>() { acc[p][j] = simd::detail::fma<A>(wv[j], xb, acc[p][j]); });
                    });
                });
            });
        }
        if (blocked) {
            simd::detail::static_for<NP>([&]<std::size_t p>() {
                simd::detail::static_for<OBV>([&]<std::size_t j>() {
                    acc[p][j].store_aligned(out + (((b * OBV + j) * G.out_h + y) * G.out_w + x0 + p) * W);
                });
            });
            return;
        }
        alignas(64) float tile[OBV][NP][W];
        simd::detail::static_for<NP>([&]<std::size_t p>() {
            simd::detail::static_for<OBV>([&]<std::size_t j>() { acc[p][j].store_aligned(tile[j][p]); });
        });
        for (std::size_t j = 0; j < OBV; ++j)
            for (std::size_t l = 0; l < W; ++l) {
                float* o = out + ((b * OBW + j * W + l) * G.out_h + y) * G.out_w + x0;
                for (std::size_t p = 0; p < NP; ++p) o[p] = tile[j][p][l];
            }
    }

    static void run(const float* x, const float* packed, const float* bias, float* out, float* image,
                    std::size_t batch, bool do_fill, bool blocked) {
        constexpr std::size_t full = G.out_w / P, rem = G.out_w % P;
        for (std::size_t n = 0; n < batch; ++n, x += G.in_size(), out += G.out_size()) {
            if (do_fill) fill(image, x);
            for (std::size_t b = 0; b < blocks; ++b)
                for (std::size_t y = 0; y < G.out_h; ++y) {
                    for (std::size_t i = 0; i < full; ++i) block<P>(image, packed, bias, out, blocked, b, y, i * P);
                    if constexpr (rem != 0) block<rem>(image, packed, bias, out, blocked, b, y, full * P);
                }
        }
    }
};

template <const ctnn::bench::conv_problem& Case, std::size_t P, std::size_t OBV>
void by_output_channels(benchmark::State& state) {
    using layer = ctnn::bench::conv_layer<Case>;
    constexpr auto G = layer::geometry;
    using K = conv_by_output_channels<G, P, OBV>;
    constexpr std::size_t batch = Case.batch;
    const bool fill = (state.range(0) & 1) != 0, blocked = (state.range(0) & 2) != 0, pack = (state.range(0) & 4) != 0;
    const auto in = random_values(batch * layer::in_shape::size, 1);
    const auto params = random_values(layer::param_count, 2);
    const float* bias = params.data() + G.weight_size();
    std::vector<float> expected(batch * layer::out_shape::size), scratch(layer::forward_scratch_size + 1);
    layer::forward(in.data(), expected.data(), params.data(), batch, {}, scratch.data());
    aligned out(batch * layer::out_shape::size), packed(K::packed_size), image(K::image_size);
    K::pack(params.data(), packed.data());
    K::run(in.data(), packed.data(), bias, out.data(), image.data(), batch, true, false);
    double maxdiff = 0;
    for (std::size_t i = 0; i < out.size(); ++i)
        maxdiff = std::max(maxdiff, static_cast<double>(std::fabs(out[i] - expected[i])));
    for (auto _ : state) {
        if (pack) K::pack(params.data(), packed.data());
        K::run(in.data(), packed.data(), bias, out.data(), image.data(), batch, fill, blocked);
        benchmark::ClobberMemory();
    }
    state.counters["maxdiff"] = blocked ? -1.0 : maxdiff;
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(batch * G.macs()) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

/// ctnn's layer as a network runs it: with its planned scratch (the flat kernel on c3, c4).
template <const ctnn::bench::conv_problem& Case>
void ctnn_layer(benchmark::State& state) {
    using layer = ctnn::bench::conv_layer<Case>;
    const auto in = random_values(Case.batch * layer::in_shape::size, 1);
    const auto params = random_values(layer::param_count, 2);
    std::vector<float> out(Case.batch * layer::out_shape::size), scratch(layer::forward_scratch_size + 1);
    for (auto _ : state) {
        layer::forward(in.data(), out.data(), params.data(), Case.batch, {}, scratch.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(Case.batch * layer::geometry.macs()) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

using namespace ctnn::bench;
BENCHMARK(ctnn_layer<c3>)->Unit(benchmark::kMicrosecond);
BENCHMARK(by_output_channels<c3, 14, 1>)->Arg(1)->Arg(0)->Arg(2)->Arg(5)->Unit(benchmark::kMicrosecond);
BENCHMARK(by_output_channels<c3, 7, 2>)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(ctnn_layer<c4>)->Unit(benchmark::kMicrosecond);
BENCHMARK(by_output_channels<c4, 14, 1>)->Arg(1)->Arg(0)->Arg(2)->Arg(5)->Unit(benchmark::kMicrosecond);
BENCHMARK(by_output_channels<c4, 7, 2>)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(ctnn_layer<c6>)->Unit(benchmark::kMicrosecond);
BENCHMARK(by_output_channels<c6, 8, 2>)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(ctnn_layer<c2>)->Unit(benchmark::kMicrosecond);
BENCHMARK(by_output_channels<c2, 5, 1>)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
