// ctnn::gemm<N, Alpha, Beta, Options...>: ONNX Gemm applied to one sample,
//   Y = Alpha * A' * B' + Beta * C.
// The sample is the matrix A: a flat input <K> is 1 x K, a C x H x W input is C x (H*W).
// A' = A, or A transposed with ctnn::trans_a; A' is M x K. B' = B with B stored K x N, or
// B transposed with ctnn::trans_b, B stored N x K: the parameter "weight" is B exactly as ONNX
// stores it. The parameter "bias" is C as a full M x N matrix (absent with ctnn::no_bias).
// Output: shape<N> for a flat input without trans_a, else shape<M, N, 1>.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../core/values.hpp"
#include "../kernels/reference/gemm.hpp"

namespace ctnn {

namespace detail {

template <std::size_t Layer, std::size_t N>
consteval bool gemm_check() {
    static_assert(N >= 1, "ctnn::gemm: N (the columns of the output) must be at least 1");
    return N >= 1;
}

} // namespace detail

/// ONNX Gemm on each sample; options trans_a, trans_b, no_bias.
template <std::size_t N, real Alpha = 1.0, real Beta = 1.0, class... Options>
struct gemm : detail::layer_tag {
    static constexpr std::size_t n = N;
    static constexpr double alpha = Alpha.value(), beta = Beta.value();
    static constexpr bool options_ok =
        detail::check_options<gemm, detail::option_mask<option_kind::trans_a, option_kind::trans_b, option_kind::bias>,
                              Options...>();
    static constexpr spatial_options options = detail::fold_options<Options...>();

    template <class T, any_shape In, std::size_t Index>
    struct bind;
};

namespace detail {
template <any_shape In, std::size_t N, bool TransA>
struct gemm_out {
    static constexpr std::size_t a_rows = In::rank == 3 ? In::dims[0] : 1;
    static constexpr std::size_t a_cols = In::size / a_rows;
    static constexpr std::size_t m = TransA ? a_cols : a_rows;
    using type = std::conditional_t<In::rank == 1 && !TransA, shape<N>, shape<m, N, 1>>;
};
} // namespace detail

template <std::size_t N, real Alpha, real Beta, class... Options>
template <class T, any_shape In, std::size_t Index>
struct gemm<N, Alpha, Beta, Options...>::bind
    : detail::bound_base<T, In, typename detail::gemm_out<In, N, options.trans_a>::type, Index> {
  private:
    using sizes = detail::gemm_out<In, N, options.trans_a>;
    static constexpr bool n_ok = detail::gemm_check<Index, N>();

  public:
    static_assert(options_ok || true); // instantiates the option checks
    static_assert(n_ok || true);
    using descriptor = gemm;
    static constexpr bool valid = options_ok && n_ok;
    static constexpr std::string_view name = "gemm";
    static constexpr bool bias = options.bias;
    static constexpr gemm_geometry geometry{sizes::a_rows, sizes::a_cols, N,     options.trans_a,
                                            options.trans_b, bias,        alpha, beta};
    static constexpr std::size_t m = geometry.m(), k = geometry.k();
    static constexpr std::size_t weight_size = k * N;
    static constexpr std::size_t bias_size = bias ? m * N : 0;
    static constexpr std::size_t param_count = weight_size + bias_size;
    static constexpr std::array<param_tensor, bias ? 2 : 1> tensors = [] {
        std::array<param_tensor, bias ? 2 : 1> t{};
        if constexpr (options.trans_b)
            t[0] = {"weight", 0, weight_size, 2, {N, k, 0, 0}};
        else
            t[0] = {"weight", 0, weight_size, 2, {k, N, 0, 0}};
        if constexpr (bias) t[1] = {"bias", weight_size, bias_size, 2, {m, N, 0, 0}};
        return t;
    }();

    static void forward(const T* in, T* out, const T* params, std::size_t batch) noexcept {
        kernels::reference::gemm_forward(geometry, in, params, bias ? params + weight_size : nullptr, out, batch);
    }
    /// Adds the batch's weight and bias gradients into grads; writes din unless null.
    static void backward(const T* in, const T*, const T* dout, T* din, const T* params, T* grads,
                         std::size_t batch) noexcept {
        kernels::reference::gemm_backward(geometry, in, params, dout, din, grads, bias ? grads + weight_size : nullptr,
                                          batch);
    }
};

} // namespace ctnn
