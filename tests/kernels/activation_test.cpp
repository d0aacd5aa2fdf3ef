// Element-wise SIMD kernels against the reference, bit for bit: every count up to a few
// vectors (all tails), in place and not, with zeros of both signs, infinities and NaN.
#include <ctnn/kernels/reference/activation.hpp>
#include <ctnn/kernels/simd/activation.hpp>

#include <limits>

#include "kernel_test_util.hpp"

namespace ctnn::test {
namespace {

template <class T>
std::vector<T> activation_input(std::size_t n, unsigned seed) {
    auto v = random_vector<T>(n, seed, T(-3), T(3));
    const T special[] = {T(0), -T(0), std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity(),
                         std::numeric_limits<T>::quiet_NaN()};
    for (std::size_t i = 0; i < n; i += 3) v[i] = special[(i / 3) % 5];
    return v;
}

template <class T, class Op>
void expect_op(const Op& op) {
    for (std::size_t n = 1; n <= 3 * 16 + 1; ++n) {
        SCOPED_TRACE(std::to_string(n) + " values");
        const auto x = activation_input<T>(n, static_cast<unsigned>(n));
        std::vector<T> want(n);
        kernels::reference::elementwise_forward(op, x.data(), want.data(), n);
        guarded<T> got(n);
        kernels::simd::elementwise_forward(op, x.data(), got.get(), n);
        EXPECT_TRUE(same_bits(got.values(), want)) << "forward";
        EXPECT_TRUE(got.guards_intact());
        guarded<T> inplace(x);
        kernels::simd::elementwise_forward(op, inplace.get(), inplace.get(), n);
        EXPECT_TRUE(same_bits(inplace.values(), want)) << "forward in place";

        const auto dout = activation_input<T>(n, static_cast<unsigned>(n + 100));
        std::vector<T> want_din(n);
        kernels::reference::elementwise_backward(op, want.data(), dout.data(), want_din.data(), n);
        guarded<T> din(n);
        kernels::simd::elementwise_backward(op, want.data(), dout.data(), din.get(), n);
        EXPECT_TRUE(same_bits(din.values(), want_din)) << "backward";
        EXPECT_TRUE(din.guards_intact());
        guarded<T> din_inplace(dout);
        kernels::simd::elementwise_backward(op, want.data(), din_inplace.get(), din_inplace.get(), n);
        EXPECT_TRUE(same_bits(din_inplace.values(), want_din)) << "backward in place";
    }
}

static_assert(kernels::simd::has_simd_activation<kernels::reference::relu_op>);
static_assert(!kernels::simd::has_simd_activation<kernels::reference::sigmoid_op>);

TEST(ActivationKernel, Relu) {
    expect_op<float>(kernels::reference::relu_op{});
    expect_op<double>(kernels::reference::relu_op{});
}
TEST(ActivationKernel, LeakyRelu) {
    expect_op<float>(kernels::reference::leaky_relu_op{0.1});
    expect_op<double>(kernels::reference::leaky_relu_op{0.01});
}
TEST(ActivationKernel, Identity) {
    expect_op<float>(kernels::reference::identity_op{});
    expect_op<double>(kernels::reference::identity_op{});
}

} // namespace
} // namespace ctnn::test
