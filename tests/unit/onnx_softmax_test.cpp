// log_softmax, softmax over any rank, softmax_along<Axis> and log_softmax_along<Axis>
// against hand-computed values; stable for inputs in the thousands; in place equals out of
// place. Float and double.
#include "unit_util.hpp"

#include <ctnn/io/checkpoint.hpp>

#include <ctnn_test_util.hpp>

#include <cmath>
#include <vector>

namespace {

using ctnn::unit::bound;
using ctnn::unit::expect_values;
using ctnn::unit::run_layer;
using ctnn::unit::values;

template <class T>
class OnnxSoftmax : public ::testing::Test {};
TYPED_TEST_SUITE(OnnxSoftmax, ctnn::unit::value_types);

const double ln3 = std::log(3.0);

TYPED_TEST(OnnxSoftmax, LogSoftmaxKnownValues) {
    using T = TypeParam;
    expect_values(run_layer<bound<ctnn::log_softmax, T, 3>>(values<T>({1, 2, 3}), {}),
                  {-2.4076059644443806, -1.4076059644443806, -0.40760596444438063});
    // Stable: a difference of 2000 gives -2000, not -inf.
    expect_values(run_layer<bound<ctnn::log_softmax, T, 2>>(values<T>({1000, -1000}), {}), {0, -2000});
}

TYPED_TEST(OnnxSoftmax, SoftmaxTakesAnyRankAsOneVector) {
    using T = TypeParam;
    expect_values(run_layer<bound<ctnn::softmax, T, 1, 2, 2>>(values<T>({0, ln3, 0, 0}), {}),
                  {1.0 / 6, 3.0 / 6, 1.0 / 6, 1.0 / 6});
    expect_values(run_layer<bound<ctnn::log_softmax, T, 2, 1, 1>>(values<T>({0, ln3}), {}),
                  {std::log(0.25), std::log(0.75)});
}

TYPED_TEST(OnnxSoftmax, AlongChannels) {
    using T = TypeParam;
    using L = bound<ctnn::softmax_along<0>, T, 2, 1, 2>;
    static_assert(L::geometry.outer == 1 && L::geometry.length == 2 && L::geometry.inner == 2);
    // Channel 0 is {0, 0}, channel 1 is {ln 3, 0}: per position {0, ln 3} and {0, 0}.
    expect_values(run_layer<L>(values<T>({0, 0, ln3, 0}), {}), {0.25, 0.5, 0.75, 0.5});
    expect_values(run_layer<bound<ctnn::log_softmax_along<0>, T, 2, 1, 2>>(values<T>({0, 0, ln3, 0}), {}),
                  {std::log(0.25), std::log(0.5), std::log(0.75), std::log(0.5)});
}

TYPED_TEST(OnnxSoftmax, AlongRowsAndColumns) {
    using T = TypeParam;
    const auto in = values<T>({0, ln3, 1, 1}); // 1 x 2 x 2: rows {0, ln 3} and {1, 1}
    expect_values(run_layer<bound<ctnn::softmax_along<2>, T, 1, 2, 2>>(in, {}), {0.25, 0.75, 0.5, 0.5});
    const double e = std::exp(1.0);
    expect_values(run_layer<bound<ctnn::softmax_along<1>, T, 1, 2, 2>>(in, {}),
                  {1 / (1 + e), 3 / (3 + e), e / (1 + e), e / (3 + e)});
    expect_values(run_layer<bound<ctnn::softmax_along<0>, T, 3>>(values<T>({1, 2, 3}), {}),
                  {0.090030573170380462, 0.24472847105479767, 0.66524095577481771});
}

TYPED_TEST(OnnxSoftmax, AlongAnAxisEqualsSoftmaxOfEachLine) {
    using T = TypeParam;
    const auto in = ctnn::test::random_vector<T>(2 * 3 * 4 * 5, 3, T(-5), T(5));
    const auto out = run_layer<bound<ctnn::softmax_along<1>, T, 3, 4, 5>>(in, {}, 2);
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t c = 0; c < 3; ++c)
            for (std::size_t x = 0; x < 5; ++x) {
                std::vector<T> line(4);
                for (std::size_t y = 0; y < 4; ++y) line[y] = in[((n * 3 + c) * 4 + y) * 5 + x];
                const auto want = run_layer<bound<ctnn::softmax, T, 4>>(line, {});
                for (std::size_t y = 0; y < 4; ++y)
                    EXPECT_NEAR(static_cast<double>(out[((n * 3 + c) * 4 + y) * 5 + x]), static_cast<double>(want[y]),
                                1e-6);
            }
}

TYPED_TEST(OnnxSoftmax, HugeInputsStayFinite) {
    using T = TypeParam;
    const auto out = run_layer<bound<ctnn::softmax_along<0>, T, 2, 1, 2>>(values<T>({1000, -1000, -1000, 1000}), {});
    expect_values(out, {1, 0, 0, 1});
    const auto logs = run_layer<bound<ctnn::log_softmax_along<2>, T, 1, 1, 2>>(values<T>({1000, -1000}), {});
    expect_values(logs, {0, -2000});
}

TYPED_TEST(OnnxSoftmax, InPlaceEqualsOutOfPlace) {
    using T = TypeParam;
    auto check = [&]<class L>() {
        auto data = ctnn::test::random_vector<T>(2 * L::in_shape::size, 11, T(-3), T(3));
        const auto expected = run_layer<L>(data, {}, 2);
        L::forward(data.data(), data.data(), nullptr, 2);
        EXPECT_EQ(data, expected);
    };
    check.template operator()<bound<ctnn::log_softmax, T, 2, 3, 4>>();
    check.template operator()<bound<ctnn::softmax_along<0>, T, 2, 3, 4>>();
    check.template operator()<bound<ctnn::softmax_along<1>, T, 2, 3, 4>>();
    check.template operator()<bound<ctnn::log_softmax_along<2>, T, 2, 3, 4>>();
}

TEST(OnnxSoftmaxNetwork, TheAxisReachesTheCheckpointHash) {
    using ctnn::input, ctnn::network, ctnn::network_hash;
    static_assert(network_hash<network<input<2, 3, 3>, ctnn::softmax_along<1>>>() !=
                  network_hash<network<input<2, 3, 3>, ctnn::softmax_along<2>>>());
    static_assert(network_hash<network<input<4>, ctnn::softmax>>() != network_hash<network<input<4>, ctnn::log_softmax>>());
    SUCCEED();
}

} // namespace
