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

} // namespace ctnn::detail
