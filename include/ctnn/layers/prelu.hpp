// ctnn::prelu<Mode>: y = x > 0 ? x : w * x with learnable slopes w: one for the whole sample
// (shared), one per channel (per_channel: dims[0] of a C x H x W input, every feature of a
// flat one, as batch_norm), or one per value (per_element). One tensor, "weight", initialized
// to 0.25 as PyTorch's PReLU. Runs in place; backward reads the input.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../kernels/reference/prelu.hpp"

namespace ctnn {

/// How many slopes a prelu learns.
enum class prelu_slopes {
    shared,      ///< one for every value (PyTorch's PReLU())
    per_channel, ///< one per channel (PyTorch's PReLU(C); ONNX slope of shape C x 1 x 1)
    per_element, ///< one per value of the sample (ONNX slope of the input's shape)
};

/// Parametric ReLU.
template <prelu_slopes Mode = prelu_slopes::per_channel>
struct prelu : detail::layer_tag {
    static constexpr prelu_slopes mode = Mode;

    template <class T, any_shape In, std::size_t Index>
    struct bind : detail::bound_base<T, In, In, Index> {
        using descriptor = prelu;
        static constexpr std::string_view name = "prelu";
        static constexpr std::size_t channels = In::rank == 3 ? In::dims[0] : In::size;
        static constexpr std::size_t slopes = Mode == prelu_slopes::shared        ? 1
                                              : Mode == prelu_slopes::per_channel ? channels
                                                                                  : In::size;
        static constexpr prelu_geometry geometry{In::size, slopes, In::size / slopes};
        static constexpr std::size_t param_count = slopes;
        static constexpr std::array<param_tensor, 1> tensors = [] {
            param_tensor t{"weight", 0, slopes, 1, {slopes, 0, 0, 0}};
            if constexpr (Mode == prelu_slopes::per_element) {
                t.rank = In::rank;
                for (std::size_t d = 0; d < In::rank; ++d) t.dims[d] = In::dims[d];
            }
            t.fixed_initial = true;
            t.initial_value = 0.25;
            return std::array<param_tensor, 1>{t};
        }();
        static constexpr bool elementwise = true;
        static constexpr bool backward_reads_input = true;
        static constexpr bool backward_reads_output = false;

        static void forward(const T* in, T* out, const T* params, std::size_t batch) noexcept {
            kernels::reference::prelu_forward(geometry, in, params, out, batch);
        }
        /// Adds the slopes' gradients into grads; writes din (which may alias dout) unless null.
        static void backward(const T* in, const T*, const T* dout, T* din, const T* params, T* grads,
                             std::size_t batch) noexcept {
            kernels::reference::prelu_backward(geometry, in, params, dout, din, grads, batch);
        }
    };
};

} // namespace ctnn
