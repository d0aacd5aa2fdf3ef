// What every layer shares: the tag that marks a layer descriptor, the base of a bound
// layer (a descriptor bound to an element type, an input shape and its index in the list),
// parameter tensor descriptions, and the option checks.
//
// A descriptor (ctnn::conv2d<6, 5>) holds only hyperparameters. Binding it,
// `typename L::template bind<T, InShape, Index>`, yields a class with static members only:
// out_shape, param_count, tensors, and the kernels forward (and, with training, backward).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "options.hpp"
#include "shape.hpp"

namespace ctnn {

namespace detail {
struct layer_tag {};
struct input_tag {};
} // namespace detail

/// A type usable as an entry of ctnn::network after the input.
template <class L>
concept layer_descriptor = std::is_base_of_v<detail::layer_tag, L>;

/// A named parameter tensor of a layer: its place inside the layer's slice of the
/// parameter block and its shape in PyTorch's layout (conv weight OIHW, dense weight [out, in]).
struct param_tensor {
    std::string_view name;
    std::size_t offset;
    std::size_t size;
    std::size_t rank;
    std::array<std::size_t, 4> dims;
    /// False for state that training updates without gradients (BatchNorm's running statistics).
    bool trainable = true;
    /// True when ctnn::initialize sets every value to `initial_value` instead of applying the
    /// weight scheme (PReLU's slopes start at 0.25, as PyTorch's).
    bool fixed_initial = false;
    double initial_value = 0;
};

/// A parameter tensor of a whole network: entry, name, and offset in the parameter block.
struct network_tensor {
    std::size_t entry;
    param_tensor tensor; ///< tensor.offset is relative to the entry's slice
    std::size_t offset;  ///< in the network's parameter block
};

/// What a training pass tells layers that behave differently in training (dropout's mask
/// is a function of seed, step and the sample's index in the batch).
struct train_context {
    std::uint64_t seed = 0;
    std::uint64_t step = 0;
    std::size_t first_sample = 0; ///< batch index of the first sample handed to the layer
};

namespace detail {

/// Common members of a bound layer; a layer overrides what differs.
template <class T, any_shape In, any_shape Out, std::size_t Index>
struct bound_base {
    using value_type = T;
    using in_shape = In;
    using out_shape = Out;
    static constexpr std::size_t index = Index;
    /// False when a compile-time check of this layer failed; the entries after it are then
    /// not checked, so one mistake gives one error.
    static constexpr bool valid = true;
    static constexpr std::size_t param_count = 0;
    static constexpr std::array<param_tensor, 0> tensors{};
    /// True when out may alias in (element-wise layers): the planner then runs it in place.
    static constexpr bool elementwise = false;
    /// What backward() reads besides dout; the training plan lets a later layer overwrite
    /// an activation that no backward reads.
    static constexpr bool backward_reads_input = true;
    static constexpr bool backward_reads_output = false;
    /// Values a training forward leaves for backward, per batch (BatchNorm: its statistics).
    static constexpr std::size_t state_size = 0;
};

/// same_upper, same_lower and valid work the padding out themselves: alone, and without
/// pad<>; the same_* fix the output size, so ceil_mode has nothing to round.
template <class... Options>
consteval bool check_auto_pad() {
    constexpr std::size_t autos = (std::size_t{0} + ... + (Options::kind == option_kind::auto_pad ? 1 : 0));
    constexpr bool has_pad = ((Options::kind == option_kind::pad) || ...);
    constexpr bool has_same = (std::is_same_v<Options, same_upper> || ...) || (std::is_same_v<Options, same_lower> || ...);
    constexpr bool has_ceil = (std::is_same_v<Options, ceil_mode> || ...);
    static_assert(autos <= 1, "ctnn: same_upper, same_lower and valid exclude one another; keep one");
    static_assert(autos != 1 || !has_pad,
                  "ctnn: same_upper, same_lower and valid work the padding out themselves; remove ctnn::pad<> "
                  "(or the auto padding, to pad by hand)");
    static_assert(autos > 1 || has_pad || !has_same || !has_ceil,
                  "ctnn: same_upper and same_lower fix the output size at ceil(In / Stride), so there is "
                  "nothing to round; remove ctnn::ceil_mode");
    return autos <= 1 && !(autos == 1 && has_pad) && !(has_same && has_ceil);
}

template <class Layer, std::size_t Allowed, class... Options>
consteval bool check_options() {
    constexpr bool all_options = (layer_option<Options> && ...);
    static_assert(all_options,
                  "ctnn: a layer's <> holds only options such as ctnn::pad<>, ctnn::stride<>, "
                  "ctnn::no_bias; layers go in the network list, one after another");
    if constexpr (all_options) {
        constexpr std::size_t kinds[] = {0, static_cast<std::size_t>(Options::kind)...};
        constexpr bool allowed = (((static_cast<std::size_t>(Options::kind) & ~Allowed) == 0) && ...);
        static_assert(allowed, "ctnn: this layer does not take this option "
                               "(docs/layers.md lists the options of each layer)");
        constexpr auto auto_pad = static_cast<std::size_t>(option_kind::auto_pad);
        constexpr bool unique = [&] {
            for (std::size_t i = 1; i < sizeof(kinds) / sizeof(kinds[0]); ++i)
                for (std::size_t j = i + 1; j < sizeof(kinds) / sizeof(kinds[0]); ++j)
                    if (kinds[i] == kinds[j] && kinds[i] != auto_pad) return false;
            return true;
        }();
        static_assert(unique, "ctnn: the same option is given twice in one layer; keep one");
        constexpr bool padding_ok = !allowed || check_auto_pad<Options...>();
        return allowed && unique && padding_ok;
    }
    return false;
}

/// The options folded into one value; defaults when any option is invalid (the check has
/// already reported it), so one mistake gives one error.
template <class... Options>
consteval spatial_options fold_options() {
    spatial_options o{};
    if constexpr ((layer_option<Options> && ...)) (Options::apply(o), ...);
    return o;
}

/// parameters::tensor<I, K> and assign<I, K> name an entry that exists and a tensor it has.
template <std::size_t Entry, std::size_t Tensor, std::size_t EntryCount, std::size_t TensorCount>
consteval bool check_tensor_index() {
    static_assert(Entry < EntryCount, "ctnn::parameters: there is no entry I (entry 0 is the input, the last is "
                                      "entry_count - 1)");
    static_assert(Entry >= EntryCount || Tensor < TensorCount,
                  "ctnn::parameters: entry I has no tensor K (conv2d and dense: 0 = weight, 1 = bias unless "
                  "no_bias; layers without parameters have none)");
    return Entry < EntryCount && Tensor < TensorCount;
}

/// Weights handed to a layer at compile time must match its tensor exactly.
template <std::size_t Layer, std::size_t Tensor, std::size_t Given, std::size_t Expected>
consteval void check_weight_count() {
    static_assert(Given == Expected,
                  "ctnn: weights given for the wrong shape (need Given == Expected values for this tensor; "
                  "conv2d weight is OutChannels x InChannels/groups x KernelH x KernelW, dense weight is "
                  "OutFeatures x InFeatures, bias is one value per output channel)");
}

template <option_kind... K>
inline constexpr std::size_t option_mask = (std::size_t{0} | ... | static_cast<std::size_t>(K));

} // namespace detail
} // namespace ctnn
