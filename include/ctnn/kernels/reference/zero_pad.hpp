// Reference zero padding of each channel of a C x H x W sample (NCHW):
//   out[c][y][x] = in[c][y - top][x - left] inside the input, 0 in the padding.
#pragma once

#include <cstddef>

#include "../../core/geometry.hpp"

namespace ctnn::kernels::reference {

template <class T>
void zero_pad_forward(const pad2d_geometry& g, const T* in, T* out, std::size_t batch) noexcept {
    const std::size_t oh = g.out_h(), ow = g.out_w();
    for (std::size_t nc = 0; nc < batch * g.channels; ++nc) {
        const T* x = in + nc * g.in_h * g.in_w;
        T* z = out + nc * oh * ow;
        for (std::size_t y = 0; y < oh; ++y)
            for (std::size_t xo = 0; xo < ow; ++xo) {
                const bool inside = y >= g.pad_top && y < g.pad_top + g.in_h && xo >= g.pad_left &&
                                    xo < g.pad_left + g.in_w;
                z[y * ow + xo] = inside ? x[(y - g.pad_top) * g.in_w + (xo - g.pad_left)] : T(0);
            }
    }
}

/// din is dout without its padding.
template <class T>
void zero_pad_backward(const pad2d_geometry& g, const T* dout, T* din, std::size_t batch) noexcept {
    const std::size_t oh = g.out_h(), ow = g.out_w();
    for (std::size_t nc = 0; nc < batch * g.channels; ++nc)
        for (std::size_t y = 0; y < g.in_h; ++y)
            for (std::size_t x = 0; x < g.in_w; ++x)
                din[(nc * g.in_h + y) * g.in_w + x] = dout[nc * oh * ow + (y + g.pad_top) * ow + x + g.pad_left];
}

} // namespace ctnn::kernels::reference
