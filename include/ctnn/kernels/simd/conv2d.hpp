// SIMD 2-D convolution, specialized on the whole geometry G (a template argument), generic
// over the arch tag A. Same formula, layout (NCHW activations, OIHW weights) and results,
// up to rounding, as kernels/reference/conv2d.hpp.
//
// Forward (conv2d_forward_kernel picks from the shape; kernel_choice<> forces a family):
//  * direct: for each output row, the input rows it reads are copied with their padding
//    into a small stack tile (conv2d_row_tile), then a register-blocked micro-kernel runs
//    over channels and kernel rows with the kernel columns unrolled; vectorized along the
//    output width (conv2d_direct) or, when a row is narrow next to the vector, along the
//    output channels (conv2d_direct_channels). No scratch, no heap. With the padded input
//    of all channels at hand (it fits the stack tile, or the caller gives scratch),
//    conv2d_direct reads it in place, in passes of input channels that fit L1, and pairs
//    of output rows as one sweep where that blocks better; conv2d_direct_flat runs along
//    the flattened padded image instead (rows that leave vectors part empty).
//  * gemm: a 1x1, stride-1, unpadded conv is out[o][p] = bias[o] + sum_c w[o][c] in[c][p],
//    a GEMM whose B is the input as it lies (kernels/simd/gemm.hpp).
// Backward (conv2d_backward_gemm): GEMMs on the input unrolled into columns in the
// caller's scratch (sized per call, whatever the batch); see there.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

#include "../../core/geometry.hpp"
#include "../../core/config.hpp"
#include "../../core/options.hpp"
#include "../../core/output_part.hpp"
#include "../reference/conv2d.hpp"
#include "activation.hpp"
#include "arch.hpp"
#include "blocking.hpp"
#include "gemm.hpp"
#include "pool2d.hpp"

namespace ctnn::kernels::simd {

/// Bytes of stack each tile of the direct kernels may take (the row tile; the packed
/// weights of conv2d_direct_channels).
inline constexpr std::size_t conv_tile_bytes = 16384;

/// Bytes of input conv2d_direct reads per pass over the padded image (the rows a pair of
/// output rows reads, of a chunk of input channels): half of the smallest L1 of this
/// machine's kinds (32 KB on Zen 3), so every block of output channels finds them in L1.
/// c3 (bench/cases.hpp: 64 channels, 59 KB of such rows) ran 5-7% faster in 4 passes of
/// 16 channels than in one (one process, variants interleaved); passes of 8, 12 or 32
/// channels gained less.
inline constexpr std::size_t conv_strip_bytes = 16384;

/// Bytes of input one band of conv2d_direct_flat reads (every channel of a band of
/// positions): within half of the smallest L2 of this machine's kinds (512 KB per core on
/// Zen 3), so a band stays in L2 while every block of output channels runs over it.
inline constexpr std::size_t conv_band_bytes = 256 * 1024;

namespace detail {
/// What a register block of the direct kernels may take of the registers: with AVX-512's
/// 32, at most 20 (16 accumulators). The cost model alone picks blocks g++ 12 -O3 cannot
/// keep in registers with the taps unrolled: c4 (bench/cases.hpp) got 13x2 in
/// conv2d_direct and reloaded accumulators from the stack in its inner loop; with 10x2 or
/// 8x2 it ran 8% faster (697-718 -> 641-671 us, bench/ctnn_bench, same run), c6 2-4% and
/// c3 2-3%. With 16 registers (AVX2, SSE2) every one counts: c3 ran 5-10% slower with two
/// left free. The GEMMs keep the whole budget: capped, c5 stayed level and the training
/// step got 5% slower.
template <class A>
inline constexpr std::size_t direct_block_registers = register_count<A> >= 32 ? 20 : register_count<A>;

/// Offsets j * W of NV consecutive vectors of W lanes.
template <std::size_t NV, std::size_t W>
inline constexpr auto consecutive_vectors = [] {
    std::array<std::size_t, NV> at{};
    for (std::size_t j = 0; j < NV; ++j) at[j] = j * W;
    return at;
}();

/// One kernel row of a direct kernel's register block: for each kernel column kx, the NV
/// vectors at t + Taps[kx] + Vecs[j] times the weights w[i * WStride + kx], broadcast, into
/// acc[i][j]. conv2d_direct and conv2d_direct_flat both run their taps through it: the
/// same FMAs in the same order, so the same bits.
template <std::size_t OB, std::size_t NV, std::size_t WStride, auto Taps, auto Vecs, class A, class T>
[[gnu::always_inline]] inline void kernel_row(const T* t, const T* w, vec<T, A> (&acc)[OB][NV]) noexcept {
    using V = vec<T, A>;
    static_for<Taps.size()>([&]<std::size_t kx>() CTNN_SIMD_INLINE {
        V xv[NV];
        static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
            xv[j] = V::load_unaligned(t + Taps[kx] + Vecs[j]);
            if constexpr (OB > 1) pin<A>(xv[j]);
        });
        static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            V wv(w[i * WStride + kx]);
            if constexpr (NV > 1) pin<A>(wv);
            static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE { acc[i][j] = fma<A>(wv, xv[j], acc[i][j]); });
        });
    });
}
/// Len slots of column phase P of one padded input row of G: slot j holds input column
/// j * stride_w + P - pad_left of row (zero outside the row). conv2d_row_tile and
/// conv2d_direct_flat lay their tiles out with it.
template <conv2d_geometry G, std::size_t Len, std::size_t P, class T>
inline void fill_phase_row(T* dst, const T* row) noexcept {
    constexpr std::size_t S = G.stride_w;
    constexpr std::size_t lo = G.pad_left > P ? ceil_div(G.pad_left - P, S) : 0;
    constexpr std::size_t end = G.in_w + G.pad_left > P ? ceil_div(G.in_w + G.pad_left - P, S) : 0;
    constexpr std::size_t hi = max_of(lo, min_of(Len, end));
    const T* src = row + (lo * S + P - G.pad_left);
    std::fill_n(dst, lo, T(0));
    if constexpr (S == 1)
        std::copy_n(src, hi - lo, dst + lo);
    else
        for (std::size_t j = 0; j < hi - lo; ++j) dst[lo + j] = src[j * S];
    std::fill_n(dst + hi, Len - hi, T(0));
}
} // namespace detail

// An output_part (core/output_part.hpp) of a conv: the direct kernels take a range of output
// rows (of pooled rows when a pool is fused), the 1x1 GEMM a range of output channels, of
// every sample.

/// How conv2d_backward_gemm computes the weight gradient. automatic takes the cheapest by
/// its cost model; the others force one (tests and benchmarks), where it applies: direct
/// needs the padded input of a sample within the row tile's budget, else automatic runs.
enum class conv_weight_gradient { automatic, direct, along_channels, dot_products };

/// The direct kernels' stack tile: for one output row, the input rows of a chunk of
/// channels, each with its padding (zeros) and, for a stride S, split into S phases so that
/// the taps of consecutive outputs are consecutive: phase p, slot j holds input column
/// j*S + p - pad. A phase row reaches past the last output by a whole vector of zeros, so
/// no load leaves it.
template <conv2d_geometry G, class T, class A>
struct conv2d_row_tile {
    static constexpr std::size_t W = vec<T, A>::size;
    static constexpr std::size_t cin_g = G.in_c / G.groups;
    static constexpr std::size_t KH = G.kernel_h, SW = G.stride_w;
    static constexpr std::size_t in_plane = G.in_h * G.in_w;
    static constexpr std::size_t nvec = detail::ceil_div(G.out_w, W);
    static constexpr std::size_t reach = (G.kernel_w - 1) * G.dilation_w / SW;
    static constexpr std::size_t phase_len = nvec * W + reach;
    static constexpr std::size_t row_len = SW * phase_len;
    static constexpr std::size_t channel_tile = KH * row_len;
    static constexpr std::size_t budget = conv_tile_bytes / sizeof(T);
    /// False when even one channel's rows exceed the tile (a very wide input).
    static constexpr bool fits = channel_tile <= budget;
    static constexpr std::size_t chunk = detail::max_of(1, detail::min_of(cin_g, budget / channel_tile));
    static constexpr std::size_t size = chunk * channel_tile;
    /// Tap (ky, kx) of output column x is at tile[c * channel_tile + at(ky, kx) + x].
    static constexpr std::size_t at(std::size_t ky, std::size_t kx) noexcept {
        return ky * row_len + kx * G.dilation_w % SW * phase_len + kx * G.dilation_w / SW;
    }

    /// The rows output row y reads of channels [c0, c0 + cc) of x (one group, one sample).
    /// Kernel rows that fall in the padding get a zero slot, so kernels run over all taps.
    static void fill(T* tile, const T* x, std::size_t y, std::size_t c0, std::size_t cc) noexcept {
        const auto top = static_cast<std::ptrdiff_t>(y * G.stride_h) - static_cast<std::ptrdiff_t>(G.pad_top);
        for (std::size_t c = 0; c < cc; ++c)
            for (std::size_t ky = 0; ky < KH; ++ky) {
                const std::ptrdiff_t iy = top + static_cast<std::ptrdiff_t>(ky * G.dilation_h);
                T* slot = tile + (c * KH + ky) * row_len;
                if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(G.in_h))
                    std::fill_n(slot, row_len, T(0));
                else
                    fill_row(slot, x + (c0 + c) * in_plane + static_cast<std::size_t>(iy) * G.in_w);
            }
    }

    /// Rows of the padded input the outputs read: padded row i is input row i - pad_top.
    static constexpr std::size_t image_rows = (G.out_h - 1) * G.stride_h + (KH - 1) * G.dilation_h + 1;
    /// Elements of a tile holding every channel's padded rows at once (image_rows rows of
    /// row_len per channel): tap (ky, kx) of output (y, x) of channel c is at
    /// c * image_rows * row_len + (y * stride_h + ky * dilation_h) * row_len + at(0, kx) + x.
    static constexpr std::size_t image_size = cin_g * image_rows * row_len;

    /// Every padded row of the group's channels of x.
    static void fill_image(T* tile, const T* x) noexcept {
        for (std::size_t c = 0; c < cin_g; ++c)
            for (std::size_t i = 0; i < image_rows; ++i) {
                const auto iy = static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(G.pad_top);
                T* slot = tile + (c * image_rows + i) * row_len;
                if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(G.in_h))
                    std::fill_n(slot, row_len, T(0));
                else
                    fill_row(slot, x + c * in_plane + static_cast<std::size_t>(iy) * G.in_w);
            }
    }

  private:
    static void fill_row(T* slot, const T* src) noexcept {
        detail::static_for<SW>(
            [&]<std::size_t p>() { detail::fill_phase_row<G, phase_len, p>(slot + p * phase_len, src); });
    }
};

/// Direct convolution vectorized along the output width: rows x vecs accumulators are
/// output channels x vectors of one output row; the weights are broadcast.
template <conv2d_geometry G, class T, class A = default_arch>
struct conv2d_direct {
    using V = vec<T, A>;
    using tile_t = conv2d_row_tile<G, T, A>;
    static constexpr std::size_t W = V::size;
    static constexpr std::size_t cin_g = G.in_c / G.groups, cout_g = G.out_c / G.groups;
    static constexpr std::size_t KH = G.kernel_h, KW = G.kernel_w, KK = KH * KW;
    static constexpr std::size_t out_plane = G.out_h * G.out_w, in_plane = G.in_h * G.in_w;
    static constexpr std::size_t nvec = tile_t::nvec;
    static constexpr bool fits = tile_t::fits;
    static constexpr detail::blocking blk = detail::choose_blocking(cout_g, nvec, detail::direct_block_registers<A>);
    /// With the padded image at hand (whole_image, or the caller's scratch), pairs of output
    /// rows run as one sweep of 2 * nvec vectors, a block's vectors running on from the end
    /// of one row into the next, when that blocks better (the cost model): c3 (bench/cases.hpp)
    /// has 7 vectors a row, and one row at a time its 6x2 blocks left a 6x1 block (6 chains of
    /// 4-cycle FMAs) and 4 channels over, which took 25% of the time for 20% of the FMAs; in
    /// pairs it runs 4x3 and 4x2 blocks, 2% faster. pair_blk is the block of such a sweep.
    static constexpr detail::blocking pair_blk =
        detail::choose_blocking(cout_g, 2 * nvec, detail::direct_block_registers<A>);
    static constexpr bool row_pairs =
        G.out_h >= 2 && detail::sweep_cycles(cout_g, 2 * nvec, pair_blk.rows, pair_blk.vecs) <
                            0.97 * 2.0 * detail::sweep_cycles(cout_g, nvec, blk.rows, blk.vecs);
    /// Where kernel column kx of a kernel row is in the tile, from the row's output column.
    static constexpr auto column_taps = [] {
        std::array<std::size_t, KW> at{};
        for (std::size_t kx = 0; kx < KW; ++kx) at[kx] = tile_t::at(0, kx);
        return at;
    }();
    /// FMAs per sample, for the choice between the direct kernels.
    static constexpr double cost = static_cast<double>(cout_g * nvec * G.out_h * cin_g * KK * G.groups);

    /// out = op(conv(in) + bias); op is applied in registers before the last store.
    /// With part, only its rows.
    /// With image (image_size elements of the caller's scratch) and the whole output, the
    /// padded input of all channels goes there once per sample, as with whole_image.
    template <class Op = reference::identity_op>
    static void run(const T* in, const T* weight, const T* bias, T* out, std::size_t batch, const Op& op = {},
                    output_part part = {}, T* image = nullptr) noexcept {
        static_assert(fits, "ctnn::kernels::simd::conv2d_direct: the input rows of one channel exceed the "
                            "stack tile; use the reference kernel for this layer");
        const std::size_t y0 = part.first(G.out_h), y1 = part.last(G.out_h);
        if (y0 == y1) return;
        const auto rows = [&]<bool Image>(T* tile) {
            for_each_group<Image>(in, weight, bias, batch, tile, [&](const T* x, const T* w, const T* b, std::size_t k) {
                T* z = out + k * cout_g * out_plane;
                std::size_t y = y0;
                if constexpr (Image && row_pairs)
                    for (; y + 2 <= y1; y += 2) row_pair<out_plane>(w, b, z + y * G.out_w, y, tile, op);
                for (; y < y1; ++y) row<out_plane, Image>(x, w, b, z + y * G.out_w, y, tile, op);
            });
        };
        if constexpr (!whole_image) {
            if (image != nullptr && part.count == 1) return rows.template operator()<true>(image);
        }
        alignas(64) T tile[tile_size];
        rows.template operator()<whole_image>(tile);
    }

    /// The padded input of all channels fits the tile budget: it is copied once per sample
    /// (each input row once, not once per kernel row that reads it) and rows read it in place.
    static constexpr bool whole_image = tile_t::image_size <= tile_t::budget;
    static constexpr std::size_t tile_size = whole_image ? tile_t::image_size : tile_t::size;
    /// Elements of scratch run() can use: the padded input of a group's channels.
    static constexpr std::size_t image_size = tile_t::image_size;
    /// The padded image in the tile: distance between channels and between kernel rows.
    static constexpr std::size_t image_cs = tile_t::image_rows * tile_t::row_len;
    static constexpr std::size_t image_ks = G.dilation_h * tile_t::row_len;
    /// Input channels per pass over the image: as many as conv_strip_bytes holds of the rows
    /// a pair of output rows reads, in passes of equal size.
    static constexpr std::size_t image_chunk = [] {
        constexpr std::size_t rows = G.stride_h + (KH - 1) * G.dilation_h + 1;
        constexpr std::size_t most = detail::max_of(1, conv_strip_bytes / (rows * tile_t::row_len * sizeof(T)));
        return detail::ceil_div(cin_g, detail::ceil_div(cin_g, most));
    }();

    /// Stack bytes of the two conv rows (all of a group's channels) run_pooled keeps.
    static constexpr std::size_t pooled_rows_size = cout_g * 2 * G.out_w;

    /// out = pool(op(conv(in) + bias)) for a 2x2 stride-2 pool PG over this conv's output:
    /// each pair of conv rows goes to a stack buffer, then through the pool, so the
    /// un-pooled map is never written (and rows no window reads are never computed).
    /// With part, only its pooled rows.
    template <pool2d_geometry PG, pool_kind Kind, class Op = reference::identity_op>
    static void run_pooled(const T* in, const T* weight, const T* bias, T* out, std::size_t batch,
                           const Op& op = {}, output_part part = {}) noexcept {
        static_assert(fits && pool2d_is_2x2_stride2<PG> && PG.in_h == G.out_h && PG.in_w == G.out_w);
        using pool = pool2d_2x2<PG, Kind, T, A>;
        alignas(64) T tile[tile_size];
        alignas(64) T rows[pooled_rows_size];
        const std::size_t y0 = part.first(PG.out_h), y1 = part.last(PG.out_h);
        if (y0 == y1) return;
        for_each_group<whole_image>(in, weight, bias, batch, tile, [&](const T* x, const T* w, const T* b, std::size_t k) {
            T* z = out + k * cout_g * PG.out_h * PG.out_w;
            for (std::size_t yp = y0; yp < y1; ++yp) {
                row<2 * G.out_w, whole_image>(x, w, b, rows, 2 * yp, tile, op);
                row<2 * G.out_w, whole_image>(x, w, b, rows + G.out_w, 2 * yp + 1, tile, op);
                for (std::size_t o = 0; o < cout_g; ++o)
                    pool::row(rows + o * 2 * G.out_w, z + (o * PG.out_h + yp) * PG.out_w);
            }
        });
    }

  private:
    /// f(x, w, b, k) for every sample and group, k = n * groups + g counting them: x, w and b
    /// are the group's input, weights and bias. With Image the tile already holds x, padded.
    template <bool Image, class F>
    static void for_each_group(const T* in, const T* weight, const T* bias, std::size_t batch, T* tile,
                               F&& f) noexcept {
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t g = 0; g < G.groups; ++g) {
                const T* x = in + (n * G.in_c + g * cin_g) * in_plane;
                if constexpr (Image) tile_t::fill_image(tile, x);
                f(x, weight + g * cout_g * cin_g * KK, G.bias ? bias + g * cout_g : nullptr, n * G.groups + g);
            }
    }

    /// Output row y of every channel; channel o's row goes to z + o * Plane.
    template <std::size_t Plane, bool Image, class Op>
    static void row(const T* x, const T* w, const T* b, T* z, std::size_t y, T* tile, const Op& op) noexcept {
        if constexpr (Image) {
            const T* t = tile + y * G.stride_h * tile_t::row_len;
            channel_passes<image_chunk>([&](std::size_t c0, std::size_t cc, bool first, bool last) {
                all_channels<Plane, image_cs, image_ks>(t + c0 * image_cs, cc, w + c0 * KK, b, first, last, z, op);
            });
        } else {
            channel_passes<tile_t::chunk>([&](std::size_t c0, std::size_t cc, bool first, bool last) {
                tile_t::fill(tile, x, y, c0, cc);
                all_channels<Plane, tile_t::channel_tile, tile_t::row_len>(tile, cc, w + c0 * KK, b, first, last, z,
                                                                           op);
            });
        }
    }

    /// f(c0, cc, first, last) for the input channels [c0, c0 + cc), Chunk at a time (the
    /// image's passes, or what the row tile holds): the first pass starts from the bias, the
    /// others add to what it stored, and the last applies the activation (a float stored and
    /// loaded again is the same float, so the bits are those of one pass).
    template <std::size_t Chunk, class F>
    static void channel_passes(F&& f) noexcept {
        for (std::size_t c0 = 0; c0 < cin_g; c0 += Chunk) {
            const std::size_t cc = detail::min_of(Chunk, cin_g - c0);
            f(c0, cc, c0 == 0, c0 + cc == cin_g);
        }
    }

    /// f.template operator()<B>(o) for the output channels [o, o + B): blocks of OB, then
    /// the rest.
    template <std::size_t OB, class F>
    static void channel_blocks(F&& f) noexcept {
        std::size_t o = 0;
        for (; o + OB <= cout_g; o += OB) f.template operator()<OB>(o);
        if constexpr (cout_g % OB != 0) f.template operator()<cout_g % OB>(o);
    }

    /// Output rows y and y + 1 of every channel from the padded image in the tile, as one
    /// sweep of 2 * nvec vectors (row_pairs); channel o's rows go to z + o * Plane.
    template <std::size_t Plane, class Op>
    static void row_pair(const T* w, const T* b, T* z, std::size_t y, const T* tile, const Op& op) noexcept {
        const T* t = tile + y * G.stride_h * tile_t::row_len;
        channel_passes<image_chunk>([&](std::size_t c0, std::size_t cc, bool first, bool last) {
            channel_blocks<pair_blk.rows>([&]<std::size_t B>(std::size_t o) {
                pair_columns<B, Plane>(t + c0 * image_cs, cc, w + (o * cin_g + c0) * KK, b ? b + o : nullptr, first,
                                       last, z + o * Plane, op);
            });
        });
    }

    /// OB output channels of a pair of rows: blocks of pair_blk.vecs vectors, each at
    /// compile-time places (pair_vectors), then the rest.
    template <std::size_t OB, std::size_t Plane, class Op>
    static void pair_columns(const T* t, std::size_t cc, const T* w, const T* b, bool first, bool last, T* z,
                             const Op& op) noexcept {
        constexpr std::size_t NV = pair_blk.vecs, full = 2 * nvec / NV, rem = 2 * nvec % NV;
        detail::static_for<full>([&]<std::size_t jb>() {
            block<OB, NV, pair_vectors<NV, jb * NV>, Plane, image_cs, image_ks>(t, cc, w, b, first, last, z, 0, op);
        });
        if constexpr (rem != 0)
            block<OB, rem, pair_vectors<rem, full * NV>, Plane, image_cs, image_ks>(t, cc, w, b, first, last, z, 0,
                                                                                   op);
    }

    /// Where a register block's NV vectors are: from the block's first input column in the
    /// tile (in) and from its first output (out); how many lanes each stores.
    template <std::size_t NV>
    struct vector_places {
        std::array<std::size_t, NV> in, out, lanes;
    };
    /// NV consecutive vectors of one row from vector First; with Last, the row's last ones.
    template <std::size_t NV, std::size_t First, bool Last>
    static constexpr vector_places<NV> row_vectors = [] {
        vector_places<NV> p{};
        for (std::size_t j = 0; j < NV; ++j) {
            p.in[j] = p.out[j] = j * W;
            p.lanes[j] = Last ? detail::lanes_of<G.out_w, W>(First + j) : W;
        }
        return p;
    }();
    /// NV vectors from vector V0 of a pair of rows, counted row after row: vector v is
    /// vector v % nvec of row v / nvec.
    template <std::size_t NV, std::size_t V0>
    static constexpr vector_places<NV> pair_vectors = [] {
        vector_places<NV> p{};
        for (std::size_t j = 0; j < NV; ++j) {
            const std::size_t r = (V0 + j) / nvec, v = (V0 + j) % nvec;
            p.in[j] = r * G.stride_h * tile_t::row_len + v * W;
            p.out[j] = r * G.out_w + v * W;
            p.lanes[j] = detail::lanes_of<G.out_w, W>(v);
        }
        return p;
    }();

    /// Every output channel of one row, over cc input channels of the tile t (w: the first
    /// of them, for output channel 0): blocks of blk.rows channels, then the rest.
    /// CS and KS: the tile's distance between channels and between kernel rows.
    template <std::size_t Plane, std::size_t CS, std::size_t KS, class Op>
    static void all_channels(const T* t, std::size_t cc, const T* w, const T* b, bool first, bool last, T* z,
                             const Op& op) noexcept {
        channel_blocks<blk.rows>([&]<std::size_t B>(std::size_t o) {
            columns<B, Plane, CS, KS>(t, cc, w + o * cin_g * KK, b ? b + o : nullptr, first, last, z + o * Plane, op);
        });
    }

    /// OB output channels of one row, all its vectors.
    template <std::size_t OB, std::size_t Plane, std::size_t CS, std::size_t KS, class Op>
    static void columns(const T* tile, std::size_t cc, const T* w, const T* b, bool first, bool last, T* z,
                        const Op& op) noexcept {
        constexpr std::size_t NV = blk.vecs, full = nvec / NV, rem = nvec % NV;
        for (std::size_t jb = 0; jb < full; ++jb) {
            if (rem == 0 && jb + 1 == full)
                block<OB, NV, row_vectors<NV, nvec - NV, true>, Plane, CS, KS>(tile, cc, w, b, first, last, z,
                                                                               jb * NV * W, op);
            else
                block<OB, NV, row_vectors<NV, 0, false>, Plane, CS, KS>(tile, cc, w, b, first, last, z, jb * NV * W,
                                                                        op);
        }
        if constexpr (rem != 0)
            block<OB, rem, row_vectors<rem, full * NV, true>, Plane, CS, KS>(tile, cc, w, b, first, last, z,
                                                                             full * NV * W, op);
    }

    /// OB channels x NV vectors at the places P (vector_places), from column x0 of the tile
    /// and of the output. Inlined always when optimizing: where a row's last block has the
    /// places of the others (a row of whole vectors), both are one function called from two
    /// places, and g++ 12 then kept it out of line, which made c6 (bench/cases.hpp) 4-5%
    /// slower. Not at -O0, where it took a sweep file from 274 s to 392 s and 9 to 12 GB.
    template <std::size_t OB, std::size_t NV, vector_places<NV> P, std::size_t Plane, std::size_t CS, std::size_t KS,
              class Op>
    CTNN_OPTIMIZED_INLINE static void block(const T* tile, std::size_t cc, const T* w, const T* b, bool first,
                                             bool last, T* z, std::size_t x0, const Op& op) noexcept {
        V acc[OB][NV];
        detail::static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                if (!first)
                    acc[i][j] = detail::load<P.lanes[j], A>(z + i * Plane + x0 + P.out[j]);
                else if (b != nullptr)
                    acc[i][j] = V(b[i]);
                else
                    acc[i][j] = V(T(0));
            });
        });
        for (std::size_t c = 0; c < cc; ++c) {
            const T* t = tile + c * CS + x0;
            const T* wc = w + c * KK;
            for (std::size_t ky = 0; ky < KH; ++ky) {
                const T* tk = t + ky * KS;
                const T* wk = wc + ky * KW;
                detail::kernel_row<OB, NV, cin_g * KK, column_taps, P.in, A>(tk, wk, acc);
            }
        }
        detail::static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                detail::store<P.lanes[j], A>(z + i * Plane + x0 + P.out[j],
                                             last ? detail::apply<A>(op, acc[i][j]) : acc[i][j]);
            });
        });
    }
};

/// Direct convolution vectorized along the flattened padded image: the padded input of a
/// group's channels goes, once per sample, into the caller's scratch as planes of rows of
/// length L = out_w + (kernel reach), one plane per (row phase, column phase) of the stride,
/// so output (y, x) is position q = y * L + x of every plane and tap (ky, kx) is one fixed
/// shift of q. Vectors then run across row ends: a row of 56 fills 3.5 AVX-512 vectors in
/// conv2d_direct, here the L - out_w junk positions per row are the only lanes lost. Sums go
/// to a staging block of the scratch (OB channels x all positions), which is copied to out
/// without the junk, op applied. Same FMAs in the same order as conv2d_direct, so the same
/// bits; a network uses it only when the planned scratch is there and no output part
/// shares it (conv2d_forward_scratch).
///
/// The positions go in bands (band_vecs vectors each) whose input, all channels, fits
/// conv_band_bytes: every block of output channels runs over one band before the next, so
/// a band is read from L2 once per block of channels, not the whole image from L3 (c4 on
/// a 512 KB-L2 core: 853 KB of planes). BandBytes is that budget (the tests make it 0:
/// bands of one register block, so nearly every row is cut by a band's end).
template <conv2d_geometry G, class T, class A = default_arch, std::size_t BandBytes = conv_band_bytes>
struct conv2d_direct_flat {
    using V = vec<T, A>;
    static constexpr std::size_t W = V::size;
    static constexpr std::size_t cin_g = G.in_c / G.groups, cout_g = G.out_c / G.groups;
    static constexpr std::size_t KH = G.kernel_h, KW = G.kernel_w, KK = KH * KW;
    static constexpr std::size_t SH = G.stride_h, SW = G.stride_w;
    static constexpr std::size_t out_plane = G.out_h * G.out_w, in_plane = G.in_h * G.in_w;
    static constexpr std::size_t reach_h = (KH - 1) * G.dilation_h / SH, reach_w = (KW - 1) * G.dilation_w / SW;
    /// Row length and rows of one phase plane: slot j of row i of plane (pv, ph) holds input
    /// (i * SH + pv - pad_top, j * SW + ph - pad_left), zero outside the input.
    static constexpr std::size_t L = G.out_w + reach_w, plane_rows = G.out_h + reach_h;
    static constexpr std::size_t plane = plane_rows * L, channel_stride = SH * SW * plane;
    /// Output positions (junk included) and the vectors that cover them.
    static constexpr std::size_t positions = G.out_h * L, nq = detail::ceil_div(positions, W);
    /// The last vectors read past the last plane by at most reach_w + W - 1: zeros.
    static constexpr std::size_t image_size = cin_g * channel_stride + reach_w + W;
    static constexpr detail::blocking blk = detail::choose_blocking(cout_g, nq, detail::direct_block_registers<A>);
    static constexpr std::size_t stage_offset = detail::ceil_div(image_size, W) * W;
    /// Elements of scratch run() needs per call (any batch).
    static constexpr std::size_t scratch_size = stage_offset + blk.rows * nq * W;
    /// Vectors of positions per band (a multiple of blk.vecs, at least one block): the band's
    /// input, every channel and phase with the kernel's reach, within BandBytes.
    static constexpr std::size_t band_vecs = [] {
        constexpr std::size_t NV = blk.vecs, reach = reach_h * L + reach_w;
        const auto bytes = [](std::size_t v) { return cin_g * SH * SW * (v * W + reach) * sizeof(T); };
        std::size_t v = NV < nq ? NV : nq;
        while (v + NV <= nq && bytes(v + NV) <= BandBytes) v += NV;
        return v;
    }();
    static constexpr std::size_t bands = detail::ceil_div(nq, band_vecs);
    /// FMAs per sample (as conv2d_direct::cost), plus the vectors the fill and the copy out move.
    static constexpr double cost =
        static_cast<double>(G.groups * (cout_g * nq * cin_g * KK + cin_g * channel_stride / W + cout_g * positions / W));

    /// Tap (ky, kx) of position q of channel c is at image[c * channel_stride + tap(ky, kx) + q].
    static constexpr std::size_t tap(std::size_t ky, std::size_t kx) noexcept {
        return (ky * G.dilation_h % SH * SW + kx * G.dilation_w % SW) * plane + ky * G.dilation_h / SH * L +
               kx * G.dilation_w / SW;
    }
    static constexpr auto column_taps = [] {
        std::array<std::size_t, KW> at{};
        for (std::size_t kx = 0; kx < KW; ++kx) at[kx] = tap(0, kx);
        return at;
    }();

    /// Small enough for a stack tile (conv_tile_bytes): run() without scratch takes one.
    static constexpr bool on_stack = scratch_size * sizeof(T) <= conv_tile_bytes;

    /// out = op(conv(in) + bias), the whole output, in a stack tile (on_stack only).
    template <class Op = reference::identity_op>
    static void run(const T* in, const T* weight, const T* bias, T* out, std::size_t batch, const Op& op = {}) noexcept {
        static_assert(on_stack, "ctnn::kernels::simd::conv2d_direct_flat: this tile exceeds the stack budget; "
                                "pass scratch_size elements of scratch");
        alignas(64) T scratch[scratch_size];
        run(in, weight, bias, out, batch, op, scratch);
    }

    /// out = op(conv(in) + bias), the whole output; scratch holds scratch_size elements.
    template <class Op = reference::identity_op>
    static void run(const T* in, const T* weight, const T* bias, T* out, std::size_t batch, const Op& op,
                    T* scratch) noexcept {
        T* image = scratch;
        T* stage = scratch + stage_offset;
        std::fill_n(image + cin_g * channel_stride, image_size - cin_g * channel_stride, T(0));
        constexpr std::size_t last_v0 = (bands - 1) * band_vecs;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t g = 0; g < G.groups; ++g) {
                fill(image, in + (n * G.in_c + g * cin_g) * in_plane);
                const T* w = weight + g * cout_g * cin_g * KK;
                const T* b = G.bias ? bias + g * cout_g : nullptr;
                T* z = out + (n * G.groups + g) * cout_g * out_plane;
                for (std::size_t v0 = 0; v0 < last_v0; v0 += band_vecs)
                    band<band_vecs>(image, w, b, stage, z, v0, op);
                band<nq - last_v0>(image, w, b, stage, z, last_v0, op);
            }
    }

  private:
    /// The padded planes of the group's channels of x.
    static void fill(T* image, const T* x) noexcept {
        for (std::size_t c = 0; c < cin_g; ++c)
            detail::static_for<SH>([&]<std::size_t pv>() {
                detail::static_for<SW>([&]<std::size_t ph>() {
                    T* p = image + c * channel_stride + (pv * SW + ph) * plane;
                    for (std::size_t i = 0; i < plane_rows; ++i) {
                        const auto iy = static_cast<std::ptrdiff_t>(i * SH + pv) - static_cast<std::ptrdiff_t>(G.pad_top);
                        if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(G.in_h))
                            std::fill_n(p + i * L, L, T(0));
                        else
                            detail::fill_phase_row<G, L, ph>(p + i * L,
                                                             x + c * in_plane + static_cast<std::size_t>(iy) * G.in_w);
                    }
                });
            });
    }

    /// Every output channel over the BV vectors of positions from vector v0, in blocks of
    /// blk.rows channels, each staged and copied out before the next.
    template <std::size_t BV, class Op>
    static void band(const T* image, const T* w, const T* b, T* stage, T* z, std::size_t v0, const Op& op) noexcept {
        constexpr std::size_t OB = blk.rows, tail = cout_g % OB;
        const std::size_t q0 = v0 * W, q1 = detail::min_of((v0 + BV) * W, positions);
        std::size_t o = 0;
        for (; o + OB <= cout_g; o += OB) {
            channels<OB, BV>(image, w + o * cin_g * KK, b ? b + o : nullptr, stage, v0);
            copy_out<OB>(stage, z + o * out_plane, op, q0, q1);
        }
        if constexpr (tail != 0) {
            channels<tail, BV>(image, w + o * cin_g * KK, b ? b + o : nullptr, stage, v0);
            copy_out<tail>(stage, z + o * out_plane, op, q0, q1);
        }
    }

    /// OB output channels, the BV vectors of positions from vector v0, into stage (row i of
    /// the block at i * nq * W, position q at q).
    template <std::size_t OB, std::size_t BV>
    static void channels(const T* image, const T* w, const T* b, T* stage, std::size_t v0) noexcept {
        constexpr std::size_t NV = blk.vecs, full = BV / NV, rem = BV % NV;
        for (std::size_t jb = 0; jb < full; ++jb) block<OB, NV>(image, w, b, stage, (v0 + jb * NV) * W);
        if constexpr (rem != 0) block<OB, rem>(image, w, b, stage, (v0 + full * NV) * W);
    }

    template <std::size_t OB, std::size_t NV>
    static void block(const T* image, const T* w, const T* b, T* stage, std::size_t q0) noexcept {
        V acc[OB][NV];
        detail::static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                acc[i][j] = b != nullptr ? V(b[i]) : V(T(0));
            });
        });
        for (std::size_t c = 0; c < cin_g; ++c) {
            const T* t = image + c * channel_stride + q0;
            const T* wc = w + c * KK;
            for (std::size_t ky = 0; ky < KH; ++ky) {
                const T* tk = t + tap(ky, 0);
                const T* wk = wc + ky * KW;
                detail::kernel_row<OB, NV, cin_g * KK, column_taps, detail::consecutive_vectors<NV, W>, A>(tk, wk, acc);
            }
        }
        detail::static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                acc[i][j].store_unaligned(stage + i * nq * W + q0 + j * W);
            });
        });
    }

    /// Positions [q0, q1) of the block's rows without the junk, op applied, to OB output
    /// channels at z. A whole row takes compile-time vectors; a row cut by a band's end
    /// goes by vectors and a last part through a vector on the stack.
    template <std::size_t OB, class Op>
    static void copy_out(const T* stage, T* z, const Op& op, std::size_t q0, std::size_t q1) noexcept {
        constexpr std::size_t full = G.out_w / W, rem = G.out_w % W;
        const std::size_t y0 = q0 / L, y1 = detail::min_of(detail::ceil_div(q1, L), G.out_h);
        for (std::size_t i = 0; i < OB; ++i)
            for (std::size_t y = y0; y < y1; ++y) {
                const T* s = stage + i * nq * W + y * L;
                T* d = z + i * out_plane + y * G.out_w;
                const std::size_t x0 = q0 > y * L ? q0 - y * L : 0;
                const std::size_t x1 = detail::min_of(q1 - y * L, G.out_w);
                if (x0 == 0 && x1 == G.out_w) {
                    for (std::size_t v = 0; v < full; ++v)
                        detail::apply<A>(op, V::load_unaligned(s + v * W)).store_unaligned(d + v * W);
                    if constexpr (rem != 0)
                        detail::store<rem, A>(d + full * W, detail::apply<A>(op, detail::load<rem, A>(s + full * W)));
                    continue;
                }
                std::size_t x = x0;
                for (; x + W <= x1; x += W) detail::apply<A>(op, V::load_unaligned(s + x)).store_unaligned(d + x);
                if (x < x1) {
                    const std::size_t n = x1 - x; // < W
                    alignas(64) T part[W]{};
                    for (std::size_t l = 0; l < n; ++l) part[l] = s[x + l];
                    detail::apply<A>(op, V::load_aligned(part)).store_aligned(part);
                    for (std::size_t l = 0; l < n; ++l) d[x + l] = part[l];
                }
            }
    }
};

/// Direct convolution vectorized along the output channels, for output rows narrow next to
/// the vector (late, small feature maps): rows x vecs accumulators are output pixels of one
/// row x vectors of output channels; the input is broadcast, the weights are repacked per
/// block of channels into a stack tile [c][ky][kx][o] (zero past the last channel), and
/// each block of pixels goes back to NCHW through a small transposing store.
template <conv2d_geometry G, class T, class A = default_arch>
struct conv2d_direct_channels {
    using V = vec<T, A>;
    using tile_t = conv2d_row_tile<G, T, A>;
    static constexpr std::size_t W = V::size;
    static constexpr std::size_t cin_g = G.in_c / G.groups, cout_g = G.out_c / G.groups;
    static constexpr std::size_t KH = G.kernel_h, KW = G.kernel_w, KK = KH * KW, CKK = cin_g * KK;
    static constexpr std::size_t out_plane = G.out_h * G.out_w, in_plane = G.in_h * G.in_w;
    static constexpr std::size_t cvec = detail::ceil_div(cout_g, W);
    /// Channel vectors whose packed weights fit the stack tile.
    static constexpr std::size_t cvec_fit = conv_tile_bytes / (CKK * W * sizeof(T));
    static constexpr detail::blocking blk =
        detail::choose_blocking(G.out_w, cvec, detail::register_count<A>, 16, detail::max_of(1, cvec_fit));
    static constexpr std::size_t PX = blk.rows, CV = blk.vecs; // pixels, channel vectors per block
    static constexpr std::size_t pack_size = CKK * CV * W;
    /// The packed weights of a block and one tile of all input channels fit the stack.
    static constexpr bool fits = tile_t::fits && tile_t::chunk == cin_g && cvec_fit >= 1;
    /// FMAs per sample, plus the transposing stores and the packing (over a batch of 8).
    static constexpr double cost =
        static_cast<double>(cvec * G.out_w * G.out_h * CKK * G.groups) +
        static_cast<double>(G.out_c * out_plane) + static_cast<double>(G.out_c * CKK) / 8.0;

    /// out = op(conv(in) + bias); op is applied in registers before the store.
    /// With part, only its rows.
    template <class Op = reference::identity_op>
    static void run(const T* in, const T* weight, const T* bias, T* out, std::size_t batch, const Op& op = {},
                    output_part part = {}) noexcept {
        static_assert(fits, "ctnn::kernels::simd::conv2d_direct_channels: the tiles exceed the stack budget; "
                            "use conv2d_direct for this layer");
        alignas(64) T pack[pack_size];
        const std::size_t y0 = part.first(G.out_h), y1 = part.last(G.out_h);
        if (y0 == y1) return;
        for_each_block(in, weight, bias, batch, pack, [&](const T* x, const T* b, std::size_t oc, std::size_t ch) {
            T* z = out + ch * out_plane;
            for (std::size_t y = y0; y < y1; ++y) output_row<out_plane>(x, y, pack, b, oc, z + y * G.out_w, op);
        });
    }

    /// Stack bytes of the two conv rows (one block of channels) run_pooled keeps.
    static constexpr std::size_t pooled_rows_size = CV * W * 2 * G.out_w;

    /// out = pool(op(conv(in) + bias)) for a 2x2 stride-2 pool PG over this conv's output:
    /// each pair of conv rows of a block of channels goes to a stack buffer, then through
    /// the pool, so the un-pooled map is never written.
    /// With part, only its pooled rows.
    template <pool2d_geometry PG, pool_kind Kind, class Op = reference::identity_op>
    static void run_pooled(const T* in, const T* weight, const T* bias, T* out, std::size_t batch,
                           const Op& op = {}, output_part part = {}) noexcept {
        static_assert(fits && pool2d_is_2x2_stride2<PG> && PG.in_h == G.out_h && PG.in_w == G.out_w);
        using pool = pool2d_2x2<PG, Kind, T, A>;
        alignas(64) T pack[pack_size];
        alignas(64) T rows[pooled_rows_size];
        const std::size_t y0 = part.first(PG.out_h), y1 = part.last(PG.out_h);
        if (y0 == y1) return;
        for_each_block(in, weight, bias, batch, pack, [&](const T* x, const T* b, std::size_t oc, std::size_t ch) {
            T* z = out + ch * PG.out_h * PG.out_w;
            for (std::size_t yp = y0; yp < y1; ++yp) {
                output_row<2 * G.out_w>(x, 2 * yp, pack, b, oc, rows, op);
                output_row<2 * G.out_w>(x, 2 * yp + 1, pack, b, oc, rows + G.out_w, op);
                for (std::size_t o = 0; o < oc; ++o) pool::row(rows + o * 2 * G.out_w, z + (o * PG.out_h + yp) * PG.out_w);
            }
        });
    }

  private:
    /// f(x, b, oc, ch) for every block of output channels (its weights packed first), then
    /// every sample: x is the sample's input of the block's group, b the block's bias, oc
    /// its channel count and ch = n * out_c + its first channel, counting output channels
    /// over the batch.
    template <class F>
    static void for_each_block(const T* in, const T* weight, const T* bias, std::size_t batch, T* pack,
                               F&& f) noexcept {
        for (std::size_t g = 0; g < G.groups; ++g)
            for (std::size_t o0 = 0; o0 < cout_g; o0 += CV * W) {
                const std::size_t oc = detail::min_of(CV * W, cout_g - o0);
                pack_weights(weight + (g * cout_g + o0) * CKK, oc, pack);
                const T* b = G.bias ? bias + g * cout_g + o0 : nullptr;
                for (std::size_t n = 0; n < batch; ++n)
                    f(in + (n * G.in_c + g * cin_g) * in_plane, b, oc, n * G.out_c + g * cout_g + o0);
            }
    }

    /// Output row y of the block's oc channels of one sample x; channel o's row goes to z + o * Plane.
    template <std::size_t Plane, class Op>
    static void output_row(const T* x, std::size_t y, const T* pack, const T* b, std::size_t oc, T* z,
                           const Op& op) noexcept {
        if constexpr (unpadded) {
            row<input_src, Plane>(x + y * G.stride_h * G.in_w, pack, b, oc, z, op);
        } else {
            alignas(64) T tile[tile_t::size];
            tile_t::fill(tile, x, y, 0, cin_g);
            row<tile_src, Plane>(tile, pack, b, oc, z, op);
        }
    }

    /// No tap of any output falls in the padding: the pixels are broadcast from the input
    /// itself, and no tile is filled.
    static constexpr bool unpadded = G.pad_top == 0 && G.pad_left == 0 &&
                                     (G.out_h - 1) * G.stride_h + (KH - 1) * G.dilation_h < G.in_h &&
                                     (G.out_w - 1) * G.stride_w + (KW - 1) * G.dilation_w < G.in_w;
    /// Where tap (c, ky, kx) of pixel i of an output row is, from the row's source pointer.
    struct tile_src {
        static constexpr std::size_t at(std::size_t c, std::size_t ky, std::size_t kx, std::size_t i) noexcept {
            return c * tile_t::channel_tile + tile_t::at(ky, kx) + i;
        }
    };
    struct input_src {
        static constexpr std::size_t at(std::size_t c, std::size_t ky, std::size_t kx, std::size_t i) noexcept {
            return c * in_plane + ky * G.dilation_h * G.in_w + kx * G.dilation_w + i * G.stride_w;
        }
    };

    template <class Src, std::size_t Plane, class Op>
    static void row(const T* src, const T* pack, const T* b, std::size_t oc, T* z, const Op& op) noexcept {
        constexpr std::size_t full = G.out_w / PX, tail = G.out_w % PX;
        for (std::size_t xb = 0; xb < full; ++xb) block<Src, PX, Plane>(src, pack, b, oc, z, xb * PX, op);
        if constexpr (tail != 0) block<Src, tail, Plane>(src, pack, b, oc, z, full * PX, op);
    }

    /// pack[k][o] = w[o][k] for the block's oc channels, zero for the rest of the vectors:
    /// W x W squares transposed in registers, the ragged edges element by element.
    static void pack_weights(const T* w, std::size_t oc, T* pack) noexcept {
        constexpr std::size_t PS = CV * W, kfull = CKK / W * W;
        const std::size_t ofull = oc / W * W;
        for (std::size_t o0 = 0; o0 < ofull; o0 += W)
            for (std::size_t k0 = 0; k0 < kfull; k0 += W) {
                V sq[W];
                detail::static_for<W>([&]<std::size_t i>() CTNN_SIMD_INLINE {
                    sq[i] = V::load_unaligned(w + (o0 + i) * CKK + k0);
                });
                detail::transpose<A>(sq, A{});
                detail::static_for<W>([&]<std::size_t i>() CTNN_SIMD_INLINE {
                    sq[i].store_aligned(pack + (k0 + i) * PS + o0);
                });
            }
        for (std::size_t k = 0; k < CKK; ++k) {
            T* row = pack + k * PS;
            for (std::size_t o = k < kfull ? ofull : 0; o < oc; ++o) row[o] = w[o * CKK + k];
            for (std::size_t o = oc; o < PS; ++o) row[o] = T(0);
        }
    }

    template <class Src, std::size_t NP, std::size_t Plane, class Op>
    static void block(const T* src, const T* pack, const T* b, std::size_t oc, T* z, std::size_t x0,
                      const Op& op) noexcept {
        V acc[NP][CV];
        V bias_v[CV];
        detail::static_for<CV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
            if (b == nullptr) {
                bias_v[j] = V(T(0));
            } else {
                alignas(A::alignment()) T lanes[W] = {};
                for (std::size_t l = 0; l < W && j * W + l < oc; ++l) lanes[l] = b[j * W + l];
                bias_v[j] = V::load_aligned(lanes);
            }
        });
        detail::static_for<NP>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<CV>([&]<std::size_t j>() CTNN_SIMD_INLINE { acc[i][j] = bias_v[j]; });
        });
        const T* t0 = src + Src::at(0, 0, 0, x0);
        for (std::size_t c = 0; c < cin_g; ++c) {
            const T* t = t0 + Src::at(c, 0, 0, 0);
            const T* wc = pack + c * KK * CV * W;
            for (std::size_t ky = 0; ky < KH; ++ky) {
                const T* tk = t + Src::at(0, ky, 0, 0);
                const T* wk = wc + ky * KW * CV * W;
                detail::static_for<KW>([&]<std::size_t kx>() CTNN_SIMD_INLINE {
                    V wv[CV];
                    detail::static_for<CV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                        wv[j] = V::load_aligned(wk + (kx * CV + j) * W);
                        if constexpr (NP > 1) detail::pin<A>(wv[j]);
                    });
                    const T* tx = tk + Src::at(0, 0, kx, 0);
                    detail::opaque(tx); // no broadcast shared with another tap
                    detail::static_for<NP>([&]<std::size_t i>() CTNN_SIMD_INLINE {
                        V xv(tx[Src::at(0, 0, kx, i) - Src::at(0, 0, kx, 0)]);
                        if constexpr (CV > 1) detail::pin<A>(xv);
                        detail::static_for<CV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                            acc[i][j] = detail::fma<A>(xv, wv[j], acc[i][j]);
                        });
                    });
                });
            }
        }
        // Back to NCHW: out[o][x0 + i] for the block's pixels i and channels o < oc, through
        // a stack block and a call, so that no accumulator shares the registers with the
        // transposes (inlined, g++ 12 spilled an accumulator inside the FMA loop).
        alignas(A::alignment()) T lanes[NP * CV * W];
        detail::static_for<NP>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<CV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                detail::apply<A>(op, acc[i][j]).store_aligned(lanes + (i * CV + j) * W);
            });
        });
        store_transposed<NP, Plane>(lanes, oc, z + x0);
    }

    /// out[o][i] = lanes[i][o] for the block's NP pixels i (rows of CV * W channels) and
    /// channels o < oc, each W x W square of pixels x channels transposed in registers
    /// (pixels past NP zero), then a row of up to W pixels per channel.
    template <std::size_t NP, std::size_t Plane>
    [[gnu::noinline]] static void store_transposed(const T* lanes, std::size_t oc, T* z) noexcept {
        detail::static_for<CV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
            detail::static_for<detail::ceil_div(NP, W)>([&]<std::size_t s>() CTNN_SIMD_INLINE {
                constexpr std::size_t n = detail::min_of(W, NP - s * W); // pixels of this square
                V sq[W];
                detail::static_for<W>([&]<std::size_t i>() CTNN_SIMD_INLINE {
                    if constexpr (i < n)
                        sq[i] = V::load_aligned(lanes + ((s * W + i) * CV + j) * W);
                    else
                        sq[i] = V(T(0));
                });
                detail::transpose<A>(sq, A{});
                detail::static_for<W>([&]<std::size_t o>() CTNN_SIMD_INLINE {
                    if (j * W + o < oc) detail::store_pieces<n, A>(z + (j * W + o) * Plane + s * W, sq[o], A{});
                });
            });
        });
    }
};

/// 1x1, stride 1, no padding: the input is already the GEMM's B (Cin x H*W).
template <conv2d_geometry G>
inline constexpr bool conv2d_is_pointwise = G.kernel_h == 1 && G.kernel_w == 1 && G.stride_h == 1 && G.stride_w == 1 &&
                                            G.pad_top == 0 && G.pad_left == 0 && G.out_h == G.in_h &&
                                            G.out_w == G.in_w;

template <conv2d_geometry G, class T, class A = default_arch>
struct conv2d_pointwise {
    static constexpr std::size_t cin_g = G.in_c / G.groups, cout_g = G.out_c / G.groups;
    static constexpr std::size_t plane = G.in_h * G.in_w;
    using gemm = gemm_nn<A, plane, T>;

    /// With part, only its output channels (of each group).
    template <class Op = reference::identity_op>
    static void run(const T* in, const T* weight, const T* bias, T* out, std::size_t batch, const Op& op = {},
                    output_part part = {}) noexcept {
        const std::size_t o0 = part.first(cout_g), o1 = part.last(cout_g);
        if (o0 == o1) return;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t g = 0; g < G.groups; ++g)
                gemm::template run<cout_g>(o1 - o0, cin_g, weight + (g * cout_g + o0) * cin_g, cin_g, 1,
                                           in + (n * G.in_c + g * cin_g) * plane, plane,
                                           out + (n * G.out_c + g * cout_g + o0) * plane, plane,
                                           G.bias ? gemm_init::bias : gemm_init::zero,
                                           G.bias ? bias + g * cout_g + o0 : nullptr, op);
    }
};

/// Sum of a row of N values.
template <class A, std::size_t N, class T>
T row_sum(const T* p) noexcept {
    using V = vec<T, A>;
    constexpr std::size_t W = V::size;
    V acc(T(0));
    for (std::size_t i = 0; i < N / W; ++i) acc += V::load_unaligned(p + i * W);
    if constexpr (N % W != 0) acc += detail::load<N % W, A>(p + N / W * W);
    return detail::sum<A>(acc);
}

/// Gradients through GEMMs on the unrolled input, per sample and group:
///   col = img2col(x)                 [Cg*KH*KW x OH*OW], in the caller's scratch
///   dweight += dout x col^T          either gemm_nt, dot products along OH*OW, or, when the
///                                    output plane is small next to the lane count, gemm_nn
///                                    along the output channels on dout transposed, summed
///                                    over the call in scratch and added transposed at the end
///   din = col2img(w^T x dout)        gemm_nn into the same scratch; then, with stride 1
///                                    across, each input row is gathered in registers from
///                                    the columns (masked loads, one store per vector), else
///                                    the columns are scattered back one value at a time
template <conv2d_geometry G, class T, class A = default_arch,
          conv_weight_gradient Method = conv_weight_gradient::automatic>
struct conv2d_backward_gemm {
    static constexpr std::size_t cin_g = G.in_c / G.groups, cout_g = G.out_c / G.groups;
    static constexpr std::size_t KH = G.kernel_h, KW = G.kernel_w, KK = KH * KW, CKK = cin_g * KK;
    static constexpr std::size_t P = G.out_h * G.out_w, in_plane = G.in_h * G.in_w;
    static constexpr std::size_t W = vec<T, A>::size;
    /// Costs of the weight gradient per sample: the dot products along OH*OW (FMAs, and the
    /// lane sums), and along the output channels (FMAs, and transposing dout).
    static constexpr double dots_fmas = static_cast<double>(cout_g * CKK * detail::ceil_div(P, W));
    static constexpr double dots_sums = 6.0 * cout_g * CKK;
    static constexpr double along_channels_cost =
        static_cast<double>(CKK * P * detail::ceil_div(cout_g, W)) + static_cast<double>(cout_g * P) / 4.0;
    /// Weight gradient along the output channels: the dot products along OH*OW would cost
    /// more in lane sums and empty lanes than transposing dout does.
    static constexpr bool channels_dw_cheaper = along_channels_cost < dots_fmas + dots_sums;
    /// Weight gradient straight from the padded input (no columns): when the padded input
    /// of a sample fits the row tile's budget and the dot products along OH*OW would be
    /// load-bound (two loads per FMA). Vectors run along the output row; a block of output
    /// channels x kernel columns of one (channel, kernel row) keeps its sums in registers
    /// over the sample's rows, then adds them to lane-wise sums in scratch, summed across
    /// the lanes once per call. Each step loads OB dout vectors and KB input vectors for
    /// OB * KB FMAs.
    using tile_t = conv2d_row_tile<G, T, A>;
    static constexpr std::size_t out_vecs = detail::ceil_div(G.out_w, W);
    static constexpr detail::blocking dw_blk = [] {
        // OB * KB accumulators, the OB dout vectors and one input vector at a time, within
        // the direct kernels' register cap. The most FMAs per block, counting the blocks
        // left over at the ends.
        constexpr std::size_t regs = detail::direct_block_registers<A>;
        detail::blocking best{1, 1};
        double best_rate = 0;
        for (std::size_t ob = 1; ob <= cout_g && ob <= 16; ++ob)
            for (std::size_t kb = 1; kb <= KW; ++kb) {
                if (ob * kb + ob + 1 > regs) continue;
                const std::size_t blocks = detail::ceil_div(cout_g, ob) * detail::ceil_div(KW, kb);
                const double rate = static_cast<double>(cout_g * KW) / static_cast<double>(blocks);
                if (rate > best_rate) best_rate = rate, best = {ob, kb};
            }
        return best;
    }();
    static constexpr bool direct_dw_fits = tile_t::image_size <= tile_t::budget;
    /// Against the direct FMAs, each dot-product FMA counts twice: it takes two loads.
    static constexpr bool direct_dw_cheapest = [] {
        const double direct = static_cast<double>(cout_g * CKK * G.out_h * out_vecs);
        return direct_dw_fits && direct < 2.0 * dots_fmas + dots_sums && direct < along_channels_cost;
    }();
    static constexpr conv_weight_gradient method = [] {
        if (Method == conv_weight_gradient::direct && direct_dw_fits) return Method;
        if (Method == conv_weight_gradient::along_channels || Method == conv_weight_gradient::dot_products)
            return Method;
        if (direct_dw_cheapest) return conv_weight_gradient::direct;
        return channels_dw_cheaper ? conv_weight_gradient::along_channels : conv_weight_gradient::dot_products;
    }();
    static constexpr bool direct_dw = method == conv_weight_gradient::direct;
    static constexpr bool channels_dw = method == conv_weight_gradient::along_channels;
    /// din gathered row by row in registers from the columns (stride 1 across), instead of
    /// scattered with overlapping read-modify-writes that defeat store forwarding.
    static constexpr std::size_t din_vecs = detail::ceil_div(G.in_w, W);
    static constexpr bool gather_din = G.stride_w == 1 && din_vecs <= 16;
    /// The columns sit between guards of one vector, so the gather's masked loads may
    /// start up to a vector before a segment without leaving the scratch.
    static constexpr std::size_t guard = ctnn::detail::aligned_count<T>(W);
    static constexpr std::size_t col_size = ctnn::detail::aligned_count<T>(CKK * P) + 2 * guard;
    static constexpr std::size_t dout_t_size = channels_dw ? ctnn::detail::aligned_count<T>(P * cout_g) : 0;
    static constexpr std::size_t dw_t_size = channels_dw ? ctnn::detail::aligned_count<T>(G.groups * CKK * cout_g) : 0;
    static constexpr std::size_t image_size = direct_dw ? ctnn::detail::aligned_count<T>(tile_t::image_size) : 0;
    static constexpr std::size_t dw_lanes_size = direct_dw ? G.groups * cout_g * CKK * W : 0;
    /// Elements of scratch per call (whatever the batch).
    static constexpr std::size_t scratch_size = col_size + dout_t_size + dw_t_size + image_size + dw_lanes_size;

    static void run(const T* in, const T* weight, const T* dout, T* din, T* dweight, T* dbias, std::size_t batch,
                    T* scratch) noexcept {
        T* col = scratch + guard;
        T* dout_t = scratch + col_size;
        T* dw_t = dout_t + dout_t_size;
        T* image = dw_t + dw_t_size;
        T* dw_lanes = image + image_size;
        if (din != nullptr && !gather_din) std::fill_n(din, batch * G.in_size(), T(0));
        if constexpr (channels_dw) std::fill_n(dw_t, dw_t_size, T(0));
        if constexpr (direct_dw) std::fill_n(dw_lanes, dw_lanes_size, T(0));
        for (std::size_t n = 0; n < batch; ++n) {
            const T* dz = dout + n * G.out_size();
            if constexpr (G.bias)
                for (std::size_t o = 0; o < G.out_c; ++o) dbias[o] += row_sum<A, P>(dz + o * P);
            for (std::size_t g = 0; g < G.groups; ++g) {
                const T* x = in + (n * G.in_c + g * cin_g) * in_plane;
                const T* dzg = dz + g * cout_g * P;
                if (!direct_dw || din != nullptr) img2col(x, col);
                if constexpr (direct_dw) {
                    tile_t::fill_image(image, x);
                    weight_gradient(image, dzg, dw_lanes + g * cout_g * CKK * W);
                } else if constexpr (channels_dw) {
                    for (std::size_t o = 0; o < cout_g; ++o)
                        for (std::size_t p = 0; p < P; ++p) dout_t[p * cout_g + o] = dzg[o * P + p];
                    gemm_nn<A, cout_g, T>::template run<CKK>(CKK, P, col, P, 1, dout_t, cout_g,
                                                            dw_t + g * CKK * cout_g, cout_g, gemm_init::accumulate);
                } else {
                    gemm_nt<A, P, T>::template run<cout_g, CKK>(cout_g, CKK, dzg, P, col, P, dweight + g * cout_g * CKK, CKK);
                }
                if (din != nullptr) {
                    gemm_nn<A, P, T>::template run<CKK>(CKK, cout_g, weight + g * cout_g * CKK, 1, CKK, dzg, P, col, P,
                                                        gemm_init::zero);
                    col2img(col, din + (n * G.in_c + g * cin_g) * in_plane);
                }
            }
        }
        if constexpr (channels_dw)
            for (std::size_t g = 0; g < G.groups; ++g)
                for (std::size_t o = 0; o < cout_g; ++o)
                    for (std::size_t k = 0; k < CKK; ++k)
                        dweight[(g * cout_g + o) * CKK + k] += dw_t[(g * CKK + k) * cout_g + o];
        if constexpr (direct_dw)
            for (std::size_t i = 0; i < G.groups * cout_g * CKK; ++i)
                dweight[i] += detail::sum<A>(vec<T, A>::load_unaligned(dw_lanes + i * W));
    }

  private:
    /// Lane-wise sums of dweight[o][c][ky][kx] for one sample and group: lanes[(o * CKK +
    /// (c * KH + ky) * KW + kx) * W + l] += the products of output columns x = j*W + l.
    static void weight_gradient(const T* image, const T* dz, T* lanes) noexcept {
        constexpr std::size_t OB = dw_blk.rows;
        for (std::size_t c = 0; c < cin_g; ++c)
            for (std::size_t ky = 0; ky < KH; ++ky) {
                const T* rows = image + (c * tile_t::image_rows + ky * G.dilation_h) * tile_t::row_len;
                T* l = lanes + (c * KH + ky) * KW * W;
                std::size_t o = 0;
                for (; o + OB <= cout_g; o += OB) kernel_columns<OB>(rows, dz + o * P, l + o * CKK * W);
                if constexpr (cout_g % OB != 0) kernel_columns<cout_g % OB>(rows, dz + o * P, l + o * CKK * W);
            }
    }

    template <std::size_t OB>
    static void kernel_columns(const T* rows, const T* dz, T* lanes) noexcept {
        constexpr std::size_t KB = dw_blk.vecs;
        detail::static_for<KW / KB>([&]<std::size_t b>() CTNN_SIMD_INLINE { block<OB, KB, b * KB>(rows, dz, lanes); });
        if constexpr (KW % KB != 0) block<OB, KW % KB, KW / KB * KB>(rows, dz, lanes);
    }

    template <std::size_t OB, std::size_t KB, std::size_t KX0>
    static void block(const T* rows, const T* dz, T* lanes) noexcept {
        using V = vec<T, A>;
        V acc[OB][KB];
        detail::static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<KB>([&]<std::size_t k>() CTNN_SIMD_INLINE { acc[i][k] = V(T(0)); });
        });
        for (std::size_t y = 0; y < G.out_h; ++y) {
            const T* row = rows + y * G.stride_h * tile_t::row_len;
            const T* dzr = dz + y * G.out_w;
            detail::static_for<out_vecs>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                V d[OB];
                detail::static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
                    d[i] = detail::load<detail::lanes_of<G.out_w, W>(j), A>(dzr + i * P + j * W);
                    if constexpr (KB > 1) detail::pin<A>(d[i]);
                });
                detail::static_for<KB>([&]<std::size_t k>() CTNN_SIMD_INLINE {
                    // Past the row's last output the lanes are zero in xv as in d: an
                    // infinite input there must not turn the sum into NaN.
                    V xv = detail::load<detail::lanes_of<G.out_w, W>(j), A>(row + tile_t::at(0, KX0 + k) + j * W);
                    if constexpr (OB > 1) detail::pin<A>(xv);
                    detail::static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
                        acc[i][k] = detail::fma<A>(d[i], xv, acc[i][k]);
                    });
                });
            });
        }
        detail::static_for<OB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<KB>([&]<std::size_t k>() CTNN_SIMD_INLINE {
                T* p = lanes + (i * CKK + KX0 + k) * W;
                (V::load_unaligned(p) + acc[i][k]).store_unaligned(p); // scratch: any alignment
            });
        });
    }

    /// Output columns x whose tap kx lands inside the input: x_lo <= x < x_hi.
    static constexpr std::size_t x_lo(std::size_t kx) noexcept {
        const std::size_t off = kx * G.dilation_w;
        return off >= G.pad_left ? 0 : detail::min_of(G.out_w, detail::ceil_div(G.pad_left - off, G.stride_w));
    }
    static constexpr std::size_t x_hi(std::size_t kx) noexcept {
        // x * S + off - pad < in_w  <=>  x * S < in_w + pad - off
        const std::size_t off = kx * G.dilation_w;
        if (G.in_w + G.pad_left <= off) return x_lo(kx);
        return detail::max_of(x_lo(kx), detail::min_of(G.out_w, detail::ceil_div(G.in_w + G.pad_left - off, G.stride_w)));
    }

    /// f.template operator()<Lo, Hi>(col_at, inside, in_at) for every segment of col: the
    /// OW values of one (channel, ky, kx, output row); in_at is the input index of output
    /// column 0 at that tap (maybe outside the row), meaningful when the row is inside.
    template <class F>
    static void for_each_segment(F&& f) noexcept {
        for (std::size_t c = 0; c < cin_g; ++c)
            for (std::size_t ky = 0; ky < KH; ++ky)
                detail::static_for<KW>([&]<std::size_t kx>() CTNN_SIMD_INLINE {
                    constexpr std::size_t lo = x_lo(kx), hi = x_hi(kx);
                    const std::size_t row = (c * KH + ky) * KW + kx;
                    for (std::size_t y = 0; y < G.out_h; ++y) {
                        const auto iy = static_cast<std::ptrdiff_t>(y * G.stride_h + ky * G.dilation_h) -
                                        static_cast<std::ptrdiff_t>(G.pad_top);
                        const bool inside = iy >= 0 && iy < static_cast<std::ptrdiff_t>(G.in_h);
                        const std::ptrdiff_t at = (static_cast<std::ptrdiff_t>(c * G.in_h) + iy) *
                                                      static_cast<std::ptrdiff_t>(G.in_w) +
                                                  static_cast<std::ptrdiff_t>(kx * G.dilation_w) -
                                                  static_cast<std::ptrdiff_t>(G.pad_left);
                        f.template operator()<lo, hi>(row * P + y * G.out_w, inside, at);
                    }
                });
    }

    static void img2col(const T* x, T* col) noexcept {
        for_each_segment([&]<std::size_t Lo, std::size_t Hi>(std::size_t dst, bool inside, std::ptrdiff_t at)
                             CTNN_SIMD_INLINE {
                                 T* d = col + dst;
                                 if (!inside) {
                                     detail::fill_row<A, G.out_w>(d, T(0));
                                     return;
                                 }
                                 detail::fill_row<A, Lo>(d, T(0));
                                 if constexpr (G.stride_w == 1)
                                     detail::copy_row<A, Hi - Lo>(x + (at + static_cast<std::ptrdiff_t>(Lo)), d + Lo);
                                 else
                                     for (std::size_t xo = Lo; xo < Hi; ++xo)
                                         d[xo] = x[at + static_cast<std::ptrdiff_t>(xo * G.stride_w)];
                                 detail::fill_row<A, G.out_w - Hi>(d + Hi, T(0));
                             });
    }

    /// dx (one group's channels of one sample) from the columns: overwritten when gathered,
    /// added to (it starts zeroed) when scattered.
    static void col2img(const T* col, T* dx) noexcept {
        if constexpr (gather_din)
            gather(col, dx);
        else
            for_each_segment([&]<std::size_t Lo, std::size_t Hi>(std::size_t src, bool inside, std::ptrdiff_t at)
                                 CTNN_SIMD_INLINE {
                                     if (!inside) return;
                                     const T* s = col + src;
                                     for (std::size_t xo = Lo; xo < Hi; ++xo)
                                         dx[at + static_cast<std::ptrdiff_t>(xo * G.stride_w)] += s[xo];
                                 });
    }

    /// Input column of vector j, lane l, reads output column x = j*W + l + pad - kx*D of tap
    /// kx; the lanes whose x lies in [x_lo, x_hi) form the range [first, last).
    static constexpr std::ptrdiff_t shift(std::size_t j, std::size_t kx) noexcept {
        return static_cast<std::ptrdiff_t>(j * W + G.pad_left) - static_cast<std::ptrdiff_t>(kx * G.dilation_w);
    }
    static constexpr std::size_t lane_clamp(std::ptrdiff_t v) noexcept {
        return v < 0 ? 0 : v > static_cast<std::ptrdiff_t>(W) ? W : static_cast<std::size_t>(v);
    }
    static constexpr std::size_t first_lane(std::size_t j, std::size_t kx) noexcept {
        return lane_clamp(static_cast<std::ptrdiff_t>(x_lo(kx)) - shift(j, kx));
    }
    static constexpr std::size_t last_lane(std::size_t j, std::size_t kx) noexcept {
        const std::size_t in_row = lane_clamp(static_cast<std::ptrdiff_t>(G.in_w) - static_cast<std::ptrdiff_t>(j * W));
        const std::size_t l = lane_clamp(static_cast<std::ptrdiff_t>(x_hi(kx)) - shift(j, kx));
        return detail::max_of(first_lane(j, kx), detail::min_of(l, in_row));
    }

    static void gather(const T* col, T* dx) noexcept {
        using V = vec<T, A>;
        for (std::size_t c = 0; c < cin_g; ++c)
            for (std::size_t iy = 0; iy < G.in_h; ++iy) {
                V acc[din_vecs];
                detail::static_for<din_vecs>([&]<std::size_t j>() CTNN_SIMD_INLINE { acc[j] = V(T(0)); });
                for (std::size_t ky = 0; ky < KH; ++ky) {
                    const std::ptrdiff_t num = static_cast<std::ptrdiff_t>(iy + G.pad_top) -
                                               static_cast<std::ptrdiff_t>(ky * G.dilation_h);
                    if (num < 0 || num % static_cast<std::ptrdiff_t>(G.stride_h) != 0) continue;
                    const auto y = static_cast<std::size_t>(num) / G.stride_h;
                    if (y >= G.out_h) continue;
                    const T* seg = col + (c * KH + ky) * KW * P + y * G.out_w;
                    detail::static_for<KW>([&]<std::size_t kx>() CTNN_SIMD_INLINE {
                        detail::static_for<din_vecs>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                            constexpr std::size_t lo = first_lane(j, kx), hi = last_lane(j, kx);
                            if constexpr (hi > lo)
                                acc[j] += detail::load_lanes<lo, hi, A>(seg + kx * P + shift(j, kx), A{});
                        });
                    });
                }
                T* row = dx + (c * G.in_h + iy) * G.in_w;
                detail::static_for<din_vecs>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                    detail::store<detail::lanes_of<G.in_w, W>(j), A>(row + j * W, acc[j]);
                });
            }
    }
};

/// Which direct kernel: along the channels when the output row is narrow next to the
/// vector and the channels fill it better (fewer FMAs, counting the transposing stores).
template <conv2d_geometry G, class T, class A = default_arch>
inline constexpr bool conv2d_direct_by_channels =
    conv2d_direct_channels<G, T, A>::fits && conv2d_direct_channels<G, T, A>::cost < conv2d_direct<G, T, A>::cost;

/// The forward kernel a layer runs: Choice as given, or chosen from the shape.
template <conv2d_geometry G, class T, conv_kernel Choice, class A = default_arch>
consteval conv_kernel conv2d_forward_kernel() {
    if constexpr (CTNN_REFERENCE_KERNELS) {
        return conv_kernel::reference;
    } else if constexpr (Choice != conv_kernel::automatic) {
        return Choice;
    } else {
        if (conv2d_is_pointwise<G>) return conv_kernel::gemm;
        if (!conv2d_direct<G, T, A>::fits) return conv_kernel::reference;
        return conv_kernel::direct;
    }
}

namespace detail {
template <std::size_t KernelH, std::size_t KernelW, std::size_t StrideH, std::size_t StrideW, std::size_t PadTop,
          std::size_t PadLeft, std::size_t InH, std::size_t InW, std::size_t OutH, std::size_t OutW>
consteval bool check_conv_gemm() {
    constexpr bool ok = KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadTop == 0 &&
                        PadLeft == 0 && InH == OutH && InW == OutW;
    static_assert(ok, "ctnn::conv2d: kernel_choice<conv_kernel::gemm> needs a 1x1 kernel, stride 1 and no padding "
                      "(the input is then the GEMM's matrix); use conv_kernel::direct or leave the choice out");
    return ok;
}
} // namespace detail

/// Whether the forced kernel Choice suits the shape G; a bound conv2d layer evaluates this,
/// so a wrong kernel_choice<> fails when the network is bound, not only in forward.
template <conv2d_geometry G, conv_kernel Choice>
consteval bool conv2d_choice_fits() {
    if constexpr (Choice == conv_kernel::gemm)
        return detail::check_conv_gemm<G.kernel_h, G.kernel_w, G.stride_h, G.stride_w, G.pad_top, G.pad_left, G.in_h,
                                       G.in_w, G.out_h, G.out_w>();
    else
        return true;
}

/// Bytes of scratch the direct kernels may take for the padded input of all channels (and
/// the flat kernel's staging block): 2 MB. conv2d_direct reads such an image row by row,
/// once per sample, and conv2d_direct_flat band by band (conv_band_bytes), so neither
/// needs it in L2. Past it the row tile runs (conv2d_direct's stack tile), which bounds
/// the scratch a network plans for one conv.
inline constexpr std::size_t conv_image_bytes = std::size_t{2} << 20;

/// Whether a direct conv runs conv2d_direct_flat when it has scratch: fewer vectors than
/// conv2d_direct (rows whose width does not fill the vectors), within conv_image_bytes.
template <conv2d_geometry G, class T, class A = default_arch>
inline constexpr bool conv2d_direct_by_flat =
    !conv2d_direct_by_channels<G, T, A> && conv2d_direct_flat<G, T, A>::cost < conv2d_direct<G, T, A>::cost &&
    conv2d_direct_flat<G, T, A>::scratch_size * sizeof(T) <= conv_image_bytes;

/// Elements of scratch conv2d_forward can use per call, whatever the batch (0: none): the
/// flat kernel's (conv2d_direct_by_flat), or else the whole padded input for conv2d_direct
/// when its stack tile holds only a few rows at a time. Either gives the same bits as
/// without scratch (the same FMAs in the same order); only the copies differ.
template <conv2d_geometry G, class T, conv_kernel Choice, class A = default_arch>
inline constexpr std::size_t conv2d_forward_scratch = [] {
    if constexpr (conv2d_forward_kernel<G, T, Choice, A>() != conv_kernel::direct || conv2d_direct_by_channels<G, T, A>)
        return std::size_t{0};
    else if constexpr (conv2d_direct_by_flat<G, T, A>)
        return conv2d_direct_flat<G, T, A>::on_stack ? std::size_t{0} : conv2d_direct_flat<G, T, A>::scratch_size;
    else if constexpr (!conv2d_direct<G, T, A>::whole_image &&
                       conv2d_direct<G, T, A>::image_size * sizeof(T) <= conv_image_bytes)
        return conv2d_direct<G, T, A>::image_size;
    else
        return std::size_t{0};
}();

/// Whether conv2d_forward with an activation Op splits into output parts; otherwise part 0
/// computes the whole output and the other parts nothing (the reference kernel, or an
/// activation that runs over the output after the kernel).
template <conv2d_geometry G, class T, conv_kernel Choice, class Op = reference::identity_op>
inline constexpr bool conv2d_splits_output =
    conv2d_forward_kernel<G, T, Choice>() != conv_kernel::reference &&
    (fusable_activation<Op> || std::is_same_v<Op, reference::identity_op>);

/// out = op(conv(in, weight) + bias) with the kernel Choice names (or the one the shape
/// picks). op is an activation op (identity by default); the SIMD kernels apply a
/// fusable_activation in registers before the store, otherwise it runs over out after.
/// With part, only that part of the output (conv2d_splits_output). scratch, with
/// conv2d_forward_scratch elements (or null), serves a call for the whole output only: the
/// parts of one output would share it.
template <conv2d_geometry G, conv_kernel Choice, class T, class Op = reference::identity_op>
void conv2d_forward(const T* in, const T* weight, const T* bias, T* out, std::size_t batch, const Op& op = {},
                    output_part part = {}, T* scratch = nullptr) noexcept {
    constexpr conv_kernel k = conv2d_forward_kernel<G, T, Choice>();
    constexpr bool fused = fusable_activation<Op> && k != conv_kernel::reference;
    if constexpr (!conv2d_splits_output<G, T, Choice, Op>) {
        if (part.index != 0) return;
        part = {};
    }
    const auto kop = [&] {
        if constexpr (fused) return op;
        else return reference::identity_op{};
    }();
    if constexpr (k == conv_kernel::gemm) {
        if constexpr (detail::check_conv_gemm<G.kernel_h, G.kernel_w, G.stride_h, G.stride_w, G.pad_top, G.pad_left,
                                              G.in_h, G.in_w, G.out_h, G.out_w>())
            conv2d_pointwise<G, T>::run(in, weight, bias, out, batch, kop, part);
    } else if constexpr (k == conv_kernel::direct) {
        if constexpr (conv2d_direct_by_channels<G, T>)
            conv2d_direct_channels<G, T>::run(in, weight, bias, out, batch, kop, part);
        else if constexpr (!conv2d_direct_by_flat<G, T>)
            conv2d_direct<G, T>::run(in, weight, bias, out, batch, kop, part,
                                     conv2d_forward_scratch<G, T, Choice> != 0 ? scratch : nullptr);
        else if (part.count != 1 || (!conv2d_direct_flat<G, T>::on_stack && scratch == nullptr))
            conv2d_direct<G, T>::run(in, weight, bias, out, batch, kop, part); // the flat kernel's bits, no scratch
        else if constexpr (conv2d_direct_flat<G, T>::on_stack)
            conv2d_direct_flat<G, T>::run(in, weight, bias, out, batch, kop);
        else
            conv2d_direct_flat<G, T>::run(in, weight, bias, out, batch, kop, scratch);
    } else {
        reference::conv2d_forward(G, in, weight, bias, out, batch);
    }
    if constexpr (!fused && !std::is_same_v<Op, reference::identity_op>)
        simd::elementwise_forward(op, out, out, batch * G.out_size());
}

/// Bytes of stack the two conv rows of a conv fused with a pool may take.
inline constexpr std::size_t conv_pool_rows_bytes = 32768;

/// Whether a conv (kernel Choice) and a following pool PG of Kind run as one kernel: a
/// direct conv kernel, and a 2x2 stride-2 unpadded pool (the SIMD one) over its output.
template <conv2d_geometry G, class T, conv_kernel Choice, pool2d_geometry PG, class A = default_arch>
inline constexpr bool conv2d_pool_fusable = [] {
    if constexpr (conv2d_forward_kernel<G, T, Choice, A>() != conv_kernel::direct || !pool2d_is_2x2_stride2<PG>) {
        return false;
    } else if constexpr (PG.channels != G.out_c || PG.in_h != G.out_h || PG.in_w != G.out_w) {
        return false;
    } else {
        if constexpr (conv2d_direct_by_channels<G, T, A>)
            return conv2d_direct_channels<G, T, A>::pooled_rows_size * sizeof(T) <= conv_pool_rows_bytes;
        else
            return conv2d_direct<G, T, A>::fits &&
                   conv2d_direct<G, T, A>::pooled_rows_size * sizeof(T) <= conv_pool_rows_bytes;
    }
}();

/// out = pool(op(conv(in, weight) + bias)), the pool PG of Kind (conv2d_pool_fusable must
/// hold): the same bits as conv2d_forward with op, then pool2d_forward. With part, only
/// that part of the pooled output.
template <conv2d_geometry G, conv_kernel Choice, pool2d_geometry PG, pool_kind Kind, class T,
          class Op = reference::identity_op>
void conv2d_pool_forward(const T* in, const T* weight, const T* bias, T* out, std::size_t batch, const Op& op = {},
                         output_part part = {}) noexcept {
    static_assert(conv2d_pool_fusable<G, T, Choice, PG>, "ctnn::kernels::simd::conv2d_pool_forward: this conv and "
                                                         "pool do not fuse; check conv2d_pool_fusable first");
    static_assert(fusable_activation<Op>);
    if constexpr (conv2d_direct_by_channels<G, T>)
        conv2d_direct_channels<G, T>::template run_pooled<PG, Kind>(in, weight, bias, out, batch, op, part);
    else
        conv2d_direct<G, T>::template run_pooled<PG, Kind>(in, weight, bias, out, batch, op, part);
}

/// Scratch elements conv2d_backward needs per call (0 when it runs the reference).
template <conv2d_geometry G, class T, conv_kernel Choice>
inline constexpr std::size_t conv2d_backward_scratch =
    conv2d_forward_kernel<G, T, Choice>() == conv_kernel::reference ? 0 : conv2d_backward_gemm<G, T>::scratch_size;

/// Adds the batch's weight and bias gradients; writes din unless null. scratch holds
/// conv2d_backward_scratch elements; without it the reference kernel runs.
template <conv2d_geometry G, conv_kernel Choice, class T>
void conv2d_backward(const T* in, const T* weight, const T* dout, T* din, T* dweight, T* dbias, std::size_t batch,
                     T* scratch) noexcept {
    if (conv2d_backward_scratch<G, T, Choice> == 0 || scratch == nullptr)
        reference::conv2d_backward(G, in, weight, dout, din, dweight, dbias, batch);
    else
        conv2d_backward_gemm<G, T>::run(in, weight, dout, din, dweight, dbias, batch, scratch);
}

} // namespace ctnn::kernels::simd
