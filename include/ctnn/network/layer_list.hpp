// The layer list and the shape fold. A network's entries are checked one by one (input
// first, then layer descriptors), then Boost.Hana folds over them left to right, binding
// each descriptor to the element type, the shape the previous layer produces and its index.
#pragma once

#include <cstddef>
#include <type_traits>

#include <boost/hana/append.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/back.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include "../core/layer.hpp"
#include "../layers/input.hpp"

namespace ctnn::detail {

namespace hana = boost::hana;

/// Entry 0 of every bound list: produces the network's input shape.
template <class T, any_shape In>
struct bound_input : bound_base<T, In, In, 0> {
    using descriptor = void;
    static constexpr std::string_view name = "input";
};

/// Stands in for an entry that check_entry already reported, so one mistake gives one error.
template <class T, any_shape In, std::size_t Index>
struct invalid_entry : bound_base<T, In, In, Index> {
    using descriptor = void;
    static constexpr bool valid = false;
    static constexpr std::string_view name = "invalid";
    static void forward(const T*, T*, const T*, std::size_t) noexcept {}
    static void backward(const T*, const T*, const T*, T*, const T*, T*, std::size_t) noexcept {}
};

template <class Entry>
struct input_shape_of {
    using type = shape<1>;
};
template <std::size_t... D>
struct input_shape_of<input<D...>> {
    using type = shape<D...>;
};

template <class First>
consteval bool check_first_entry() {
    static_assert(std::is_base_of_v<input_tag, First>,
                  "ctnn::network: the first entry must be the input shape, ctnn::input<C, H, W> "
                  "(or ctnn::input<N> for flat data)");
    if constexpr (std::is_base_of_v<input_tag, First>) return First::checked;
    else return false;
}

template <std::size_t Layer, class Entry>
consteval bool check_entry() {
    static_assert(!std::is_base_of_v<input_tag, Entry>,
                  "ctnn::network: ctnn::input may appear only once, as the first entry");
    static_assert(std::is_base_of_v<input_tag, Entry> || layer_descriptor<Entry>,
                  "ctnn::network: this entry is not a ctnn layer (conv2d, max_pool2d, avg_pool2d, dense, "
                  "flatten, relu, ...); options such as ctnn::pad<> go inside a layer's <>");
    return layer_descriptor<Entry>;
}

template <std::size_t Layers>
consteval bool check_not_empty() {
    static_assert(Layers >= 1, "ctnn::network: a network needs at least one layer after ctnn::input");
    return Layers >= 1;
}

/// Ok is false when an entry check failed: every entry then passes its shape through unchecked.
template <class T, bool Ok, class Input, class... Layers>
constexpr auto bind_layers() {
    using first = bound_input<T, typename input_shape_of<Input>::type>;
    return hana::fold_left(hana::tuple_t<Layers...>, hana::make_tuple(hana::type_c<first>), [](auto acc, auto entry) {
        using L = typename decltype(entry)::type;
        using prev = typename std::remove_cvref_t<decltype(hana::back(acc))>::type;
        constexpr std::size_t index = decltype(hana::length(acc))::value;
        if constexpr (Ok && layer_descriptor<L> && prev::valid) {
            return hana::append(acc, hana::type_c<typename L::template bind<T, typename prev::out_shape, index>>);
        } else { // this entry or an earlier one was reported; pass the shape through unchecked
            return hana::append(acc, hana::type_c<invalid_entry<T, typename prev::out_shape, index>>);
        }
    });
}

template <class List, std::size_t I>
using bound_at = typename std::remove_cvref_t<decltype(hana::at_c<I>(std::declval<List>()))>::type;

} // namespace ctnn::detail
