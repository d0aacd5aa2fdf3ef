// SIMD 2x2, stride-2, unpadded pooling (the common downsampling), specialized on the
// geometry G, generic over the arch tag A; every other pooling runs the reference kernel.
// Same results as kernels/reference/pool2d.hpp, bit for bit: the same sums in the same
// order, NaN propagating through max, and max's gradient going to the first largest cell
// of each window (rows, then columns; a NaN wins over numbers). Max forward takes the rows
// first, so only the sign of a zero maximum (+0 and -0 tie) or which of several NaNs comes
// out may differ from the reference's.
//
// Each output row reads two input rows; a vector of outputs reads 2W values of each, split
// into even and odd columns, so the four cells of each window land in four vectors (max
// forward: the two rows' maximum is split, one split instead of two). Forward splits up to
// a lane permutation (split_pairs) and puts the result in order once; backward splits in
// order (deinterleave) and interleaves the four gradient vectors back into the two rows.
#pragma once

#include <algorithm>
#include <cstddef>

#include "../../core/geometry.hpp"
#include "../reference/pool2d.hpp"
#include "arch.hpp"

namespace ctnn::kernels::simd {

template <pool2d_geometry G>
inline constexpr bool pool2d_is_2x2_stride2 = G.window_h == 2 && G.window_w == 2 && G.stride_h == 2 &&
                                              G.stride_w == 2 && G.pad_top == 0 && G.pad_left == 0 &&
                                              G.pad_bottom == 0 && G.pad_right == 0 && G.dilation_h == 1 &&
                                              G.dilation_w == 1 && 2 * G.out_h <= G.in_h && 2 * G.out_w <= G.in_w;

template <pool2d_geometry G, pool_kind Kind, class T, class A = default_arch>
struct pool2d_2x2 {
    using V = vec<T, A>;
    using B = typename V::batch_bool_type;
    static constexpr std::size_t W = V::size;
    static constexpr std::size_t nvec = detail::ceil_div(G.out_w, W);

    static void forward(const T* in, T* out, std::size_t batch) noexcept {
        for (std::size_t plane = 0; plane < batch * G.channels; ++plane)
            for (std::size_t y = 0; y < G.out_h; ++y) {
                const T* r0 = in + (plane * G.in_h + 2 * y) * G.in_w;
                row(r0, out + (plane * G.out_h + y) * G.out_w);
            }
    }

    /// One output row z from the input rows r0 and r0 + G.in_w (what a conv fused with
    /// the pool calls on the two rows it has just computed).
    static void row(const T* r0, T* z) noexcept {
        for (std::size_t j = 0; j + 1 < nvec; ++j) forward_vec<W>(r0 + 2 * j * W, z + j * W);
        forward_vec<detail::lanes_of<G.out_w, W>(nvec - 1)>(r0 + 2 * (nvec - 1) * W, z + (nvec - 1) * W);
    }

    /// din is overwritten (cells no window covers get zero).
    static void backward(const T* in, const T* dout, T* din, std::size_t batch) noexcept {
        for (std::size_t plane = 0; plane < batch * G.channels; ++plane) {
            for (std::size_t y = 0; y < G.out_h; ++y) {
                const T* r0 = in + (plane * G.in_h + 2 * y) * G.in_w;
                T* d0 = din + (plane * G.in_h + 2 * y) * G.in_w;
                const T* dz = dout + (plane * G.out_h + y) * G.out_w;
                for (std::size_t j = 0; j + 1 < nvec; ++j) backward_vec<W>(r0 + 2 * j * W, dz + j * W, d0 + 2 * j * W);
                backward_vec<detail::lanes_of<G.out_w, W>(nvec - 1)>(r0 + 2 * (nvec - 1) * W, dz + (nvec - 1) * W,
                                                                     d0 + 2 * (nvec - 1) * W);
                if constexpr (G.in_w > 2 * G.out_w) // columns floor mode drops
                    for (std::size_t r = 0; r < 2; ++r)
                        std::fill(d0 + r * G.in_w + 2 * G.out_w, d0 + (r + 1) * G.in_w, T(0));
            }
            if constexpr (G.in_h > 2 * G.out_h)
                std::fill(din + (plane * G.in_h + 2 * G.out_h) * G.in_w, din + (plane + 1) * G.in_h * G.in_w, T(0));
        }
    }

  private:
    /// The window cells of L outputs: a b (first row), c d (second row). Ordered: in the
    /// outputs' order; otherwise in split_pairs' order, which in_pair_order undoes.
    template <std::size_t L, bool Ordered>
    static void cells(const T* r0, V& a, V& b, V& c, V& d) noexcept {
        constexpr std::size_t lo = 2 * L < W ? 2 * L : W, hi = 2 * L > W ? 2 * L - W : 0;
        auto split = [&](const T* r, V& even, V& odd) CTNN_SIMD_INLINE {
            const V x0 = detail::load<lo, A>(r);
            V x1(T(0));
            if constexpr (hi != 0) x1 = detail::load<hi, A>(r + W);
            if constexpr (Ordered)
                detail::deinterleave<A>(x0, x1, even, odd, A{});
            else
                detail::split_pairs<A>(x0, x1, even, odd, A{});
        };
        split(r0, a, b);
        split(r0 + G.in_w, c, d);
    }

    /// max(x, y), or the NaN if either is one: the ISA's max (x > y ? x : y, which gives
    /// y when either is NaN) needs the fix only where x is NaN.
    static V max_nan(const V& x, const V& y) noexcept {
        return xsimd::select(xsimd::isnan(x), x, xsimd::max(x, y));
    }

    template <std::size_t L>
    static void forward_vec(const T* r0, T* z) noexcept {
        V r;
        if constexpr (Kind == pool_kind::max) {
            // Max is order-free (up to which NaN, or which zero of a +0/-0 tie, wins): the two
            // rows first, on whole vectors, then one split into even and odd columns.
            constexpr std::size_t lo = 2 * L < W ? 2 * L : W, hi = 2 * L > W ? 2 * L - W : 0;
            const V v0 = max_nan(detail::load<lo, A>(r0), detail::load<lo, A>(r0 + G.in_w));
            V v1(T(0));
            if constexpr (hi != 0) v1 = max_nan(detail::load<hi, A>(r0 + W), detail::load<hi, A>(r0 + G.in_w + W));
            V even, odd;
            detail::split_pairs<A>(v0, v1, even, odd, A{});
            r = max_nan(even, odd);
        } else {
            V a, b, c, d;
            cells<L, false>(r0, a, b, c, d);
            r = (((a + b) + c) + d) * V(T(0.25)); // the reference's sum order; x * 0.25 == x / 4 exactly
        }
        detail::store<L, A>(z, detail::in_pair_order<A>(r, A{}));
    }

    template <std::size_t L>
    static void backward_vec(const T* r0, const T* dz, T* d0) noexcept {
        const V g = detail::load<L, A>(dz);
        const V zero(T(0));
        V ga, gb, gc, gd;
        if constexpr (Kind == pool_kind::max) {
            V a, b, c, d;
            cells<L, true>(r0, a, b, c, d);
            // The reference's rule, cell by cell: take v if v > best, or v is NaN and best is not.
            auto wins = [](const V& v, const V& best) { return (v > best) | (xsimd::isnan(v) & ~xsimd::isnan(best)); };
            const B wb = wins(b, a);
            const V best1 = xsimd::select(wb, b, a);
            const B wc = wins(c, best1);
            const V best2 = xsimd::select(wc, c, best1);
            const B wd = wins(d, best2);
            gd = xsimd::select(wd, g, zero);
            gc = xsimd::select(wc & ~wd, g, zero);
            gb = xsimd::select(wb & ~wc & ~wd, g, zero);
            ga = xsimd::select(~wb & ~wc & ~wd, g, zero);
        } else {
            ga = gb = gc = gd = g / V(T(4));
        }
        constexpr std::size_t lo = 2 * L < W ? 2 * L : W, hi = 2 * L > W ? 2 * L - W : 0;
        auto put = [&](T* r, const V& even, const V& odd) CTNN_SIMD_INLINE {
            V x0, x1;
            detail::interleave<A>(even, odd, x0, x1, A{});
            detail::store<lo, A>(r, x0);
            if constexpr (hi != 0) detail::store<hi, A>(r + W, x1);
        };
        put(d0, ga, gb);
        put(d0 + G.in_w, gc, gd);
    }
};

template <pool2d_geometry G, pool_kind Kind, class T>
void pool2d_forward(const T* in, T* out, std::size_t batch) noexcept {
    if constexpr (pool2d_is_2x2_stride2<G> && !CTNN_REFERENCE_KERNELS)
        pool2d_2x2<G, Kind, T>::forward(in, out, batch);
    else
        reference::pool2d_forward<Kind>(G, in, out, batch);
}

/// din is overwritten.
template <pool2d_geometry G, pool_kind Kind, class T>
void pool2d_backward(const T* in, const T* dout, T* din, std::size_t batch) noexcept {
    if constexpr (pool2d_is_2x2_stride2<G> && !CTNN_REFERENCE_KERNELS)
        pool2d_2x2<G, Kind, T>::backward(in, dout, din, batch);
    else
        reference::pool2d_backward<Kind>(G, in, dout, din, batch);
}

} // namespace ctnn::kernels::simd
