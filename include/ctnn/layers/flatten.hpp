// ctnn::flatten: C x H x W to a flat vector of C*H*W features, in NCHW order (as
// torch.flatten(x, 1)). The data does not move: inside a network it costs nothing.
#pragma once

#include <algorithm>
#include <cstddef>

#include "../core/layer.hpp"

namespace ctnn {

namespace detail {
template <std::size_t Layer, std::size_t InRank>
consteval bool flatten_check() {
    static_assert(InRank != 1, "ctnn::flatten: the input is already flat; remove this flatten");
    return InRank != 1;
}
} // namespace detail

/// Reshape a sample to one dimension.
struct flatten : detail::layer_tag {
    template <class T, any_shape In, std::size_t Index>
    struct bind : detail::bound_base<T, In, shape<In::size>, Index> {
        static constexpr bool input_ok = detail::flatten_check<Index, In::rank>();
        static_assert(input_ok || true); // instantiates the check
        using descriptor = flatten;
        static constexpr bool valid = input_ok;
        static constexpr std::string_view name = "flatten";
        static constexpr bool elementwise = true; // same bytes in the same order
        static constexpr bool backward_reads_input = false;
        static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
            if (in != out) std::copy(in, in + batch * In::size, out);
        }
        static void backward(const T*, const T*, const T* dout, T* din, const T*, T*, std::size_t batch) noexcept {
            if (din != nullptr && din != dout) std::copy(dout, dout + batch * In::size, din);
        }
    };
};

} // namespace ctnn
