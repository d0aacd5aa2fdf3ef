// ctnn::softmax and ctnn::log_softmax over each sample as one vector (any rank), and
// ctnn::softmax_along<Axis> / ctnn::log_softmax_along<Axis> along one axis of the sample
// (0, 1, 2 = C, H, W), independently at every position of the other axes. All subtract the
// maximum first, so inputs in the thousands neither overflow nor lose the largest term. They
// run in place; backward reads the output.
#pragma once

#include <cstddef>
#include <string_view>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../kernels/reference/activation.hpp"

namespace ctnn {

namespace detail {

template <std::size_t Layer, bool Log, std::size_t Axis, std::size_t Rank>
consteval bool softmax_axis_check() {
    if constexpr (Log)
        static_assert(Axis < Rank, "ctnn::log_softmax_along: Axis must be below the rank of the input "
                                   "(0, 1, 2 = C, H, W of a C x H x W input; only 0 for a flat one)");
    else
        static_assert(Axis < Rank, "ctnn::softmax_along: Axis must be below the rank of the input "
                                   "(0, 1, 2 = C, H, W of a C x H x W input; only 0 for a flat one)");
    return Axis < Rank;
}

/// The sample as outer x length x inner around axis Axis (the whole sample when Axis is out of range).
template <any_shape In, std::size_t Axis>
consteval axis_geometry axis_of() {
    if (Axis >= In::rank) return {1, In::size, 1};
    axis_geometry g{1, In::dims[Axis], 1};
    for (std::size_t d = 0; d < Axis; ++d) g.outer *= In::dims[d];
    for (std::size_t d = Axis + 1; d < In::rank; ++d) g.inner *= In::dims[d];
    return g;
}

template <class T, any_shape In, std::size_t Index, class Descriptor, const std::string_view& Name>
struct softmax_bound : bound_base<T, In, In, Index> {
    using descriptor = Descriptor;
    static constexpr std::string_view name = Name;
    static constexpr bool elementwise = true; // reads each line fully before writing it
    static constexpr bool backward_reads_input = false;
    static constexpr bool backward_reads_output = true;
};

/// Softmax (Log false) or log-softmax over the whole sample.
template <class Descriptor, bool Log, const std::string_view& Name>
struct whole_softmax : layer_tag {
    template <class T, any_shape In, std::size_t Index>
    struct bind : softmax_bound<T, In, Index, Descriptor, Name> {
        static constexpr axis_geometry lines{1, In::size, 1};
        static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
            if constexpr (Log)
                kernels::reference::softmax_axis_forward<true>(lines, in, out, batch);
            else
                kernels::reference::softmax_forward(in, out, In::size, batch);
        }
        static void backward(const T*, const T* out, const T* dout, T* din, const T*, T*, std::size_t batch) noexcept {
            if (din == nullptr) return;
            if constexpr (Log)
                kernels::reference::softmax_axis_backward<true>(lines, out, dout, din, batch);
            else
                kernels::reference::softmax_backward(out, dout, din, In::size, batch);
        }
    };
};

/// Softmax or log-softmax along axis Axis of the sample.
template <class Descriptor, bool Log, std::size_t Axis, const std::string_view& Name>
struct axis_softmax : layer_tag {
    static constexpr std::size_t axis = Axis;
    template <class T, any_shape In, std::size_t Index>
    struct bind : softmax_bound<T, In, Index, Descriptor, Name> {
        static constexpr bool input_ok = softmax_axis_check<Index, Log, Axis, In::rank>();
        static_assert(input_ok || true); // instantiates the check
        static constexpr bool valid = input_ok;
        static constexpr axis_geometry geometry = axis_of<In, Axis>();
        static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
            kernels::reference::softmax_axis_forward<Log>(geometry, in, out, batch);
        }
        static void backward(const T*, const T* out, const T* dout, T* din, const T*, T*, std::size_t batch) noexcept {
            if (din != nullptr) kernels::reference::softmax_axis_backward<Log>(geometry, out, dout, din, batch);
        }
    };
};

inline constexpr std::string_view softmax_name = "softmax", log_softmax_name = "log_softmax",
                                  softmax_along_name = "softmax_along",
                                  log_softmax_along_name = "log_softmax_along";

} // namespace detail

/// Normalized exponential over all values of each sample (any shape); stable for large inputs.
struct softmax : detail::whole_softmax<softmax, false, detail::softmax_name> {};

/// log(softmax(x)) over all values of each sample, as x - max - log(sum exp(x - max)).
struct log_softmax : detail::whole_softmax<log_softmax, true, detail::log_softmax_name> {};

/// Softmax along axis Axis (0, 1, 2 = C, H, W; 0 for a flat sample), at every position of
/// the other axes (ONNX Softmax with an axis, PyTorch's softmax(x, dim=Axis + 1)).
template <std::size_t Axis>
struct softmax_along : detail::axis_softmax<softmax_along<Axis>, false, Axis, detail::softmax_along_name> {};

/// log(softmax_along<Axis>(x)).
template <std::size_t Axis>
struct log_softmax_along
    : detail::axis_softmax<log_softmax_along<Axis>, true, Axis, detail::log_softmax_along_name> {};

} // namespace ctnn
