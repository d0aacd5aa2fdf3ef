// ctnn::batch_norm<Momentum = 0.1, Eps = 1e-5>: batch normalization per channel of a
// C x H x W input (PyTorch's BatchNorm2d) or per feature of a flat input (BatchNorm1d).
// Parameters: weight[C], bias[C] (trainable), running_mean[C], running_var[C] (updated by
// training forward passes, as PyTorch with the same momentum and eps). Inference uses the
// running statistics; training normalizes with the batch's own.
#pragma once

#include <cstddef>

#include "../core/layer.hpp"
#include "../core/values.hpp"
#include "../kernels/reference/batch_norm.hpp"

namespace ctnn {

namespace detail {
template <std::size_t Layer, real Momentum, real Eps>
consteval bool batch_norm_check() {
    static_assert(Momentum.value() >= 0 && Momentum.value() <= 1, "ctnn::batch_norm: momentum must be in [0, 1]");
    static_assert(Eps.value() > 0, "ctnn::batch_norm: eps must be positive");
    return true;
}
} // namespace detail

/// Batch normalization; momentum and eps as PyTorch's.
template <real Momentum = 0.1, real Eps = 1e-5>
struct batch_norm : detail::layer_tag {
    static constexpr double momentum = Momentum.value(), eps = Eps.value();

    template <class T, any_shape In, std::size_t Index>
    struct bind : detail::bound_base<T, In, In, Index> {
        static_assert(detail::batch_norm_check<Index, Momentum, Eps>());
        using descriptor = batch_norm;
        static constexpr std::string_view name = "batch_norm";
        static constexpr std::size_t channels = In::rank == 3 ? In::dims[0] : In::size;
        static constexpr kernels::reference::batch_norm_geometry geometry{channels, In::size / channels, eps,
                                                                          momentum};
        static constexpr bool elementwise = true; // inference may run in place
        static constexpr bool batch_coupled = true; // training statistics span the whole batch
        static constexpr bool backward_reads_input = true;
        static constexpr bool backward_reads_output = false;
        static constexpr std::size_t param_count = 4 * channels;
        static constexpr std::size_t state_size = 2 * channels;
        static constexpr std::array<param_tensor, 4> tensors{{
            {"weight", 0, channels, 1, {channels, 0, 0, 0}, true},
            {"bias", channels, channels, 1, {channels, 0, 0, 0}, true},
            {"running_mean", 2 * channels, channels, 1, {channels, 0, 0, 0}, false},
            {"running_var", 3 * channels, channels, 1, {channels, 0, 0, 0}, false},
        }};

        static void forward(const T* in, T* out, const T* params, std::size_t batch) noexcept {
            kernels::reference::batch_norm_forward(geometry, in, out, params, batch);
        }
        static void forward_train(const T* in, T* out, T* params, T* state, std::size_t batch,
                                  const train_context&) noexcept {
            kernels::reference::batch_norm_forward_train(geometry, in, out, params, state, batch);
        }
        static void backward_train(const T* in, const T*, const T* dout, T* din, const T* params, T* grads,
                                   const T* state, std::size_t batch, const train_context&) noexcept {
            kernels::reference::batch_norm_backward(geometry, in, dout, din, params, grads, state, batch);
        }
    };
};

} // namespace ctnn
