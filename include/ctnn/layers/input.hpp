// ctnn::input<C, H, W> (or input<N> for flat data): the per-sample input shape, always the
// first entry of a network.
#pragma once

#include <cstddef>

#include "../core/layer.hpp"

namespace ctnn {

namespace detail {
template <std::size_t... Dims>
consteval bool input_check() {
    static_assert(sizeof...(Dims) == 1 || sizeof...(Dims) == 3,
                  "ctnn::input: give channels, height, width (input<C, H, W>) or a flat size (input<N>)");
    static_assert(((Dims >= 1) && ...), "ctnn::input: every dimension must be at least 1");
    return (sizeof...(Dims) == 1 || sizeof...(Dims) == 3) && ((Dims >= 1) && ...);
}
} // namespace detail

/// The shape of one input sample: input<Channels, Height, Width> or input<Features>.
template <std::size_t... Dims>
struct input : detail::input_tag {
    static constexpr bool checked = detail::input_check<Dims...>();
    using shape_type = shape<Dims...>;
};

} // namespace ctnn
