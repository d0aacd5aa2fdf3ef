// What the file formats need to know about a network's parameter tensors: their file names
// ("<entry>.<tensor>", e.g. "1.weight"), their shapes, and the layer each belongs to.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/layer.hpp"

namespace ctnn::detail {

/// "1.weight": entry index, a dot, the tensor's name.
inline std::string tensor_key(const network_tensor& t) {
    return std::to_string(t.entry) + "." + std::string(t.tensor.name);
}

inline std::vector<std::size_t> tensor_shape(const param_tensor& t) {
    return std::vector<std::size_t>(t.dims.begin(), t.dims.begin() + static_cast<std::ptrdiff_t>(t.rank));
}

/// The layer name of each entry ("input", "conv2d", ...).
template <class Net>
constexpr std::array<std::string_view, Net::entry_count> entry_names() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<std::string_view, Net::entry_count>{Net::template layer<I>::name...};
    }(std::make_index_sequence<Net::entry_count>{});
}

} // namespace ctnn::detail
