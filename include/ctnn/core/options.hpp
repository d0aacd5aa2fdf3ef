// Per-layer options, spelled as types inside a layer's <>:
//   ctnn::conv2d<16, 3, ctnn::stride<2>, ctnn::pad<1>, ctnn::no_bias>
// Each option folds into one spatial_options value; a layer states which options it takes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "values.hpp"

namespace ctnn {

/// How an output size is rounded when (In + pads - effective kernel) is not a multiple of the stride.
enum class rounding : std::uint8_t {
    strict, ///< must divide exactly (the default: a shape mistake is a compile error)
    floor,  ///< PyTorch and ONNX default: drop the incomplete last window
    ceil,   ///< PyTorch ceil_mode / ONNX ceil_mode: keep it (it must start inside the input or its begin padding)
};

enum class option_kind : std::uint16_t {
    pad = 1,
    stride = 2,
    dilation = 4,
    groups = 8,
    bias = 16,
    rounding = 32,
    count_pad = 64,
    kernel = 128,
    auto_pad = 256,
    trans_a = 512,
    trans_b = 1024,
};

/// ONNX's auto_pad: padding worked out when the layer is bound, from the input size.
enum class auto_padding : std::uint8_t {
    none,       ///< pad<> or no padding
    same_upper, ///< Out = ceil(In / Stride), the odd extra cell at the end (bottom, right)
    same_lower, ///< Out = ceil(In / Stride), the odd extra cell at the beginning (top, left)
    valid,      ///< no padding
};

/// Which conv2d forward kernel runs (kernel_choice<>); backward follows the same choice
/// between the SIMD kernels and the reference.
enum class conv_kernel : std::uint8_t {
    automatic, ///< from the shape: gemm for a 1x1 stride-1 unpadded conv, else direct
    direct,    ///< direct convolution, vectorized along the output width (or, for rows narrow
               ///< next to the vector, along the output channels)
    gemm,      ///< GEMM on the input as it lies (1x1 kernel, stride 1, no padding only)
    reference, ///< the scalar reference kernels (the oracle)
};

/// The folded value of a layer's options. Pads are top, left, bottom, right.
struct spatial_options {
    std::size_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
    hw stride{1};
    bool stride_given = false;
    hw dilation{1};
    std::size_t groups = 1;
    bool bias = true;
    ctnn::rounding round = rounding::strict;
    bool count_include_pad = true;
    conv_kernel kernel = conv_kernel::automatic;
    ctnn::auto_padding auto_pad = auto_padding::none;
    bool trans_a = false, trans_b = false;
};

namespace detail {
struct option_tag {};
} // namespace detail

/// Zero padding: pad<P> on all sides, pad<PH, PW> per axis, pad<Top, Left, Bottom, Right> (ONNX order).
template <std::size_t... P>
struct pad : detail::option_tag {
    static_assert(sizeof...(P) == 1 || sizeof...(P) == 2 || sizeof...(P) == 4,
                  "ctnn::pad takes 1 value (all sides), 2 values (height, width) "
                  "or 4 values (top, left, bottom, right)");
    static constexpr option_kind kind = option_kind::pad;
    static constexpr void apply(spatial_options& o) noexcept {
        constexpr std::size_t v[] = {P...};
        if constexpr (sizeof...(P) == 1) {
            o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = v[0];
        } else if constexpr (sizeof...(P) == 2) {
            o.pad_top = o.pad_bottom = v[0];
            o.pad_left = o.pad_right = v[1];
        } else if constexpr (sizeof...(P) == 4) {
            o.pad_top = v[0];
            o.pad_left = v[1];
            o.pad_bottom = v[2];
            o.pad_right = v[3];
        }
    }
};

/// Step between windows: stride<S> or stride<SH, SW>.
template <std::size_t... S>
struct stride : detail::option_tag {
    static_assert(sizeof...(S) == 1 || sizeof...(S) == 2,
                  "ctnn::stride takes 1 value (both axes) or 2 values (height, width)");
    static constexpr option_kind kind = option_kind::stride;
    static constexpr void apply(spatial_options& o) noexcept {
        constexpr std::size_t v[] = {S...};
        o.stride = hw{v[0], v[sizeof...(S) - 1]};
        o.stride_given = true;
    }
};

/// Spacing between kernel taps: dilation<D> or dilation<DH, DW>.
template <std::size_t... D>
struct dilation : detail::option_tag {
    static_assert(sizeof...(D) == 1 || sizeof...(D) == 2,
                  "ctnn::dilation takes 1 value (both axes) or 2 values (height, width)");
    static constexpr option_kind kind = option_kind::dilation;
    static constexpr void apply(spatial_options& o) noexcept {
        constexpr std::size_t v[] = {D...};
        o.dilation = hw{v[0], v[sizeof...(D) - 1]};
    }
};

/// Grouped convolution: input and output channels split into G independent groups.
template <std::size_t G>
struct groups : detail::option_tag {
    static constexpr option_kind kind = option_kind::groups;
    static constexpr void apply(spatial_options& o) noexcept { o.groups = G; }
};

/// A conv2d, dense or gemm without the bias term.
struct no_bias : detail::option_tag {
    static constexpr option_kind kind = option_kind::bias;
    static constexpr void apply(spatial_options& o) noexcept { o.bias = false; }
};

/// Round output sizes down (PyTorch's and ONNX's default).
struct floor_mode : detail::option_tag {
    static constexpr option_kind kind = option_kind::rounding;
    static constexpr void apply(spatial_options& o) noexcept { o.round = rounding::floor; }
};

/// Round output sizes up (PyTorch's ceil_mode=True).
struct ceil_mode : detail::option_tag {
    static constexpr option_kind kind = option_kind::rounding;
    static constexpr void apply(spatial_options& o) noexcept { o.round = rounding::ceil; }
};

/// avg_pool2d: divide by the whole window, padding included (PyTorch's default).
struct count_include_pad : detail::option_tag {
    static constexpr option_kind kind = option_kind::count_pad;
    static constexpr void apply(spatial_options& o) noexcept { o.count_include_pad = true; }
};

/// avg_pool2d: divide by the number of real input cells in the window (ONNX's default).
struct count_exclude_pad : detail::option_tag {
    static constexpr option_kind kind = option_kind::count_pad;
    static constexpr void apply(spatial_options& o) noexcept { o.count_include_pad = false; }
};

/// conv2d: force a kernel instead of the one chosen from the shape.
template <conv_kernel K>
struct kernel_choice : detail::option_tag {
    static constexpr option_kind kind = option_kind::kernel;
    static constexpr void apply(spatial_options& o) noexcept { o.kernel = K; }
};

/// conv2d and the pools: pad so that Out = ceil(In / Stride), an odd extra cell at the end
/// (bottom, right), as ONNX's auto_pad SAME_UPPER (and TensorFlow's "SAME").
struct same_upper : detail::option_tag {
    static constexpr option_kind kind = option_kind::auto_pad;
    static constexpr void apply(spatial_options& o) noexcept { o.auto_pad = auto_padding::same_upper; }
};

/// As same_upper, the odd extra cell at the beginning (top, left): ONNX's SAME_LOWER.
struct same_lower : detail::option_tag {
    static constexpr option_kind kind = option_kind::auto_pad;
    static constexpr void apply(spatial_options& o) noexcept { o.auto_pad = auto_padding::same_lower; }
};

/// No padding, spelled out: ONNX's auto_pad VALID.
struct valid : detail::option_tag {
    static constexpr option_kind kind = option_kind::auto_pad;
    static constexpr void apply(spatial_options& o) noexcept { o.auto_pad = auto_padding::valid; }
};

/// gemm: multiply by the transpose of the input matrix A.
struct trans_a : detail::option_tag {
    static constexpr option_kind kind = option_kind::trans_a;
    static constexpr void apply(spatial_options& o) noexcept { o.trans_a = true; }
};

/// gemm: the weight B is stored N x K and multiplied transposed.
struct trans_b : detail::option_tag {
    static constexpr option_kind kind = option_kind::trans_b;
    static constexpr void apply(spatial_options& o) noexcept { o.trans_b = true; }
};

/// A type usable inside a layer's <> as an option.
template <class O>
concept layer_option = std::is_base_of_v<detail::option_tag, O>;

} // namespace ctnn
