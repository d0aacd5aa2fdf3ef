// Reference element-wise activations and softmax, straight from their formulas.
// `in` and `out` may be the same buffer (the planner runs element-wise layers in place).
#pragma once

#include <cmath>
#include <cstddef>

namespace ctnn::kernels::reference {

struct relu_op {
    template <class T>
    static constexpr T apply(T x) noexcept { return x > T(0) ? x : T(0); }
};

struct leaky_relu_op {
    double slope;
    template <class T>
    constexpr T apply(T x) const noexcept { return x > T(0) ? x : static_cast<T>(slope) * x; }
};

struct sigmoid_op {
    // Split by sign so exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    template <class T>
    static T apply(T x) noexcept {
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
    }
};

struct tanh_op {
    template <class T>
    static T apply(T x) noexcept { return std::tanh(x); }
};

struct identity_op {
    template <class T>
    static constexpr T apply(T x) noexcept { return x; }
};

template <class Op, class T>
void elementwise_forward(const Op& op, const T* in, T* out, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i) out[i] = op.apply(in[i]);
}

/// Softmax over each sample's `size` values: exp(x - max) / sum exp(x - max), so large
/// inputs neither overflow nor lose the largest term.
template <class T>
void softmax_forward(const T* in, T* out, std::size_t size, std::size_t batch) noexcept {
    for (std::size_t n = 0; n < batch; ++n) {
        const T* x = in + n * size;
        T* z = out + n * size;
        T top = x[0];
        for (std::size_t i = 1; i < size; ++i) top = x[i] > top ? x[i] : top;
        T sum = 0;
        for (std::size_t i = 0; i < size; ++i) {
            z[i] = std::exp(x[i] - top);
            sum += z[i];
        }
        const T inv = T(1) / sum;
        for (std::size_t i = 0; i < size; ++i) z[i] *= inv;
    }
}

} // namespace ctnn::kernels::reference
