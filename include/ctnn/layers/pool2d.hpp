// ctnn::max_pool2d<Window, Options...> and ctnn::avg_pool2d<Window, Options...>: pooling of
// each channel of a C x H x W input. The stride defaults to the window.
// Options: pad<> (or same_upper, same_lower, valid), stride<>, dilation<>, floor_mode,
// ceil_mode; avg_pool2d also
// count_include_pad (the default, as PyTorch) and count_exclude_pad (as ONNX). No parameters.
#pragma once

#include <cstddef>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../core/window.hpp"
#include "../kernels/reference/pool2d.hpp"
#include "../kernels/simd/pool2d.hpp"

namespace ctnn {

namespace detail {

template <std::size_t Layer, char Axis, std::size_t In, std::size_t Window, std::size_t PadBegin,
          std::size_t PadEnd, std::size_t Stride, std::size_t Dilation, rounding Round>
consteval std::size_t pool2d_out() {
    static_assert(Window >= 1, "ctnn::max_pool2d/avg_pool2d: the window must be at least 1");
    static_assert(Stride >= 1, "ctnn::max_pool2d/avg_pool2d: the stride must be at least 1; leave "
                               "ctnn::stride out to step by the window");
    static_assert(Dilation >= 1, "ctnn::max_pool2d/avg_pool2d: the dilation must be at least 1");
    if constexpr (Window >= 1 && Stride >= 1 && Dilation >= 1) {
        constexpr std::size_t span = effective_kernel(Window, Dilation);
        static_assert(PadBegin < span && PadEnd < span,
                      "ctnn::max_pool2d/avg_pool2d: the padding must be smaller than the window (need "
                      "PadBegin < Window and PadEnd < Window), or some windows would hold only padding");
        static_assert(In + PadBegin + PadEnd >= span,
                      "ctnn::max_pool2d/avg_pool2d: the pooling window is larger than its padded input "
                      "(need In + PadBegin + PadEnd >= Window); use a smaller window or pool earlier");
        if constexpr (PadBegin < span && PadEnd < span && In + PadBegin + PadEnd >= span) {
            static_assert(Round != rounding::strict || (In + PadBegin + PadEnd - span) % Stride == 0,
                          "ctnn::max_pool2d/avg_pool2d: the stride does not divide the input (strict rule: "
                          "(In + PadBegin + PadEnd - Window) % Stride == 0); change the window, stride or "
                          "padding, or add ctnn::floor_mode (as PyTorch) or ctnn::ceil_mode to the layer");
            if constexpr (Round != rounding::strict || (In + PadBegin + PadEnd - span) % Stride == 0) {
                constexpr std::size_t out = window_out(In, Window, PadBegin, PadEnd, Stride, Dilation, Round);
                constexpr bool seen = every_window_sees_input(In, Window, PadBegin, Stride, Dilation, out);
                static_assert(seen, "ctnn::max_pool2d/avg_pool2d: a window holds only padding (its dilated taps "
                                    "skip the whole input); use less padding or a smaller dilation");
                if constexpr (seen) return out;
            }
        }
    }
    return 0;
}

template <std::size_t Layer, class Descriptor, any_shape In>
consteval bool pool2d_input() {
    static_assert(In::rank == 3, "ctnn::max_pool2d/avg_pool2d: the input must be C x H x W, but this one "
                                 "is flat; move ctnn::flatten after the last pool");
    return In::rank == 3;
}

template <pool_kind Kind, hw Window, class... Options>
struct pool2d : layer_tag {
    static constexpr hw window = Window;
    static constexpr pool_kind kind = Kind;
    static constexpr bool options_ok = check_options<
        pool2d,
        option_mask<option_kind::pad, option_kind::stride, option_kind::dilation, option_kind::rounding,
                    option_kind::auto_pad> |
            (Kind == pool_kind::average ? static_cast<std::size_t>(option_kind::count_pad) : 0),
        Options...>();
    static constexpr spatial_options options = [] {
        spatial_options o = fold_options<Options...>();
        if (!o.stride_given) o.stride = Window;
        return o;
    }();

    template <class T, any_shape In, std::size_t Index>
    struct bind;
};

template <pool_kind Kind, hw Window, class... Options>
template <class T, any_shape In, std::size_t Index>
struct pool2d<Kind, Window, Options...>::bind {
  private:
    static_assert(options_ok || true); // instantiates the option checks
    static constexpr bool input_ok = pool2d_input<Index, pool2d, In>();
    using in3 = std::conditional_t<input_ok, In, shape<1, 1, 1>>;
    static constexpr std::size_t in_c = in3::dims[0], in_h = in3::dims[1], in_w = in3::dims[2];
    static constexpr spatial_options o = resolve_auto_pad(options, in_h, in_w, Window.h, Window.w);
    static constexpr std::size_t out_h = [] { // a flat input is already reported: no size checks
        if constexpr (input_ok)
            return pool2d_out<Index, 'H', in_h, Window.h, o.pad_top, o.pad_bottom, o.stride.h, o.dilation.h, o.round>();
        else
            return std::size_t{0};
    }();
    // When the W axis has the same numbers as a failed H axis, its error would only repeat.
    static constexpr bool w_repeats_h = out_h == 0 && in_w == in_h && Window.w == Window.h &&
                                        o.pad_left == o.pad_top && o.pad_right == o.pad_bottom &&
                                        o.stride.w == o.stride.h && o.dilation.w == o.dilation.h;
    static constexpr std::size_t out_w = [] {
        if constexpr (!input_ok || w_repeats_h)
            return std::size_t{0};
        else
            return pool2d_out<Index, 'W', in_w, Window.w, o.pad_left, o.pad_right, o.stride.w, o.dilation.w, o.round>();
    }();

  public:
    using descriptor = pool2d;
    using value_type = T;
    using in_shape = In;
    using out_shape = shape<in_c, out_h, out_w>;
    static constexpr std::size_t index = Index;
    static constexpr bool valid = options_ok && input_ok && out_h > 0 && out_w > 0;
    static constexpr std::string_view name = Kind == pool_kind::max ? "max_pool2d" : "avg_pool2d";
    static constexpr bool elementwise = false;
    /// Max or average; with geometry, what a conv2d needs to run this pool in its kernel.
    static constexpr pool_kind kind = Kind;
    static constexpr std::size_t param_count = 0;
    static constexpr std::array<param_tensor, 0> tensors{};

    static constexpr pool2d_geometry geometry{
        in_c,         in_h,        in_w,       out_h,        out_w,       Window.h,
        Window.w,     o.stride.h,  o.stride.w, o.pad_top,    o.pad_left,  o.pad_bottom,
        o.pad_right,  o.dilation.h, o.dilation.w, o.count_include_pad};

    static constexpr bool backward_reads_input = true;
    static constexpr bool backward_reads_output = false;
    static constexpr std::size_t state_size = 0;

    static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
        kernels::simd::pool2d_forward<geometry, Kind>(in, out, batch);
    }
    static void backward(const T* in, const T*, const T* dout, T* din, const T*, T*, std::size_t batch) noexcept {
        if (din != nullptr) kernels::simd::pool2d_backward<geometry, Kind>(in, dout, din, batch);
    }
};

} // namespace detail

/// Max pooling: the largest value of each window (the seed's max pooling).
template <hw Window, class... Options>
struct max_pool2d : detail::pool2d<pool_kind::max, Window, Options...> {};

/// Average pooling: the mean of each window (the seed's mean pooling).
template <hw Window, class... Options>
struct avg_pool2d : detail::pool2d<pool_kind::average, Window, Options...> {};

} // namespace ctnn
