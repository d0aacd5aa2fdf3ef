// Layers and options an ONNX importer needs that change shapes, against hand-computed
// values: global_avg_pool / global_max_pool, zero_pad, gemm (transposes, alpha, beta, no_bias),
// the auto padding options same_upper / same_lower / valid on conv2d and the pools. Also one
// check each of existing features ONNX models use: dilation, channel multiplier, batch_norm
// at inference. Float and double.
#include "unit_util.hpp"

#include <ctnn/io/checkpoint.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

using ctnn::shape;
using ctnn::unit::bound;
using ctnn::unit::expect_values;
using ctnn::unit::run_layer;
using ctnn::unit::values;

template <class T>
class OnnxShapes : public ::testing::Test {};
TYPED_TEST_SUITE(OnnxShapes, ctnn::unit::value_types);

TYPED_TEST(OnnxShapes, GlobalPools) {
    using T = TypeParam;
    using avg = bound<ctnn::global_avg_pool, T, 2, 2, 2>;
    using max = bound<ctnn::global_max_pool, T, 2, 2, 2>;
    static_assert(std::is_same_v<typename avg::out_shape, shape<2, 1, 1>>);
    const auto in = values<T>({1, 2, 3, 4, -1, -5, 0, 2});
    expect_values(run_layer<avg>(in, {}), {2.5, -1});
    expect_values(run_layer<max>(in, {}), {4, 2});
    expect_values(run_layer<max>(values<T>({1, 2, 3, 4, -1, -5, 0, 2, 0, 0, 0, 0, 9, 9, 9, 8}), {}, 2), {4, 2, 0, 9});
}

TYPED_TEST(OnnxShapes, ZeroPad) {
    using T = TypeParam;
    using L = bound<ctnn::zero_pad<1, 0, 0, 2>, T, 1, 2, 2>;
    static_assert(std::is_same_v<typename L::out_shape, shape<1, 3, 4>>);
    static_assert(std::is_same_v<typename bound<ctnn::zero_pad<1>, T, 3, 2, 5>::out_shape, shape<3, 4, 7>>);
    static_assert(std::is_same_v<typename bound<ctnn::zero_pad<2, 0>, T, 3, 2, 5>::out_shape, shape<3, 6, 5>>);
    expect_values(run_layer<L>(values<T>({1, 2, 3, 4}), {}), {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0});
    std::vector<T> din(4);
    const auto dout = ctnn::unit::iota<T>(12);
    L::backward(nullptr, nullptr, dout.data(), din.data(), nullptr, nullptr, 1);
    expect_values(din, {5, 6, 9, 10});
}

TYPED_TEST(OnnxShapes, GemmFlatWithAlphaBetaAndTransB) {
    using T = TypeParam;
    using L = bound<ctnn::gemm<2, 0.5, 2.0>, T, 3>;
    static_assert(std::is_same_v<typename L::out_shape, shape<2>>);
    static_assert(L::tensors[0].dims[0] == 3 && L::tensors[0].dims[1] == 2); // B is K x N
    static_assert(L::tensors[1].dims[0] == 1 && L::tensors[1].dims[1] == 2); // C is M x N
    // A B = {22, 28}; 0.5 * A B + 2 * C.
    expect_values(run_layer<L>(values<T>({1, 2, 3}), values<T>({1, 2, 3, 4, 5, 6, 10, 20})), {31, 54});
    using Lt = bound<ctnn::gemm<2, 0.5, 2.0, ctnn::trans_b>, T, 3>;
    static_assert(Lt::tensors[0].dims[0] == 2 && Lt::tensors[0].dims[1] == 3); // B is N x K
    expect_values(run_layer<Lt>(values<T>({1, 2, 3}), values<T>({1, 3, 5, 2, 4, 6, 10, 20})), {31, 54});
}

TYPED_TEST(OnnxShapes, GemmOnChannelsTransAAndNoBias) {
    using T = TypeParam;
    // A sample of 2 x 1 x 3 is the 2 x 3 matrix A; trans_a makes it 3 x 2; B is the 2 x 2 identity.
    using L = bound<ctnn::gemm<2, 1.0, 1.0, ctnn::trans_a, ctnn::no_bias>, T, 2, 1, 3>;
    static_assert(std::is_same_v<typename L::out_shape, shape<3, 2, 1>>);
    static_assert(L::tensors.size() == 1);
    expect_values(run_layer<L>(values<T>({1, 2, 3, 4, 5, 6}), values<T>({1, 0, 0, 1})), {1, 4, 2, 5, 3, 6});
    using R = bound<ctnn::gemm<1>, T, 2, 1, 3>; // 2 x 3 times 3 x 1, plus a 2 x 1 bias
    static_assert(std::is_same_v<typename R::out_shape, shape<2, 1, 1>>);
    expect_values(run_layer<R>(values<T>({1, 2, 3, 4, 5, 6}), values<T>({1, 1, 1, 0.5, -0.5})), {6.5, 14.5});
    // A flat input with trans_a is a K x 1 matrix: M = 3, K = 1.
    using F = bound<ctnn::gemm<2, 1.0, 1.0, ctnn::trans_a, ctnn::no_bias>, T, 3>;
    static_assert(std::is_same_v<typename F::out_shape, shape<3, 2, 1>>);
    expect_values(run_layer<F>(values<T>({1, 2, 3}), values<T>({1, -1})), {1, -1, 2, -2, 3, -3});
}

TYPED_TEST(OnnxShapes, GemmBackward) {
    using T = TypeParam;
    using L = bound<ctnn::gemm<2, 0.5, 2.0>, T, 3>;
    const auto a = values<T>({1, 2, 3});
    const auto p = values<T>({1, 2, 3, 4, 5, 6, 10, 20});
    const auto dy = values<T>({1, -1});
    std::vector<T> da(3), grads(8, T(0));
    L::backward(a.data(), nullptr, dy.data(), da.data(), p.data(), grads.data(), 1);
    expect_values(da, {-0.5, -0.5, -0.5});                   // 0.5 * B dy
    expect_values(grads, {0.5, -0.5, 1, -1, 1.5, -1.5, 2, -2}); // 0.5 * a dy^T, then 2 * dy
}

// same_upper / same_lower: Out = ceil(In / Stride), the odd extra cell at the end / beginning.
TYPED_TEST(OnnxShapes, AutoPadResolvesFromTheInput) {
    using T = TypeParam;
    using up = bound<ctnn::conv2d<4, 3, ctnn::same_upper, ctnn::stride<2>>, T, 1, 8, 7>;
    static_assert(std::is_same_v<typename up::out_shape, shape<4, 4, 4>>);
    static_assert(up::geometry.pad_top == 0 && up::geometry.pad_left == 1); // totals 1 (H) and 2 (W)
    using low = bound<ctnn::conv2d<4, 3, ctnn::same_lower, ctnn::stride<2>>, T, 1, 8, 7>;
    static_assert(low::geometry.pad_top == 1 && low::geometry.pad_left == 1);
    using dil = bound<ctnn::conv2d<1, 3, ctnn::same_upper, ctnn::dilation<2>>, T, 1, 5, 5>;
    static_assert(std::is_same_v<typename dil::out_shape, shape<1, 5, 5>> && dil::geometry.pad_top == 2);
    using valid = bound<ctnn::conv2d<2, 3, ctnn::valid>, T, 1, 5, 6>;
    static_assert(std::is_same_v<typename valid::out_shape, shape<2, 3, 4>>);
    using pool = bound<ctnn::max_pool2d<4, ctnn::same_lower, ctnn::stride<1>>, T, 1, 5, 5>;
    static_assert(pool::geometry.pad_top == 2 && pool::geometry.pad_bottom == 1);
    static_assert(std::is_same_v<typename pool::out_shape, shape<1, 5, 5>>);
    using pool2 = bound<ctnn::avg_pool2d<2, ctnn::same_upper>, T, 3, 5, 6>; // stride 2 = the window
    static_assert(std::is_same_v<typename pool2::out_shape, shape<3, 3, 3>>);
    static_assert(pool2::geometry.pad_bottom == 1 && pool2::geometry.pad_right == 0);
}

TYPED_TEST(OnnxShapes, SameUpperAndLowerPoolHandValues) {
    using T = TypeParam;
    const auto in = values<T>({1, 5, 2, 3});
    using up = bound<ctnn::max_pool2d<ctnn::hw{1, 2}, ctnn::same_upper, ctnn::stride<1>>, T, 1, 1, 4>;
    using low = bound<ctnn::max_pool2d<ctnn::hw{1, 2}, ctnn::same_lower, ctnn::stride<1>>, T, 1, 1, 4>;
    expect_values(run_layer<up>(in, {}), {5, 5, 3, 3});
    expect_values(run_layer<low>(in, {}), {1, 5, 5, 3});
    // Average with the default count_include_pad divides the padded windows by 2.
    using avg = bound<ctnn::avg_pool2d<ctnn::hw{1, 2}, ctnn::same_lower, ctnn::stride<1>>, T, 1, 1, 4>;
    expect_values(run_layer<avg>(in, {}), {0.5, 3, 3.5, 2.5});
}

TEST(OnnxShapesNetwork, AutoPadReachesTheCheckpointHash) {
    using ctnn::input, ctnn::network, ctnn::network_hash;
    static_assert(network_hash<network<input<1, 4, 4>, ctnn::conv2d<1, 2, ctnn::same_upper>>>() !=
                  network_hash<network<input<1, 4, 4>, ctnn::conv2d<1, 2, ctnn::same_lower>>>());
    static_assert(network_hash<network<input<4>, ctnn::gemm<2, 1.0, 1.0>>>() !=
                  network_hash<network<input<4>, ctnn::gemm<2, 1.0, 0.5>>>());
    static_assert(network_hash<network<input<1, 2, 2>, ctnn::zero_pad<1, 0, 0, 0>>>() !=
                  network_hash<network<input<1, 2, 2>, ctnn::zero_pad<0, 0, 1, 0>>>());
    SUCCEED();
}

// Layer law: parameters survive a checkpoint round trip, by name and shape.
TEST(OnnxShapesNetwork, CheckpointRoundTrip) {
    using net = ctnn::basic_network<double, ctnn::input<2, 4, 4>, ctnn::conv2d<3, 3, ctnn::same_lower>,
                                    ctnn::prelu<ctnn::prelu_slopes::per_element>, ctnn::zero_pad<1>,
                                    ctnn::global_max_pool, ctnn::gemm<4, 0.5, 2.0, ctnn::trans_a, ctnn::trans_b>,
                                    ctnn::softmax_along<1>>;
    static_assert(net::output_shape == shape<1, 4, 1>{});
    auto p = std::make_unique<net::parameters>();
    for (std::size_t i = 0; i < net::param_storage; ++i) p->values[i] = 0.25 * static_cast<double>(i % 17) - 2;
    const auto bytes = ctnn::encode_checkpoint<net>(*p);
    auto q = std::make_unique<net::parameters>();
    ctnn::decode_checkpoint<net>(bytes, *q, "memory");
    for (const auto& t : net::tensors)
        for (std::size_t i = 0; i < t.tensor.size; ++i) EXPECT_EQ(q->values[t.offset + i], p->values[t.offset + i]);
    std::vector<std::string> keys;
    for (const auto& t : net::tensors) keys.push_back(std::to_string(t.entry) + "." + std::string(t.tensor.name));
    EXPECT_EQ(keys, (std::vector<std::string>{"1.weight", "1.bias", "2.weight", "5.weight", "5.bias"}));
}

// Existing features ONNX models lean on.
TYPED_TEST(OnnxShapes, ChannelMultiplierAndDilation) {
    using T = TypeParam;
    // groups = Cin = 2, Cout = 4: each input channel feeds two filters.
    using mult = bound<ctnn::conv2d<4, 1, ctnn::groups<2>, ctnn::no_bias>, T, 2, 1, 1>;
    expect_values(run_layer<mult>(values<T>({2, 3}), values<T>({1, 2, 3, 4})), {2, 4, 9, 12});
    using dil = bound<ctnn::conv2d<1, ctnn::hw{1, 2}, ctnn::dilation<1, 2>, ctnn::no_bias>, T, 1, 1, 3>;
    expect_values(run_layer<dil>(values<T>({1, 2, 3}), values<T>({1, 10})), {31});
}

TYPED_TEST(OnnxShapes, BatchNormAtInference) {
    using T = TypeParam;
    using L = bound<ctnn::batch_norm<>, T, 2, 1, 2>;
    // weight, bias, running_mean, running_var; var + eps = 4 and 1.
    const auto p = values<T>({2, 1, 0, 1, 1, 3, 4 - 1e-5, 1 - 1e-5});
    expect_values(run_layer<L>(values<T>({1, 2, 3, 4}), p), {0, 1, 1, 2});
}

} // namespace
