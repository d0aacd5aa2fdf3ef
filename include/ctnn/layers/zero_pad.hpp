// ctnn::zero_pad<P...>: zero padding around each channel of a C x H x W input, as a layer of
// its own (ONNX Pad in constant mode with value 0 on H and W). P as ctnn::pad<>: one value
// (all sides), two (height, width) or four (top, left, bottom, right). No parameters.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../core/options.hpp"
#include "../kernels/reference/zero_pad.hpp"

namespace ctnn {

namespace detail {

template <std::size_t Layer, std::size_t InRank>
consteval bool zero_pad_input() {
    static_assert(InRank == 3, "ctnn::zero_pad: the input must be C x H x W, but this one is flat; pad "
                               "before ctnn::flatten");
    return InRank == 3;
}

/// Top, left, bottom, right as ctnn::pad<P...> reads them (zeros for a wrong count, which
/// zero_pad already reports).
template <std::size_t... P>
consteval std::array<std::size_t, 4> zero_pad_sides() {
    spatial_options o{};
    if constexpr (sizeof...(P) == 1 || sizeof...(P) == 2 || sizeof...(P) == 4) pad<P...>::apply(o);
    return {o.pad_top, o.pad_left, o.pad_bottom, o.pad_right};
}

} // namespace detail

/// Zero padding: zero_pad<P>, zero_pad<PH, PW> or zero_pad<Top, Left, Bottom, Right>.
template <std::size_t... P>
struct zero_pad : detail::layer_tag {
    static_assert(sizeof...(P) == 1 || sizeof...(P) == 2 || sizeof...(P) == 4,
                  "ctnn::zero_pad takes 1 value (all sides), 2 values (height, width) "
                  "or 4 values (top, left, bottom, right)");
    static constexpr std::array<std::size_t, 4> sides = detail::zero_pad_sides<P...>();

    template <class T, any_shape In, std::size_t Index>
    struct bind;
};

template <std::size_t... P>
template <class T, any_shape In, std::size_t Index>
struct zero_pad<P...>::bind
    : detail::bound_base<T, In,
                         shape<(In::rank == 3 ? In::dims[0] : 1),
                               (In::rank == 3 ? In::dims[1] : 1) + zero_pad<P...>::sides[0] + zero_pad<P...>::sides[2],
                               (In::rank == 3 ? In::dims[2] : 1) + zero_pad<P...>::sides[1] + zero_pad<P...>::sides[3]>,
                         Index> {
  private:
    static constexpr bool input_ok = detail::zero_pad_input<Index, In::rank>();
    using in3 = std::conditional_t<input_ok, In, shape<1, 1, 1>>;

  public:
    using descriptor = zero_pad;
    static constexpr bool valid = input_ok && (sizeof...(P) == 1 || sizeof...(P) == 2 || sizeof...(P) == 4);
    static constexpr std::string_view name = "zero_pad";
    static constexpr pad2d_geometry geometry{in3::dims[0], in3::dims[1], in3::dims[2],
                                             sides[0],     sides[1],     sides[2],     sides[3]};
    static constexpr bool backward_reads_input = false;
    static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
        kernels::reference::zero_pad_forward(geometry, in, out, batch);
    }
    static void backward(const T*, const T*, const T* dout, T* din, const T*, T*, std::size_t batch) noexcept {
        if (din != nullptr) kernels::reference::zero_pad_backward(geometry, dout, din, batch);
    }
};

} // namespace ctnn
