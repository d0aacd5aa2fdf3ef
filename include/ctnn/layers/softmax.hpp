// ctnn::softmax: exp(x_i - max x) / sum_j exp(x_j - max x) over each sample's flat vector.
#pragma once

#include <cstddef>

#include "../core/layer.hpp"
#include "../kernels/reference/activation.hpp"

namespace ctnn {

namespace detail {
template <std::size_t Layer, std::size_t InRank>
consteval bool softmax_check() {
    static_assert(InRank == 1, "ctnn::softmax: the input must be flat (rank 1); put ctnn::flatten before it");
    return InRank == 1;
}
} // namespace detail

/// Normalized exponential over the features of each sample; stable for large inputs.
struct softmax : detail::layer_tag {
    template <class T, any_shape In, std::size_t Index>
    struct bind : detail::bound_base<T, In, In, Index> {
        static constexpr bool input_ok = detail::softmax_check<Index, In::rank>();
        static_assert(input_ok || true); // instantiates the check
        using descriptor = softmax;
        static constexpr bool valid = input_ok;
        static constexpr std::string_view name = "softmax";
        static constexpr bool elementwise = true; // reads each sample fully before writing it
        static constexpr bool backward_reads_input = false;
        static constexpr bool backward_reads_output = true;
        static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
            kernels::reference::softmax_forward(in, out, In::size, batch);
        }
        static void backward(const T*, const T* out, const T* dout, T* din, const T*, T*, std::size_t batch) noexcept {
            if (din != nullptr) kernels::reference::softmax_backward(out, dout, din, In::size, batch);
        }
    };
};

} // namespace ctnn
