// ctnn::global_avg_pool and ctnn::global_max_pool: the mean (or the largest value) of each
// channel of a C x H x W input, giving C x 1 x 1 (ONNX GlobalAveragePool / GlobalMaxPool).
// They are pooling with one window as large as the input, so they run the reference pooling
// kernels. No parameters, no options.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../kernels/reference/pool2d.hpp"

namespace ctnn {

namespace detail {

template <std::size_t Layer, pool_kind Kind, std::size_t InRank>
consteval bool global_pool_input() {
    static_assert(InRank == 3, "ctnn::global_avg_pool/global_max_pool: the input must be C x H x W, but this "
                               "one is flat; put the global pool before ctnn::flatten");
    return InRank == 3;
}

template <class Descriptor, pool_kind Kind>
struct global_pool : layer_tag {
    template <class T, any_shape In, std::size_t Index>
    struct bind;
};

template <class Descriptor, pool_kind Kind>
template <class T, any_shape In, std::size_t Index>
struct global_pool<Descriptor, Kind>::bind
    : bound_base<T, In, shape<(In::rank == 3 ? In::dims[0] : 1), 1, 1>, Index> {
  private:
    static constexpr bool input_ok = global_pool_input<Index, Kind, In::rank>();
    using in3 = std::conditional_t<input_ok, In, shape<1, 1, 1>>;
    static constexpr std::size_t c = in3::dims[0], h = in3::dims[1], w = in3::dims[2];

  public:
    using descriptor = Descriptor;
    static constexpr bool valid = input_ok;
    static constexpr std::string_view name = Kind == pool_kind::max ? "global_max_pool" : "global_avg_pool";
    /// One window over the whole input: no padding, so the average divides by H * W.
    static constexpr pool2d_geometry geometry{c, h, w, 1, 1, h, w, h, w, 0, 0, 0, 0, 1, 1, true};
    static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
        kernels::reference::pool2d_forward<Kind>(geometry, in, out, batch);
    }
    static void backward(const T* in, const T*, const T* dout, T* din, const T*, T*, std::size_t batch) noexcept {
        if (din != nullptr) kernels::reference::pool2d_backward<Kind>(geometry, in, dout, din, batch);
    }
};

} // namespace detail

/// The mean of each channel: C x H x W -> C x 1 x 1.
struct global_avg_pool : detail::global_pool<global_avg_pool, pool_kind::average> {};

/// The largest value of each channel (NaN propagates): C x H x W -> C x 1 x 1.
struct global_max_pool : detail::global_pool<global_max_pool, pool_kind::max> {};

} // namespace ctnn
