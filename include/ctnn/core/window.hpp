// The output-size rule shared by convolution and pooling, per axis:
//   Out = (In + PadBegin + PadEnd - (Dilation*(Kernel-1)+1)) / Stride + 1
// rounded as the layer asks (strict: must divide; floor; ceil with PyTorch's rule that the
// last window must start inside the input or its begin padding). Also ONNX's auto_pad,
// resolved into pads once the input size is known.
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

/// Padding of one axis, before and after.
struct axis_pads {
    std::size_t begin, end;
};

/// ONNX's auto_pad SAME_UPPER / SAME_LOWER for one axis: Out = ceil(In / Stride) and
/// total = max((Out - 1) * Stride + (Kernel - 1) * Dilation + 1 - In, 0), the odd extra cell at
/// the end (upper) or the beginning (lower). Zero sizes are reported by the layer; pads 0 then.
constexpr axis_pads same_pads(std::size_t in, std::size_t kernel, std::size_t stride, std::size_t dilation,
                              bool upper) noexcept {
    if (in == 0 || kernel == 0 || stride == 0 || dilation == 0) return {0, 0};
    const std::size_t out = (in + stride - 1) / stride;
    const std::size_t need = (out - 1) * stride + effective_kernel(kernel, dilation);
    const std::size_t total = need > in ? need - in : 0;
    const std::size_t half = total / 2;
    return upper ? axis_pads{half, total - half} : axis_pads{total - half, half};
}

/// The options with same_upper / same_lower turned into pads for an in_h x in_w input
/// (valid and no auto padding keep the pads they have: none, or pad<>'s).
constexpr spatial_options resolve_auto_pad(spatial_options o, std::size_t in_h, std::size_t in_w, std::size_t kernel_h,
                                           std::size_t kernel_w) noexcept {
    if (o.auto_pad == auto_padding::same_upper || o.auto_pad == auto_padding::same_lower) {
        const bool upper = o.auto_pad == auto_padding::same_upper;
        const axis_pads h = same_pads(in_h, kernel_h, o.stride.h, o.dilation.h, upper);
        const axis_pads w = same_pads(in_w, kernel_w, o.stride.w, o.dilation.w, upper);
        o.pad_top = h.begin;
        o.pad_bottom = h.end;
        o.pad_left = w.begin;
        o.pad_right = w.end;
    }
    return o;
}

} // namespace ctnn::detail
