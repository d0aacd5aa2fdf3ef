// Reference max and average pooling, straight from the definitions, per channel:
//   max: out = max over the window of the input cells inside the input (padding never wins)
//   avg: out = sum over those cells / (window area if count_include_pad, else their count)
// With count_include_pad the divisor counts padding cells but not cells past the padded
// input (those a ceil_mode window hangs over), as PyTorch does. Layout: NCHW.
#pragma once

#include <cstddef>
#include <limits>

#include "../../core/geometry.hpp"

namespace ctnn::kernels::reference {

template <pool_kind Kind, class T>
void pool2d_forward(const pool2d_geometry& g, const T* in, T* out, std::size_t batch) noexcept {
    const auto in_h = static_cast<std::ptrdiff_t>(g.in_h), in_w = static_cast<std::ptrdiff_t>(g.in_w);
    const auto pt = static_cast<std::ptrdiff_t>(g.pad_top), pl = static_cast<std::ptrdiff_t>(g.pad_left);
    const auto pb = static_cast<std::ptrdiff_t>(g.pad_bottom), pr = static_cast<std::ptrdiff_t>(g.pad_right);
    for (std::size_t nc = 0; nc < batch * g.channels; ++nc) {
        const T* x = in + nc * g.in_h * g.in_w;
        T* z = out + nc * g.out_h * g.out_w;
        for (std::size_t y = 0; y < g.out_h; ++y) {
            for (std::size_t xo = 0; xo < g.out_w; ++xo) {
                const std::ptrdiff_t y0 = static_cast<std::ptrdiff_t>(y * g.stride_h) - pt;
                const std::ptrdiff_t x0 = static_cast<std::ptrdiff_t>(xo * g.stride_w) - pl;
                T best = -std::numeric_limits<T>::infinity();
                T sum = 0;
                std::size_t inside = 0, padded = 0;
                for (std::size_t ky = 0; ky < g.window_h; ++ky) {
                    const std::ptrdiff_t iy = y0 + static_cast<std::ptrdiff_t>(ky * g.dilation_h);
                    for (std::size_t kx = 0; kx < g.window_w; ++kx) {
                        const std::ptrdiff_t ix = x0 + static_cast<std::ptrdiff_t>(kx * g.dilation_w);
                        if (iy < in_h + pb && ix < in_w + pr) ++padded; // inside the padded input
                        if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) continue;
                        const T v = x[iy * in_w + ix];
                        if (v > best || v != v) best = v; // NaN propagates, as in PyTorch
                        sum += v;
                        ++inside;
                    }
                }
                if constexpr (Kind == pool_kind::max) {
                    z[y * g.out_w + xo] = best;
                } else {
                    const std::size_t count = g.count_include_pad ? padded : inside;
                    z[y * g.out_w + xo] = sum / static_cast<T>(count);
                }
            }
        }
    }
}

/// Gradients of pool2d_forward. Max: each output's delta goes to the input cell that won
/// its window (the first one, scanning rows then columns, on ties; as PyTorch). Average:
/// it is spread evenly, dout / count, over the window's input cells, count as in forward.
/// din is overwritten.
template <pool_kind Kind, class T>
void pool2d_backward(const pool2d_geometry& g, const T* in, const T* dout, T* din, std::size_t batch) noexcept {
    const auto in_h = static_cast<std::ptrdiff_t>(g.in_h), in_w = static_cast<std::ptrdiff_t>(g.in_w);
    const auto pt = static_cast<std::ptrdiff_t>(g.pad_top), pl = static_cast<std::ptrdiff_t>(g.pad_left);
    const auto pb = static_cast<std::ptrdiff_t>(g.pad_bottom), pr = static_cast<std::ptrdiff_t>(g.pad_right);
    for (std::size_t i = 0; i < batch * g.in_size(); ++i) din[i] = T(0);
    for (std::size_t nc = 0; nc < batch * g.channels; ++nc) {
        const T* x = in + nc * g.in_h * g.in_w;
        const T* dz = dout + nc * g.out_h * g.out_w;
        T* dx = din + nc * g.in_h * g.in_w;
        for (std::size_t y = 0; y < g.out_h; ++y) {
            for (std::size_t xo = 0; xo < g.out_w; ++xo) {
                const std::ptrdiff_t y0 = static_cast<std::ptrdiff_t>(y * g.stride_h) - pt;
                const std::ptrdiff_t x0 = static_cast<std::ptrdiff_t>(xo * g.stride_w) - pl;
                const T d = dz[y * g.out_w + xo];
                std::ptrdiff_t best_at = -1;
                T best = -std::numeric_limits<T>::infinity();
                std::size_t inside = 0, padded = 0;
                for (std::size_t ky = 0; ky < g.window_h; ++ky) {
                    const std::ptrdiff_t iy = y0 + static_cast<std::ptrdiff_t>(ky * g.dilation_h);
                    for (std::size_t kx = 0; kx < g.window_w; ++kx) {
                        const std::ptrdiff_t ix = x0 + static_cast<std::ptrdiff_t>(kx * g.dilation_w);
                        if (iy < in_h + pb && ix < in_w + pr) ++padded;
                        if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) continue;
                        ++inside;
                        const T v = x[iy * in_w + ix];
                        if (best_at < 0 || v > best || (v != v && best == best)) {
                            best = v;
                            best_at = iy * in_w + ix;
                        }
                    }
                }
                if constexpr (Kind == pool_kind::max) {
                    if (best_at >= 0) dx[best_at] += d;
                } else {
                    const T share = d / static_cast<T>(g.count_include_pad ? padded : inside);
                    for (std::size_t ky = 0; ky < g.window_h; ++ky) {
                        const std::ptrdiff_t iy = y0 + static_cast<std::ptrdiff_t>(ky * g.dilation_h);
                        if (iy < 0 || iy >= in_h) continue;
                        for (std::size_t kx = 0; kx < g.window_w; ++kx) {
                            const std::ptrdiff_t ix = x0 + static_cast<std::ptrdiff_t>(kx * g.dilation_w);
                            if (ix < 0 || ix >= in_w) continue;
                            dx[iy * in_w + ix] += share;
                        }
                    }
                }
            }
        }
    }
}

} // namespace ctnn::kernels::reference
