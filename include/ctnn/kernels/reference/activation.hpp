// Reference element-wise activations and softmax, straight from their formulas.
// `in` and `out` may be the same buffer (the planner runs element-wise layers in place).
#pragma once

#include <cmath>
#include <cstddef>

namespace ctnn::kernels::reference {

// Each op also gives its derivative from its own output y (so backward needs only the
// output, which lets the layer run in place).
struct relu_op {
    template <class T>
    static constexpr T apply(T x) noexcept { return x > T(0) ? x : T(0); }
    template <class T>
    static constexpr T derivative(T y) noexcept { return y > T(0) ? T(1) : T(0); }
};

struct leaky_relu_op {
    double slope;
    template <class T>
    constexpr T apply(T x) const noexcept { return x > T(0) ? x : static_cast<T>(slope) * x; }
    // y > 0 exactly when x > 0 for a positive slope (the only kind a network may use).
    template <class T>
    constexpr T derivative(T y) const noexcept { return y > T(0) ? T(1) : static_cast<T>(slope); }
};

struct sigmoid_op {
    // Split by sign so exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    template <class T>
    static T apply(T x) noexcept {
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
    }
    template <class T>
    static constexpr T derivative(T y) noexcept { return y * (T(1) - y); }
};

struct tanh_op {
    template <class T>
    static T apply(T x) noexcept { return std::tanh(x); }
    template <class T>
    static constexpr T derivative(T y) noexcept { return T(1) - y * y; }
};

struct identity_op {
    template <class T>
    static constexpr T apply(T x) noexcept { return x; }
    template <class T>
    static constexpr T derivative(T) noexcept { return T(1); }
};

template <class Op, class T>
void elementwise_forward(const Op& op, const T* in, T* out, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i) out[i] = op.apply(in[i]);
}

/// din = dout * f'(x), f' taken from the output. din may alias dout.
template <class Op, class T>
void elementwise_backward(const Op& op, const T* out, const T* dout, T* din, std::size_t count) noexcept {
    for (std::size_t i = 0; i < count; ++i) din[i] = dout[i] * op.derivative(out[i]);
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

/// Gradient of softmax from its output p: din_i = p_i * (dout_i - sum_j dout_j p_j).
/// din may alias dout.
template <class T>
void softmax_backward(const T* out, const T* dout, T* din, std::size_t size, std::size_t batch) noexcept {
    for (std::size_t n = 0; n < batch; ++n) {
        const T* p = out + n * size;
        const T* dz = dout + n * size;
        T* dx = din + n * size;
        T dot = 0;
        for (std::size_t i = 0; i < size; ++i) dot += dz[i] * p[i];
        for (std::size_t i = 0; i < size; ++i) dx[i] = p[i] * (dz[i] - dot);
    }
}

} // namespace ctnn::kernels::reference
