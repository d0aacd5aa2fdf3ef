// ctnn::dense<OutFeatures, Options...>: fully connected layer over a flat input.
// Options: no_bias. Parameters (PyTorch's Linear layout): weight OutFeatures x In, then bias.
#pragma once

#include <cstddef>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../kernels/reference/dense.hpp"
#include "../kernels/simd/dense.hpp"

namespace ctnn {

namespace detail {

template <std::size_t Layer, std::size_t InRank, std::size_t OutFeatures>
consteval bool dense_check() {
    static_assert(InRank == 1, "ctnn::dense: the input must be flat (rank 1); put ctnn::flatten "
                               "before the first dense after a conv2d or pool");
    static_assert(OutFeatures >= 1, "ctnn::dense: OutFeatures must be at least 1");
    return InRank == 1 && OutFeatures >= 1;
}

} // namespace detail

/// Fully connected: out = W x + b with W of OutFeatures x In.
template <std::size_t OutFeatures, class... Options>
struct dense : detail::layer_tag {
    static constexpr std::size_t out_features = OutFeatures;
    static constexpr bool options_ok =
        detail::check_options<dense, detail::option_mask<option_kind::bias>, Options...>();
    static constexpr spatial_options options = detail::fold_options<Options...>();

    template <class T, any_shape In, std::size_t Index>
    struct bind : detail::bound_base<T, In, shape<OutFeatures>, Index> {
        static_assert(options_ok || true); // instantiates the option checks
        static constexpr bool input_ok = detail::dense_check<Index, In::rank, OutFeatures>();
        static_assert(input_ok || true); // instantiates the check
        using descriptor = dense;
        static constexpr bool valid = input_ok && options_ok;
        static constexpr std::string_view name = "dense";
        static constexpr bool bias = options.bias;
        static constexpr dense_geometry geometry{In::size, OutFeatures, bias};
        static constexpr std::size_t weight_size = OutFeatures * In::size;
        static constexpr std::size_t param_count = weight_size + (bias ? OutFeatures : 0);
        static constexpr std::array<param_tensor, bias ? 2 : 1> tensors = [] {
            std::array<param_tensor, bias ? 2 : 1> t{};
            t[0] = {"weight", 0, weight_size, 2, {OutFeatures, In::size, 0, 0}};
            if constexpr (bias) t[1] = {"bias", weight_size, OutFeatures, 1, {OutFeatures, 0, 0, 0}};
            return t;
        }();

        static void forward(const T* in, T* out, const T* params, std::size_t batch) noexcept {
            kernels::simd::dense_forward<geometry>(in, params, bias ? params + weight_size : nullptr, out, batch);
        }
        /// A network fuses a following fusable activation (relu, leaky_relu, clip, identity).
        static constexpr bool fuses_activation = true;
        /// out = op(W in + b): forward() and op's layer in one pass, bit-identical to them.
        template <class Op>
        static void forward_fused(const T* in, T* out, const T* params, std::size_t batch, const Op& op) noexcept {
            kernels::simd::dense_forward<geometry>(in, params, bias ? params + weight_size : nullptr, out, batch, op);
        }
        static void backward(const T* in, const T*, const T* dout, T* din, const T* params, T* grads,
                             std::size_t batch) noexcept {
            kernels::simd::dense_backward<geometry>(in, params, dout, din, grads, bias ? grads + weight_size : nullptr,
                                                    batch);
        }

        /// Training threads split backward in two (see train/engine.hpp): the input gradient
        /// per chunk of samples, and the weight and bias gradients per piece of output rows
        /// over the whole batch, written straight into the gradient block.
        static constexpr std::size_t param_pieces = kernels::simd::dense_param_pieces<geometry, T>;
        static void backward_input(const T*, const T*, const T* dout, T* din, const T* params,
                                   std::size_t batch) noexcept {
            kernels::simd::dense_backward_input<geometry>(params, dout, din, batch);
        }
        /// Writes (does not add) piece `piece` of the gradients; together the pieces write
        /// what backward() adds.
        static void backward_params(const T* in, const T*, const T* dout, T* grads, std::size_t batch,
                                    std::size_t piece) noexcept {
            kernels::simd::dense_backward_params<geometry>(in, dout, grads, bias ? grads + weight_size : nullptr,
                                                           batch, piece);
        }
    };
};

} // namespace ctnn
