// Reference fully connected layer, PyTorch's Linear layout:
//   out[n][o] = bias[o] + sum_i w[o][i] * in[n][i],   w is out x in, row-major.
#pragma once

#include <cstddef>

#include "../../core/geometry.hpp"

namespace ctnn::kernels::reference {

template <class T>
void dense_forward(const dense_geometry& g, const T* in, const T* weight, const T* bias, T* out,
                   std::size_t batch) noexcept {
    for (std::size_t n = 0; n < batch; ++n) {
        const T* x = in + n * g.in;
        for (std::size_t o = 0; o < g.out; ++o) {
            T acc = g.bias ? bias[o] : T(0);
            const T* w = weight + o * g.in;
            for (std::size_t i = 0; i < g.in; ++i) acc += w[i] * x[i];
            out[n * g.out + o] = acc;
        }
    }
}

/// Gradients of dense_forward: dweight[o][i] += dout[o] * in[i], dbias[o] += dout[o],
/// din[i] = sum_o w[o][i] * dout[o] (skipped when din is null). Sums over the batch.
template <class T>
void dense_backward(const dense_geometry& g, const T* in, const T* weight, const T* dout, T* din, T* dweight,
                    T* dbias, std::size_t batch) noexcept {
    for (std::size_t n = 0; n < batch; ++n) {
        const T* x = in + n * g.in;
        const T* dz = dout + n * g.out;
        T* dx = din != nullptr ? din + n * g.in : nullptr;
        if (dx != nullptr)
            for (std::size_t i = 0; i < g.in; ++i) dx[i] = T(0);
        for (std::size_t o = 0; o < g.out; ++o) {
            const T d = dz[o];
            if (g.bias) dbias[o] += d;
            const T* w = weight + o * g.in;
            T* dw = dweight + o * g.in;
            for (std::size_t i = 0; i < g.in; ++i) {
                dw[i] += d * x[i];
                if (dx != nullptr) dx[i] += d * w[i];
            }
        }
    }
}

/// din[n][i] = sum_o w[o][i] * dout[n][o]: dense_backward's input gradient alone.
template <class T>
void dense_backward_input(const dense_geometry& g, const T* weight, const T* dout, T* din, std::size_t batch) noexcept {
    for (std::size_t n = 0; n < batch; ++n) {
        T* dx = din + n * g.in;
        for (std::size_t i = 0; i < g.in; ++i) dx[i] = T(0);
        for (std::size_t o = 0; o < g.out; ++o) {
            const T d = dout[n * g.out + o];
            const T* w = weight + o * g.in;
            for (std::size_t i = 0; i < g.in; ++i) dx[i] += d * w[i];
        }
    }
}

/// The weight and bias gradients of output rows [first, first + count) over the whole batch,
/// written (not added): dweight[o][i] = sum_n dout[n][o] * in[n][i], samples in order.
template <class T>
void dense_backward_params(const dense_geometry& g, const T* in, const T* dout, T* dweight, T* dbias,
                           std::size_t batch, std::size_t first, std::size_t count) noexcept {
    for (std::size_t o = first; o < first + count; ++o) {
        T* dw = dweight + o * g.in;
        for (std::size_t i = 0; i < g.in; ++i) dw[i] = T(0);
        if (g.bias) dbias[o] = T(0);
        for (std::size_t n = 0; n < batch; ++n) {
            const T d = dout[n * g.out + o];
            const T* x = in + n * g.in;
            if (g.bias) dbias[o] += d;
            for (std::size_t i = 0; i < g.in; ++i) dw[i] += d * x[i];
        }
    }
}

} // namespace ctnn::kernels::reference
