// Reference 2-D convolution (cross-correlation, as PyTorch and the seed compute it), written
// straight from the formula and kept as the oracle for every faster kernel:
//   out[n][o][y][x] = bias[o] + sum_{c, ky, kx} in[n][g*Cg + c][y*Sh - Pt + ky*Dh][x*Sw - Pl + kx*Dw]
//                                               * w[o][c][ky][kx]
// with g = o / (O/groups), Cg = C/groups, and taps outside the input reading zero.
// Layout: NCHW activations, OIHW weights, all contiguous.
#pragma once

#include <cstddef>

#include "../../core/geometry.hpp"

namespace ctnn::kernels::reference {

template <class T>
void conv2d_forward(const conv2d_geometry& g, const T* in, const T* weight, const T* bias, T* out,
                    std::size_t batch) noexcept {
    const std::size_t cin_g = g.in_c_per_group(), cout_g = g.out_c_per_group();
    for (std::size_t n = 0; n < batch; ++n) {
        const T* x = in + n * g.in_size();
        T* z = out + n * g.out_size();
        for (std::size_t o = 0; o < g.out_c; ++o) {
            const std::size_t c0 = o / cout_g * cin_g;
            const T* w = weight + o * cin_g * g.kernel_h * g.kernel_w;
            for (std::size_t y = 0; y < g.out_h; ++y) {
                for (std::size_t xo = 0; xo < g.out_w; ++xo) {
                    T acc = g.bias ? bias[o] : T(0);
                    for (std::size_t c = 0; c < cin_g; ++c) {
                        for (std::size_t ky = 0; ky < g.kernel_h; ++ky) {
                            // Signed arithmetic: the tap may fall in the padding.
                            const auto iy = static_cast<std::ptrdiff_t>(y * g.stride_h + ky * g.dilation_h) -
                                            static_cast<std::ptrdiff_t>(g.pad_top);
                            if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(g.in_h)) continue;
                            for (std::size_t kx = 0; kx < g.kernel_w; ++kx) {
                                const auto ix = static_cast<std::ptrdiff_t>(xo * g.stride_w + kx * g.dilation_w) -
                                                static_cast<std::ptrdiff_t>(g.pad_left);
                                if (ix < 0 || ix >= static_cast<std::ptrdiff_t>(g.in_w)) continue;
                                acc += x[((c0 + c) * g.in_h + static_cast<std::size_t>(iy)) * g.in_w +
                                         static_cast<std::size_t>(ix)] *
                                       w[(c * g.kernel_h + ky) * g.kernel_w + kx];
                            }
                        }
                    }
                    z[(o * g.out_h + y) * g.out_w + xo] = acc;
                }
            }
        }
    }
}

/// Gradients of conv2d_forward, from the same formula read backwards: each product
/// in[...] * w[...] that fed out[...] sends dout * w to the input cell and dout * in to the
/// weight. Adds into dweight and dbias (summed over the batch); writes din unless it is null
/// (the first layer has no delta to pass on). Equal to the seed's "expand the delta map to
/// stride 1, pad, convolve with the kernel rotated 180 degrees", without building either.
template <class T>
void conv2d_backward(const conv2d_geometry& g, const T* in, const T* weight, const T* dout, T* din, T* dweight,
                     T* dbias, std::size_t batch) noexcept {
    const std::size_t cin_g = g.in_c_per_group(), cout_g = g.out_c_per_group();
    if (din != nullptr)
        for (std::size_t i = 0; i < batch * g.in_size(); ++i) din[i] = T(0);
    for (std::size_t n = 0; n < batch; ++n) {
        const T* x = in + n * g.in_size();
        const T* dz = dout + n * g.out_size();
        T* dx = din != nullptr ? din + n * g.in_size() : nullptr;
        for (std::size_t o = 0; o < g.out_c; ++o) {
            const std::size_t c0 = o / cout_g * cin_g;
            const T* w = weight + o * cin_g * g.kernel_h * g.kernel_w;
            T* dw = dweight + o * cin_g * g.kernel_h * g.kernel_w;
            for (std::size_t y = 0; y < g.out_h; ++y) {
                for (std::size_t xo = 0; xo < g.out_w; ++xo) {
                    const T d = dz[(o * g.out_h + y) * g.out_w + xo];
                    if (g.bias) dbias[o] += d;
                    for (std::size_t c = 0; c < cin_g; ++c) {
                        for (std::size_t ky = 0; ky < g.kernel_h; ++ky) {
                            const auto iy = static_cast<std::ptrdiff_t>(y * g.stride_h + ky * g.dilation_h) -
                                            static_cast<std::ptrdiff_t>(g.pad_top);
                            if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(g.in_h)) continue;
                            for (std::size_t kx = 0; kx < g.kernel_w; ++kx) {
                                const auto ix = static_cast<std::ptrdiff_t>(xo * g.stride_w + kx * g.dilation_w) -
                                                static_cast<std::ptrdiff_t>(g.pad_left);
                                if (ix < 0 || ix >= static_cast<std::ptrdiff_t>(g.in_w)) continue;
                                const std::size_t at = ((c0 + c) * g.in_h + static_cast<std::size_t>(iy)) * g.in_w +
                                                       static_cast<std::size_t>(ix);
                                const std::size_t k = (c * g.kernel_h + ky) * g.kernel_w + kx;
                                dw[k] += d * x[at];
                                if (dx != nullptr) dx[at] += d * w[k];
                            }
                        }
                    }
                }
            }
        }
    }
}

} // namespace ctnn::kernels::reference
