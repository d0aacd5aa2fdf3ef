// Networks shared by the optimizer and initializer tests: the golden network, whose layer
// sizes are not multiples of the alignment (so there are gaps), and a stand-in network type
// with a batch-norm layer and non-trainable tensors, spelled out by hand so these tests do
// not depend on that layer's header.
#pragma once

#include <ctnn/ctnn.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

namespace ctnn::test {

/// 22 parameters: conv weight 2x1x1x1, conv bias 2, dense weight 2x8, dense bias 2.
template <class T>
using golden_net = basic_network<T, input<1, 2, 2>, conv2d<2, 1>, flatten, dense<2>>;

/// Entry 1 a conv2d (weight 2x1x2x2, bias 2), entry 2 a batch_norm2d over 2 channels:
/// weight, bias, then the non-trainable running_mean and running_var. Gaps at 10..15 and 24..31.
struct fake_bn_net {
    using value_type = double;
    static constexpr std::size_t entry_count = 3;
    template <std::size_t I>
    struct layer {
        static constexpr std::string_view name = I == 0 ? "input" : I == 1 ? "conv2d" : "batch_norm2d";
    };
    static constexpr std::array<network_tensor, 6> tensors{{
        {1, {"weight", 0, 8, 4, {2, 1, 2, 2}}, 0},
        {1, {"bias", 8, 2, 1, {2, 0, 0, 0}}, 8},
        {2, {"weight", 0, 2, 1, {2, 0, 0, 0}}, 16},
        {2, {"bias", 2, 2, 1, {2, 0, 0, 0}}, 18},
        {2, {"running_mean", 4, 2, 1, {2, 0, 0, 0}, false}, 20},
        {2, {"running_var", 6, 2, 1, {2, 0, 0, 0}, false}, 22},
    }};
    static constexpr std::size_t param_storage = 32;
};

/// Whether element i of Net's block belongs to no tensor (an alignment gap).
template <class Net>
std::vector<bool> gap_mask() {
    std::vector<bool> gap(Net::param_storage, true);
    for (const network_tensor& t : Net::tensors)
        for (std::size_t i = 0; i < t.tensor.size; ++i) gap[t.offset + i] = false;
    return gap;
}

} // namespace ctnn::test
