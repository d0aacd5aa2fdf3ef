// ctnn::dropout<P = 0.5>: inverted dropout. Training zeroes each value with probability P
// and scales the rest by 1/(1-P); inference is the identity. No parameters.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>

#include "../core/layer.hpp"
#include "../core/values.hpp"
#include "../kernels/reference/dropout.hpp"

namespace ctnn {

namespace detail {
template <std::size_t Layer, real P>
consteval bool dropout_check() {
    static_assert(P.value() >= 0 && P.value() < 1, "ctnn::dropout: the drop probability P must be in [0, 1)");
    return true;
}
} // namespace detail

/// Inverted dropout with drop probability P.
template <real P = 0.5>
struct dropout : detail::layer_tag {
    static constexpr double probability = P.value();

    template <class T, any_shape In, std::size_t Index>
    struct bind : detail::bound_base<T, In, In, Index> {
        static_assert(detail::dropout_check<Index, P>());
        using descriptor = dropout;
        static constexpr std::string_view name = "dropout";
        static constexpr std::array<double, 1> hyperparameters{probability}; // for checkpoint hashes
        static constexpr bool elementwise = true;
        static constexpr bool backward_reads_input = false; // the mask is regenerated
        static constexpr bool backward_reads_output = false;

        static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
            if (in != out) std::copy(in, in + batch * In::size, out);
        }
        static void forward_train(const T* in, T* out, T*, T*, std::size_t batch, const train_context& ctx) noexcept {
            kernels::reference::dropout_apply(probability, ctx.seed, ctx.step, ctx.first_sample, in, out, In::size,
                                              batch);
        }
        static void backward_train(const T*, const T*, const T* dout, T* din, const T*, T*, const T*,
                                   std::size_t batch, const train_context& ctx) noexcept {
            if (din != nullptr)
                kernels::reference::dropout_apply(probability, ctx.seed, ctx.step, ctx.first_sample, dout, din,
                                                  In::size, batch);
        }
    };
};

} // namespace ctnn
