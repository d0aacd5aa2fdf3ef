// Reference PReLU, straight from the formula: y = x > 0 ? x : w[s] * x, where value i of a
// sample uses slope s = i / g.spatial (see prelu_geometry). `in` and `out` may be the same buffer.
#pragma once

#include <cstddef>

#include "../../core/geometry.hpp"

namespace ctnn::kernels::reference {

template <class T>
void prelu_forward(const prelu_geometry& g, const T* in, const T* weight, T* out, std::size_t batch) noexcept {
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t i = 0; i < g.size; ++i) {
            const T x = in[n * g.size + i];
            out[n * g.size + i] = x > T(0) ? x : weight[i / g.spatial] * x;
        }
}

/// Gradients from the input: dw[s] += sum of dout * x over the values x <= 0 that use slope s,
/// din = dout * (x > 0 ? 1 : w[s]) unless din is null. din may alias dout.
template <class T>
void prelu_backward(const prelu_geometry& g, const T* in, const T* weight, const T* dout, T* din, T* dweight,
                    std::size_t batch) noexcept {
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t i = 0; i < g.size; ++i) {
            const std::size_t at = n * g.size + i;
            const T x = in[at], d = dout[at];
            if (x > T(0)) {
                if (din != nullptr) din[at] = d;
            } else {
                dweight[i / g.spatial] += d * x;
                if (din != nullptr) din[at] = d * weight[i / g.spatial];
            }
        }
}

} // namespace ctnn::kernels::reference
