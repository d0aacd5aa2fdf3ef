// The element-wise layers an ONNX importer needs, against hand-computed values: elu, clip
// (and relu6), prelu (shared, per channel, per element; backward and its 0.25 start), and the
// SIMD clip against the reference op. Float and double.
#include "unit_util.hpp"

#include <ctnn/io/checkpoint.hpp>
#include <ctnn/train/init.hpp>

#include <ctnn_test_util.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

namespace {

using ctnn::unit::bound;
using ctnn::unit::expect_values;
using ctnn::unit::run_layer;
using ctnn::unit::values;

template <class T>
class OnnxActivation : public ::testing::Test {};
TYPED_TEST_SUITE(OnnxActivation, ctnn::unit::value_types);

TYPED_TEST(OnnxActivation, EluKnownValues) {
    using T = TypeParam;
    static_assert(ctnn::elu<>::alpha == 1.0);
    expect_values(run_layer<bound<ctnn::elu<>, T, 4>>(values<T>({-1, 0, 2, -1000}), {}),
                  {-0.63212055882855767, 0, 2, -1});
    expect_values(run_layer<bound<ctnn::elu<0.5>, T, 1, 1, 2>>(values<T>({-2, 3}), {}), {-0.43233235838169365, 3});
}

TYPED_TEST(OnnxActivation, EluDerivativeFromItsOutput) {
    using T = TypeParam;
    const ctnn::kernels::reference::elu_op op{0.5};
    // Below zero the slope is alpha * e^x = y + alpha.
    const T x = T(-1.5), y = op.apply(x);
    EXPECT_NEAR(static_cast<double>(op.derivative(y)), 0.5 * std::exp(-1.5), 1e-6);
    EXPECT_EQ(op.derivative(T(2)), T(1));
}

TYPED_TEST(OnnxActivation, ClipKnownValues) {
    using T = TypeParam;
    expect_values(run_layer<bound<ctnn::clip<-1.0, 2.0>, T, 5>>(values<T>({-3, -1, 0.5, 2, 5}), {}),
                  {-1, -1, 0.5, 2, 2});
    expect_values(run_layer<bound<ctnn::relu6, T, 1, 1, 4>>(values<T>({-1, 3, 7, 6}), {}), {0, 3, 6, 6});
    // Lo == Hi is allowed; an infinite bound leaves that side open.
    expect_values(run_layer<bound<ctnn::clip<1.5, 1.5>, T, 2>>(values<T>({-4, 4}), {}), {1.5, 1.5});
    constexpr double inf = std::numeric_limits<double>::infinity();
    expect_values(run_layer<bound<ctnn::clip<-inf, 0.5>, T, 2>>(values<T>({-1e30, 4}), {}), {-1e30, 0.5});
    const auto nan = run_layer<bound<ctnn::relu6, T, 1>>({std::numeric_limits<T>::quiet_NaN()}, {});
    EXPECT_TRUE(std::isnan(nan[0]));
}

TYPED_TEST(OnnxActivation, ClipDerivativeIsOneStrictlyInside) {
    using T = TypeParam;
    const ctnn::kernels::reference::clip_op op{0, 6};
    EXPECT_EQ(op.derivative(T(0)), T(0));
    EXPECT_EQ(op.derivative(T(3)), T(1));
    EXPECT_EQ(op.derivative(T(6)), T(0));
}

// The SIMD clip (every tail length) gives the reference's bits, forward and backward, in place too.
TYPED_TEST(OnnxActivation, SimdClipEqualsReference) {
    using T = TypeParam;
    const ctnn::kernels::reference::clip_op op{-0.5, 0.75};
    for (std::size_t n : {1u, 3u, 7u, 8u, 9u, 16u, 17u, 33u}) {
        auto in = ctnn::test::random_vector<T>(n, static_cast<unsigned>(n), T(-2), T(2));
        in[0] = std::numeric_limits<T>::quiet_NaN();
        std::vector<T> ref(n), simd(n);
        ctnn::kernels::reference::elementwise_forward(op, in.data(), ref.data(), n);
        ctnn::kernels::simd::elementwise_forward(op, in.data(), simd.data(), n);
        for (std::size_t i = 0; i < n; ++i)
            EXPECT_TRUE(ref[i] == simd[i] || (std::isnan(ref[i]) && std::isnan(simd[i]))) << n << " " << i;
        const auto dout = ctnn::test::random_vector<T>(n, 99, T(-1), T(1));
        std::vector<T> dref(n), dsimd = dout;
        ctnn::kernels::reference::elementwise_backward(op, ref.data(), dout.data(), dref.data(), n);
        ctnn::kernels::simd::elementwise_backward(op, ref.data(), dsimd.data(), dsimd.data(), n);
        EXPECT_EQ(dref, dsimd) << n;
    }
}

TYPED_TEST(OnnxActivation, PreluPerChannelSharedPerElement) {
    using T = TypeParam;
    using per_channel = bound<ctnn::prelu<>, T, 2, 1, 2>;
    static_assert(per_channel::param_count == 2 && per_channel::tensors[0].rank == 1);
    expect_values(run_layer<per_channel>(values<T>({-2, 3, -4, 5}), values<T>({0.5, 0.25})), {-1, 3, -1, 5});
    using shared = bound<ctnn::prelu<ctnn::prelu_slopes::shared>, T, 1, 1, 2>;
    static_assert(shared::param_count == 1);
    expect_values(run_layer<shared>(values<T>({-10, 2}), values<T>({0.1})), {-1, 2});
    using per_element = bound<ctnn::prelu<ctnn::prelu_slopes::per_element>, T, 3>;
    static_assert(per_element::param_count == 3);
    expect_values(run_layer<per_element>(values<T>({-1, -1, 1}), values<T>({1, 2, 3})), {-1, -2, 1});
    // A flat input has one channel per feature, as batch_norm.
    using flat = bound<ctnn::prelu<>, T, 3>;
    static_assert(flat::param_count == 3);
    // per_element on C x H x W keeps the input's dims in its tensor.
    using chw = bound<ctnn::prelu<ctnn::prelu_slopes::per_element>, T, 2, 1, 3>;
    static_assert(chw::tensors[0].rank == 3 && chw::tensors[0].dims[0] == 2 && chw::tensors[0].dims[2] == 3);
}

TYPED_TEST(OnnxActivation, PreluBackward) {
    using T = TypeParam;
    using L = bound<ctnn::prelu<>, T, 2, 1, 2>;
    const auto in = values<T>({-2, 3, -4, 5});
    const auto w = values<T>({0.5, 0.25});
    std::vector<T> dout(4, T(1)), grads(2, T(0));
    L::backward(in.data(), nullptr, dout.data(), dout.data(), w.data(), grads.data(), 1); // din aliases dout
    expect_values(grads, {-2, -4});
    expect_values(dout, {0.5, 1, 0.25, 1});
}

TEST(OnnxActivationNetwork, PreluStartsAtAQuarterAndEveryNameShows) {
    using net = ctnn::network<ctnn::input<2, 3, 3>, ctnn::conv2d<2, 1>, ctnn::prelu<>, ctnn::elu<0.5>, ctnn::relu6,
                              ctnn::flatten, ctnn::dense<3>, ctnn::prelu<ctnn::prelu_slopes::shared>>;
    auto p = std::make_unique<net::parameters>();
    ctnn::initialize<net>(*p, ctnn::init::he_normal{}, 7); // prelu's rank-1 weight needs no fans
    for (float v : p->tensor<2, 0>()) EXPECT_EQ(v, 0.25f);
    EXPECT_EQ((p->tensor<7, 0>()[0]), 0.25f);
    std::ostringstream s;
    net::summary(s);
    for (const char* name : {"prelu", "elu", "clip"}) EXPECT_NE(s.str().find(name), std::string::npos) << name;
}

TEST(OnnxActivationNetwork, HyperparametersReachTheCheckpointHash) {
    using ctnn::input, ctnn::network, ctnn::network_hash;
    static_assert(network_hash<network<input<4>, ctnn::elu<1.0>>>() != network_hash<network<input<4>, ctnn::elu<0.5>>>());
    static_assert(network_hash<network<input<4>, ctnn::clip<0.0, 6.0>>>() !=
                  network_hash<network<input<4>, ctnn::clip<0.0, 5.0>>>());
    static_assert(network_hash<network<input<4>, ctnn::prelu<>>>() !=
                  network_hash<network<input<4>, ctnn::prelu<ctnn::prelu_slopes::shared>>>());
    SUCCEED();
}

} // namespace
