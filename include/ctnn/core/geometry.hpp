// Runtime descriptions of a layer's sizes, as the kernels take them. The reference kernels
// take these as plain values (one instantiation per element type keeps compile times low);
// the SIMD kernels take them as template arguments and specialize on every number.
#pragma once

#include <cstddef>

namespace ctnn {

struct conv2d_geometry {
    std::size_t in_c, in_h, in_w;
    std::size_t out_c, out_h, out_w;
    std::size_t kernel_h, kernel_w;
    std::size_t stride_h, stride_w;
    std::size_t pad_top, pad_left;
    std::size_t dilation_h, dilation_w;
    std::size_t groups;
    bool bias;

    constexpr std::size_t in_size() const noexcept { return in_c * in_h * in_w; }
    constexpr std::size_t out_size() const noexcept { return out_c * out_h * out_w; }
    constexpr std::size_t in_c_per_group() const noexcept { return in_c / groups; }
    constexpr std::size_t out_c_per_group() const noexcept { return out_c / groups; }
    /// Weights in OIHW: out_c x (in_c/groups) x kernel_h x kernel_w.
    constexpr std::size_t weight_size() const noexcept {
        return out_c * in_c_per_group() * kernel_h * kernel_w;
    }
    /// Multiply-adds for one sample.
    constexpr std::size_t macs() const noexcept { return out_size() * in_c_per_group() * kernel_h * kernel_w; }
};

enum class pool_kind { max, average };

struct pool2d_geometry {
    std::size_t channels, in_h, in_w;
    std::size_t out_h, out_w;
    std::size_t window_h, window_w;
    std::size_t stride_h, stride_w;
    std::size_t pad_top, pad_left, pad_bottom, pad_right;
    std::size_t dilation_h, dilation_w;
    bool count_include_pad;

    constexpr std::size_t in_size() const noexcept { return channels * in_h * in_w; }
    constexpr std::size_t out_size() const noexcept { return channels * out_h * out_w; }
};

struct dense_geometry {
    std::size_t in, out;
    bool bias;
};

/// ONNX Gemm on one sample: Y (M x N) = alpha * A' * B' + beta * C. A is stored a_rows x a_cols
/// (the sample), A' is A or its transpose (trans_a); B is stored K x N, or N x K (trans_b).
struct gemm_geometry {
    std::size_t a_rows, a_cols, n;
    bool trans_a, trans_b, bias;
    double alpha, beta;

    constexpr std::size_t m() const noexcept { return trans_a ? a_cols : a_rows; }
    constexpr std::size_t k() const noexcept { return trans_a ? a_rows : a_cols; }
    constexpr std::size_t in_size() const noexcept { return a_rows * a_cols; }
    constexpr std::size_t out_size() const noexcept { return m() * n; }
};

/// Zero padding around each channel of a C x H x W sample.
struct pad2d_geometry {
    std::size_t channels, in_h, in_w;
    std::size_t pad_top, pad_left, pad_bottom, pad_right;

    constexpr std::size_t out_h() const noexcept { return in_h + pad_top + pad_bottom; }
    constexpr std::size_t out_w() const noexcept { return in_w + pad_left + pad_right; }
    constexpr std::size_t in_size() const noexcept { return channels * in_h * in_w; }
    constexpr std::size_t out_size() const noexcept { return channels * out_h() * out_w(); }
};

/// One axis of a sample seen as outer x length x inner (row-major): softmax_along works on
/// each of the outer * inner lines of `length` values, `inner` apart.
struct axis_geometry {
    std::size_t outer, length, inner;

    constexpr std::size_t size() const noexcept { return outer * length * inner; }
};

/// PReLU: value i of a sample uses slope i / spatial (one slope: spatial = size; per channel:
/// spatial = H*W; per element: spatial = 1).
struct prelu_geometry {
    std::size_t size, slopes, spatial;
};

} // namespace ctnn
