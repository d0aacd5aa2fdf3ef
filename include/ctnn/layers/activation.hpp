// Element-wise activations: relu, leaky_relu<Slope>, elu<Alpha>, clip<Lo, Hi> (and relu6),
// sigmoid, tanh, identity. Any input shape; the output has the same shape; they run in place
// inside a network. No parameters.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../core/layer.hpp"
#include "../core/values.hpp"
#include "../kernels/reference/activation.hpp"
#include "../kernels/simd/activation.hpp"

namespace ctnn {

namespace detail {

template <class Descriptor, class Op, const std::string_view& Name>
struct elementwise_layer : layer_tag {
    template <class T, any_shape In, std::size_t Index>
    struct bind : bound_base<T, In, In, Index> {
        using descriptor = Descriptor;
        static constexpr std::string_view name = Name;
        /// Real-valued hyperparameters (leaky_relu's slope), for checkpoint hashes.
        static constexpr auto hyperparameters = [] {
            if constexpr (requires { Descriptor::hyperparameters; })
                return Descriptor::hyperparameters;
            else if constexpr (requires { Descriptor::slope; })
                return std::array<double, 1>{Descriptor::slope};
            else
                return std::array<double, 0>{};
        }();
        static constexpr bool elementwise = true;
        /// The op, for a network that runs it inside the preceding conv2d or dense.
        using op_type = Op;
        static constexpr Op op = Descriptor::op;
        /// True when a preceding conv2d or dense kernel can apply op as it writes
        /// (bit-identical to running it afterwards); the network then fuses the two.
        static constexpr bool fusable_activation = kernels::simd::fusable_activation<Op>;
        static constexpr bool backward_reads_input = false;
        static constexpr bool backward_reads_output = true;
        static void forward(const T* in, T* out, const T*, std::size_t batch) noexcept {
            kernels::simd::elementwise_forward(Descriptor::op, in, out, batch * In::size);
        }
        /// din = dout * f'(x), with f' taken from the output; din may alias dout.
        static void backward(const T*, const T* out, const T* dout, T* din, const T*, T*, std::size_t batch) noexcept {
            if (din != nullptr) kernels::simd::elementwise_backward(Descriptor::op, out, dout, din, batch * In::size);
        }
    };
};

inline constexpr std::string_view relu_name = "relu", leaky_relu_name = "leaky_relu",
                                  sigmoid_name = "sigmoid", tanh_name = "tanh",
                                  identity_name = "identity", elu_name = "elu", clip_name = "clip";

template <real Alpha>
consteval bool elu_check() {
    static_assert(Alpha.value() >= 0, "ctnn::elu: alpha must not be negative (backward reads the sign of x "
                                      "from the output)");
    return true; // reported above: one mistake, one error
}

template <real Lo, real Hi>
consteval bool clip_check() {
    static_assert(Lo.value() <= Hi.value(), "ctnn::clip: need Lo <= Hi (clip<Lo, Hi> keeps x in [Lo, Hi]); "
                                            "swap the bounds");
    return true;
}

} // namespace detail

/// max(x, 0)
struct relu : detail::elementwise_layer<relu, kernels::reference::relu_op, detail::relu_name> {
    static constexpr kernels::reference::relu_op op{};
};

/// x for x > 0, Slope * x otherwise (PyTorch's default slope 0.01).
template <real Slope = 0.01>
struct leaky_relu
    : detail::elementwise_layer<leaky_relu<Slope>, kernels::reference::leaky_relu_op, detail::leaky_relu_name> {
    static_assert(Slope.value() >= 0, "ctnn::leaky_relu: the slope must not be negative (backward reads the "
                                      "sign of x from the output)");
    static constexpr double slope = Slope.value();
    static constexpr kernels::reference::leaky_relu_op op{slope};
};

/// x for x > 0, Alpha * (e^x - 1) otherwise (ONNX Elu, PyTorch's ELU; default alpha 1).
template <real Alpha = 1.0>
struct elu : detail::elementwise_layer<elu<Alpha>, kernels::reference::elu_op, detail::elu_name> {
    static_assert(detail::elu_check<Alpha>());
    static constexpr double alpha = Alpha.value();
    static constexpr std::array<double, 1> hyperparameters{alpha};
    static constexpr kernels::reference::elu_op op{alpha};
};

/// min(max(x, Lo), Hi) (ONNX Clip, PyTorch's clamp and hardtanh); bounds may be infinite.
template <real Lo, real Hi>
struct clip : detail::elementwise_layer<clip<Lo, Hi>, kernels::reference::clip_op, detail::clip_name> {
    static_assert(detail::clip_check<Lo, Hi>());
    static constexpr double lo = Lo.value(), hi = Hi.value();
    static constexpr std::array<double, 2> hyperparameters{lo, hi};
    static constexpr kernels::reference::clip_op op{lo, hi};
};

/// min(max(x, 0), 6), as PyTorch's ReLU6 (a clip, and named "clip" in summaries).
using relu6 = clip<0.0, 6.0>;

/// 1 / (1 + e^-x)
struct sigmoid : detail::elementwise_layer<sigmoid, kernels::reference::sigmoid_op, detail::sigmoid_name> {
    static constexpr kernels::reference::sigmoid_op op{};
};

/// Hyperbolic tangent. (Inside namespace ctnn, call std::tanh for the function.)
struct tanh : detail::elementwise_layer<tanh, kernels::reference::tanh_op, detail::tanh_name> {
    static constexpr kernels::reference::tanh_op op{};
};

/// x, unchanged: a placeholder (it runs in place, so it costs one pass over the data).
struct identity : detail::elementwise_layer<identity, kernels::reference::identity_op, detail::identity_name> {
    static constexpr kernels::reference::identity_op op{};
};

} // namespace ctnn
