// The output-size rule shared by convolution and pooling, per axis:
//   Out = (In + PadBegin + PadEnd - (Dilation*(Kernel-1)+1)) / Stride + 1
// rounded as the layer asks (strict: must divide; floor; ceil with PyTorch's rule that the
// last window must start inside the input or its begin padding).
#pragma once

#include <cstddef>

#include "options.hpp"

namespace ctnn::detail {

constexpr std::size_t effective_kernel(std::size_t kernel, std::size_t dilation) noexcept {
    return dilation * (kernel - 1) + 1;
}

/// Precondition: In + PadBegin + PadEnd >= effective kernel, Stride >= 1.
constexpr std::size_t window_out(std::size_t in, std::size_t kernel, std::size_t pad_begin,
                                 std::size_t pad_end, std::size_t stride, std::size_t dilation,
                                 rounding round) noexcept {
    const std::size_t span = in + pad_begin + pad_end - effective_kernel(kernel, dilation);
    if (round != rounding::ceil) return span / stride + 1;
    std::size_t out = (span + stride - 1) / stride + 1;
    if ((out - 1) * stride >= in + pad_begin) --out;
    return out;
}

/// True when every one of the `out` windows has a tap inside the input (with dilation a
/// window's taps can straddle the whole input and land only in padding).
constexpr bool every_window_sees_input(std::size_t in, std::size_t kernel, std::size_t pad_begin, std::size_t stride,
                                       std::size_t dilation, std::size_t out) noexcept {
    for (std::size_t o = 0; o < out; ++o) {
        bool sees = false;
        for (std::size_t k = 0; k < kernel && !sees; ++k) {
            const std::size_t at = o * stride + k * dilation; // position in the padded input
            sees = at >= pad_begin && at < pad_begin + in;
        }
        if (!sees) return false;
    }
    return true;
}

} // namespace ctnn::detail
