// Reference element-wise activations and softmax (whole sample or along an axis), straight
// from their formulas.
// `in` and `out` may be the same buffer (the planner runs element-wise layers in place).
#pragma once

#include <cmath>
#include <cstddef>

#include "../../core/geometry.hpp"

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

struct elu_op {
    double alpha;
    template <class T>
    T apply(T x) const noexcept { return x > T(0) ? x : static_cast<T>(alpha) * std::expm1(x); }
    // For alpha >= 0 (the only kind a network may use), y > 0 exactly when x > 0, and below
    // alpha * e^x = y + alpha.
    template <class T>
    constexpr T derivative(T y) const noexcept { return y > T(0) ? T(1) : y + static_cast<T>(alpha); }
};

/// min(max(x, lo), hi); NaN stays NaN.
struct clip_op {
    double lo, hi;
    template <class T>
    constexpr T apply(T x) const noexcept {
        return x < static_cast<T>(lo) ? static_cast<T>(lo) : x > static_cast<T>(hi) ? static_cast<T>(hi) : x;
    }
    // 1 strictly inside (lo, hi), 0 on the bounds and outside (PyTorch's hardtanh and relu6).
    template <class T>
    constexpr T derivative(T y) const noexcept {
        return y > static_cast<T>(lo) && y < static_cast<T>(hi) ? T(1) : T(0);
    }
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

/// Softmax (Log false) or log-softmax (Log true) along one axis of each sample: every line
/// of g.length values, g.inner apart, is normalized on its own, max subtracted first. `in` and
/// `out` may be the same buffer (a line is read whole before it is written).
///   softmax:     exp(x_i - max) / sum_j exp(x_j - max)
///   log-softmax: x_i - max - log(sum_j exp(x_j - max))
template <bool Log, class T>
void softmax_axis_forward(const axis_geometry& g, const T* in, T* out, std::size_t batch) noexcept {
    for (std::size_t line = 0; line < batch * g.outer * g.inner; ++line) {
        const std::size_t start = line / g.inner * g.length * g.inner + line % g.inner;
        const T* x = in + start;
        T* z = out + start;
        T top = x[0];
        for (std::size_t i = 1; i < g.length; ++i) top = x[i * g.inner] > top ? x[i * g.inner] : top;
        T sum = 0;
        for (std::size_t i = 0; i < g.length; ++i) sum += std::exp(x[i * g.inner] - top);
        if constexpr (Log) {
            const T shift = top + std::log(sum);
            for (std::size_t i = 0; i < g.length; ++i) z[i * g.inner] = x[i * g.inner] - shift;
        } else {
            const T inv = T(1) / sum;
            for (std::size_t i = 0; i < g.length; ++i) z[i * g.inner] = std::exp(x[i * g.inner] - top) * inv;
        }
    }
}

/// Gradients of softmax_axis_forward from its output y, per line:
///   softmax:     din_i = y_i * (dout_i - sum_j dout_j y_j)
///   log-softmax: din_i = dout_i - exp(y_i) * sum_j dout_j
/// din may alias dout.
template <bool Log, class T>
void softmax_axis_backward(const axis_geometry& g, const T* out, const T* dout, T* din, std::size_t batch) noexcept {
    for (std::size_t line = 0; line < batch * g.outer * g.inner; ++line) {
        const std::size_t start = line / g.inner * g.length * g.inner + line % g.inner;
        const T* y = out + start;
        const T* dz = dout + start;
        T* dx = din + start;
        T dot = 0;
        for (std::size_t i = 0; i < g.length; ++i) dot += Log ? dz[i * g.inner] : dz[i * g.inner] * y[i * g.inner];
        for (std::size_t i = 0; i < g.length; ++i) {
            const std::size_t at = i * g.inner;
            if constexpr (Log)
                dx[at] = dz[at] - std::exp(y[at]) * dot;
            else
                dx[at] = y[at] * (dz[at] - dot);
        }
    }
}

} // namespace ctnn::kernels::reference
