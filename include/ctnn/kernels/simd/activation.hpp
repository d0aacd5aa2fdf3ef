// SIMD element-wise activations, generic over the arch tag A: relu, leaky_relu and clip (and
// identity, a copy); sigmoid, tanh and elu run the reference kernels (a vector exp would not
// give the reference's bits). Bit for bit what
// kernels/reference/activation.hpp computes (NaN and the sign of zero included), and like
// it, in and out may be the same buffer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "../reference/activation.hpp"
#include "arch.hpp"

namespace ctnn::kernels::simd {

template <class Op>
inline constexpr bool has_simd_activation =
    std::is_same_v<Op, reference::relu_op> || std::is_same_v<Op, reference::leaky_relu_op> ||
    std::is_same_v<Op, reference::identity_op> || std::is_same_v<Op, reference::clip_op>;

/// Ops a SIMD kernel can apply as its epilogue, in registers before the store (a conv or
/// dense layer followed by one of these in a network runs as one pass).
template <class Op>
inline constexpr bool fusable_activation = has_simd_activation<Op>;

namespace detail {

// f(x) and f'(y) on a vector, as the reference ops compute them per element.
template <class A, class T>
vec<T, A> apply(const reference::identity_op&, const vec<T, A>& x) noexcept {
    return x;
}
template <class A, class T>
vec<T, A> apply(const reference::relu_op&, const vec<T, A>& x) noexcept {
    return xsimd::select(x > vec<T, A>(T(0)), x, vec<T, A>(T(0)));
}
template <class A, class T>
vec<T, A> derivative(const reference::relu_op&, const vec<T, A>& y) noexcept {
    return xsimd::select(y > vec<T, A>(T(0)), vec<T, A>(T(1)), vec<T, A>(T(0)));
}
template <class A, class T>
vec<T, A> apply(const reference::leaky_relu_op& op, const vec<T, A>& x) noexcept {
    return xsimd::select(x > vec<T, A>(T(0)), x, vec<T, A>(static_cast<T>(op.slope)) * x);
}
template <class A, class T>
vec<T, A> derivative(const reference::leaky_relu_op& op, const vec<T, A>& y) noexcept {
    return xsimd::select(y > vec<T, A>(T(0)), vec<T, A>(T(1)), vec<T, A>(static_cast<T>(op.slope)));
}

template <class A, class T>
vec<T, A> apply(const reference::clip_op& op, const vec<T, A>& x) noexcept {
    const vec<T, A> lo(static_cast<T>(op.lo)), hi(static_cast<T>(op.hi));
    return xsimd::select(x < lo, lo, xsimd::select(x > hi, hi, x));
}
template <class A, class T>
vec<T, A> derivative(const reference::clip_op& op, const vec<T, A>& y) noexcept {
    const vec<T, A> lo(static_cast<T>(op.lo)), hi(static_cast<T>(op.hi));
    return xsimd::select((y > lo) && (y < hi), vec<T, A>(T(1)), vec<T, A>(T(0)));
}

template <class A, class T, class F>
void for_each_vector(std::size_t count, F&& f) noexcept {
    constexpr std::size_t W = vec<T, A>::size;
    std::size_t i = 0;
    for (; i + W <= count; i += W) f(i, std::integral_constant<std::size_t, W>{});
    // The tail, one lane count per instantiation: a switch keeps it to masked loads.
    [&]<std::size_t... L>(std::index_sequence<L...>) {
        const std::size_t left = count - i;
        ((left == L + 1 ? (f(i, std::integral_constant<std::size_t, L + 1>{}), 0) : 0), ...);
    }(std::make_index_sequence<W - 1>{});
}

} // namespace detail

template <class Op, class T, class A = default_arch>
void elementwise_forward(const Op& op, const T* in, T* out, std::size_t count) noexcept {
    if constexpr (CTNN_REFERENCE_KERNELS || !has_simd_activation<Op>) {
        reference::elementwise_forward(op, in, out, count);
    } else if constexpr (std::is_same_v<Op, reference::identity_op>) {
        if (in != out) std::copy_n(in, count, out);
    } else {
        detail::for_each_vector<A, T>(count, [&]<std::size_t L>(std::size_t i, std::integral_constant<std::size_t, L>) {
            detail::store<L, A>(out + i, detail::apply<A>(op, detail::load<L, A>(in + i)));
        });
    }
}

/// din = dout * f'(y), f' taken from the output y. din may alias dout.
template <class Op, class T, class A = default_arch>
void elementwise_backward(const Op& op, const T* out, const T* dout, T* din, std::size_t count) noexcept {
    if constexpr (CTNN_REFERENCE_KERNELS || !has_simd_activation<Op> || std::is_same_v<Op, reference::identity_op>) {
        reference::elementwise_backward(op, out, dout, din, count);
    } else {
        detail::for_each_vector<A, T>(count, [&]<std::size_t L>(std::size_t i, std::integral_constant<std::size_t, L>) {
            const vec<T, A> y = detail::load<L, A>(out + i), d = detail::load<L, A>(dout + i);
            detail::store<L, A>(din + i, d * detail::derivative<A>(op, y));
        });
    }
}

} // namespace ctnn::kernels::simd
