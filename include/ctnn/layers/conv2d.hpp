// ctnn::conv2d<OutChannels, Kernel, Options...>: 2-D convolution over a C x H x W input.
// Options: pad<> (or same_upper, same_lower, valid), stride<>, dilation<>, groups<>, no_bias,
// floor_mode, ceil_mode, kernel_choice<>.
// Parameters (PyTorch layout): weight O x (C/groups) x KH x KW, then bias O.
#pragma once

#include <cstddef>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../core/output_part.hpp"
#include "../core/window.hpp"
#include "../kernels/reference/conv2d.hpp"
#include "../kernels/simd/conv2d.hpp"

namespace ctnn {

namespace detail {

/// One axis of a conv2d's output size; the arguments are the user's numbers so a failed
/// check prints them. Returns 0 after a failed check (the network then stops checking).
template <std::size_t Layer, char Axis, std::size_t In, std::size_t Kernel, std::size_t PadBegin,
          std::size_t PadEnd, std::size_t Stride, std::size_t Dilation, rounding Round>
consteval std::size_t conv2d_out() {
    static_assert(Kernel >= 1, "ctnn::conv2d: the kernel size must be at least 1");
    static_assert(Stride >= 1, "ctnn::conv2d: the stride must be at least 1; use ctnn::stride<1> or leave it out");
    static_assert(Dilation >= 1, "ctnn::conv2d: the dilation must be at least 1; use ctnn::dilation<1> or leave it out");
    if constexpr (Kernel >= 1 && Stride >= 1 && Dilation >= 1) {
        constexpr std::size_t span = effective_kernel(Kernel, Dilation);
        static_assert(PadBegin < span && PadEnd < span,
                      "ctnn::conv2d: the padding must be smaller than the kernel (need PadBegin < Kernel "
                      "and PadEnd < Kernel); more padding only adds outputs that see nothing but zeros");
        static_assert(In + PadBegin + PadEnd >= span,
                      "ctnn::conv2d: the kernel does not fit the padded input (need In + PadBegin + PadEnd "
                      ">= Kernel); use a smaller kernel, add padding, or pool less upstream");
        if constexpr (PadBegin < span && PadEnd < span && In + PadBegin + PadEnd >= span) {
            static_assert(Round != rounding::strict || (In + PadBegin + PadEnd - span) % Stride == 0,
                          "ctnn::conv2d: the stride does not divide the input (strict rule: "
                          "(In + PadBegin + PadEnd - Kernel) % Stride == 0); change the padding or the "
                          "stride, or add ctnn::floor_mode (as PyTorch) or ctnn::ceil_mode to the layer");
            if constexpr (Round != rounding::strict || (In + PadBegin + PadEnd - span) % Stride == 0)
                return window_out(In, Kernel, PadBegin, PadEnd, Stride, Dilation, Round);
        }
    }
    return 0;
}

template <std::size_t Layer, std::size_t InChannels, std::size_t OutChannels, std::size_t Groups>
consteval bool conv2d_channels() {
    static_assert(OutChannels >= 1, "ctnn::conv2d: OutChannels must be at least 1");
    static_assert(Groups >= 1, "ctnn::conv2d: groups must be at least 1");
    if constexpr (Groups >= 1) {
        static_assert(InChannels % Groups == 0 && OutChannels % Groups == 0,
                      "ctnn::conv2d: groups must divide both the input channels and OutChannels");
        return OutChannels >= 1 && InChannels % Groups == 0 && OutChannels % Groups == 0;
    }
    return false;
}

template <std::size_t Layer, class Descriptor, any_shape In>
consteval bool conv2d_input() {
    static_assert(In::rank == 3,
                  "ctnn::conv2d: the input must be C x H x W, but this one is flat; move ctnn::flatten "
                  "after the last conv2d or pool");
    return In::rank == 3;
}

} // namespace detail

/// 2-D convolution: `OutChannels` filters of `Kernel` (5 or ctnn::hw{3, 5}) over all input channels.
template <std::size_t OutChannels, hw Kernel, class... Options>
struct conv2d : detail::layer_tag {
    static constexpr std::size_t out_channels = OutChannels;
    static constexpr hw kernel = Kernel;
    static constexpr bool options_ok =
        detail::check_options<conv2d, detail::option_mask<option_kind::pad, option_kind::stride,
                                                           option_kind::dilation, option_kind::groups,
                                                           option_kind::bias, option_kind::rounding,
                                                           option_kind::kernel, option_kind::auto_pad>,
                              Options...>();
    static constexpr spatial_options options = detail::fold_options<Options...>();

    template <class T, any_shape In, std::size_t Index>
    struct bind;
};

template <std::size_t OutChannels, hw Kernel, class... Options>
template <class T, any_shape In, std::size_t Index>
struct conv2d<OutChannels, Kernel, Options...>::bind {
  private:
    static_assert(options_ok || true); // instantiates the option checks
    static constexpr bool input_ok = detail::conv2d_input<Index, conv2d, In>();
    using in3 = std::conditional_t<input_ok, In, shape<1, 1, 1>>;
    static constexpr std::size_t in_c = in3::dims[0], in_h = in3::dims[1], in_w = in3::dims[2];
    static constexpr spatial_options o = detail::resolve_auto_pad(options, in_h, in_w, Kernel.h, Kernel.w);
    static constexpr bool channels_ok = detail::conv2d_channels<Index, in_c, OutChannels, o.groups>();
    static constexpr std::size_t out_h = [] { // a flat input is already reported: no size checks
        if constexpr (input_ok)
            return detail::conv2d_out<Index, 'H', in_h, Kernel.h, o.pad_top, o.pad_bottom, o.stride.h, o.dilation.h, o.round>();
        else
            return std::size_t{0};
    }();
    // When the W axis has the same numbers as a failed H axis, its error would only repeat.
    static constexpr bool w_repeats_h = out_h == 0 && in_w == in_h && Kernel.w == Kernel.h &&
                                        o.pad_left == o.pad_top && o.pad_right == o.pad_bottom &&
                                        o.stride.w == o.stride.h && o.dilation.w == o.dilation.h;
    static constexpr std::size_t out_w = [] {
        if constexpr (!input_ok || w_repeats_h)
            return std::size_t{0};
        else
            return detail::conv2d_out<Index, 'W', in_w, Kernel.w, o.pad_left, o.pad_right, o.stride.w, o.dilation.w, o.round>();
    }();

  public:
    using descriptor = conv2d;
    using value_type = T;
    using in_shape = In;
    using out_shape = shape<OutChannels, out_h, out_w>;
    static constexpr std::size_t index = Index;
    static constexpr bool valid = options_ok && input_ok && channels_ok && out_h > 0 && out_w > 0;
    static constexpr std::string_view name = "conv2d";
    static constexpr bool elementwise = false;

    static constexpr conv2d_geometry geometry{
        in_c,      in_h,       in_w,         OutChannels,  out_h,        out_w,
        Kernel.h,  Kernel.w,   o.stride.h,   o.stride.w,   o.pad_top,    o.pad_left,
        o.dilation.h, o.dilation.w, channels_ok ? o.groups : 1, o.bias};
    /// A forced kernel_choice<> must suit the shape (checked here, at bind time).
    static constexpr bool kernel_ok = [] {
        if constexpr (input_ok && channels_ok && out_h > 0 && out_w > 0)
            return kernels::simd::conv2d_choice_fits<geometry, o.kernel>();
        else
            return true;
    }();
    static_assert(kernel_ok || true); // instantiates the check with the layer

    static constexpr std::size_t weight_size = geometry.weight_size();
    static constexpr std::size_t bias_size = o.bias ? OutChannels : 0;
    static constexpr std::size_t param_count = weight_size + bias_size;
    static constexpr std::array<param_tensor, o.bias ? 2 : 1> tensors = [] {
        std::array<param_tensor, o.bias ? 2 : 1> t{};
        t[0] = {"weight", 0, weight_size, 4, {OutChannels, in_c / geometry.groups, Kernel.h, Kernel.w}};
        if constexpr (o.bias) t[1] = {"bias", weight_size, OutChannels, 1, {OutChannels, 0, 0, 0}};
        return t;
    }();

    static constexpr bool backward_reads_input = true;
    static constexpr bool backward_reads_output = false;
    static constexpr std::size_t state_size = 0;

    /// With part, only that part of the output (a network cuts a large conv into output
    /// tiles that threads compute side by side: splits_output). With scratch
    /// (forward_scratch_size elements) and the whole output, the kernel copies the padded
    /// input there once per sample and may run along the flattened image (the same bits).
    static void forward(const T* in, T* out, const T* params, std::size_t batch, output_part part = {},
                        T* scratch = nullptr) noexcept {
        kernels::simd::conv2d_forward<geometry, o.kernel>(in, params, o.bias ? params + weight_size : nullptr, out,
                                                          batch, kernels::reference::identity_op{}, part, scratch);
    }
    /// Elements of scratch forward() and forward_fused() can use per call, any batch (0:
    /// none; kernels::simd::conv2d_forward_scratch). A network plans it in its workspace.
    static constexpr std::size_t forward_scratch_size = [] {
        if constexpr (valid) return kernels::simd::conv2d_forward_scratch<geometry, T, o.kernel>;
        else return std::size_t{0};
    }();
    /// Multiply-adds per sample.
    static constexpr std::size_t forward_macs = geometry.out_size() * (in_c / geometry.groups) * Kernel.h * Kernel.w;
    /// Whether forward, with a fused activation Op, computes only the part it is given;
    /// otherwise part 0 computes all of it (kernels::simd::conv2d_splits_output).
    template <class Op = kernels::reference::identity_op>
    static constexpr bool splits_output = kernels::simd::conv2d_splits_output<geometry, T, o.kernel, Op>;
    /// A network fuses a following fusable activation (relu, leaky_relu, clip, identity).
    static constexpr bool fuses_activation = true;
    /// out = op(conv(in) + bias): forward() and op's layer in one pass, bit-identical to them.
    template <class Op>
    static void forward_fused(const T* in, T* out, const T* params, std::size_t batch, const Op& op,
                              output_part part = {}, T* scratch = nullptr) noexcept {
        kernels::simd::conv2d_forward<geometry, o.kernel>(in, params, o.bias ? params + weight_size : nullptr, out,
                                                          batch, op, part, scratch);
    }
    /// A network runs a following pool PG (a max_pool2d or avg_pool2d, with or without a
    /// fusable activation between) in this layer's kernel: a direct kernel, and a 2x2
    /// stride-2 unpadded pool over exactly this output (kernels::simd::conv2d_pool_fusable).
    template <pool2d_geometry PG>
    static constexpr bool fuses_pool = [] {
        if constexpr (valid) return kernels::simd::conv2d_pool_fusable<geometry, T, o.kernel, PG>;
        else return false;
    }();
    /// out = pool(op(conv(in) + bias)), the pool PG of Kind (fuses_pool<PG> must hold): this
    /// layer, op's layer and the pool in one pass that never writes the un-pooled map,
    /// bit-identical to the three.
    /// With part, only that part of the pooled output.
    template <pool2d_geometry PG, pool_kind Kind, class Op = kernels::reference::identity_op>
    static void forward_pooled(const T* in, T* out, const T* params, std::size_t batch, const Op& op = {},
                               output_part part = {}) noexcept {
        kernels::simd::conv2d_pool_forward<geometry, o.kernel, PG, Kind>(
            in, params, o.bias ? params + weight_size : nullptr, out, batch, op, part);
    }
    /// Elements of scratch backward() needs per call (any batch).
    static constexpr std::size_t scratch_size = kernels::simd::conv2d_backward_scratch<geometry, T, o.kernel>;
    /// Adds the batch's weight and bias gradients into grads; writes din unless null.
    /// Without scratch (scratch_size elements) it runs the reference kernel.
    static void backward(const T* in, const T*, const T* dout, T* din, const T* params, T* grads, std::size_t batch,
                         T* scratch = nullptr) noexcept {
        kernels::simd::conv2d_backward<geometry, o.kernel>(in, params, dout, din, grads,
                                                           o.bias ? grads + weight_size : nullptr, batch, scratch);
    }
};

} // namespace ctnn
