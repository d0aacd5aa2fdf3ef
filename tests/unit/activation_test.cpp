// Element-wise activations and softmax against known values: relu, leaky_relu slopes,
// sigmoid and tanh at 0 and at +-100/+-1000 (finite, no NaN), identity, softmax of known
// vectors and of +-1000 (no NaN or inf, sums to 1), per sample. In place equals out of
// place, since the planner runs these layers in place. Float and double.
#include "unit_util.hpp"

#include <ctnn_test_util.hpp>

#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace {

using ctnn::unit::bound;
using ctnn::unit::expect_values;
using ctnn::unit::run_layer;
using ctnn::unit::values;

template <class T>
class Activation : public ::testing::Test {};
TYPED_TEST_SUITE(Activation, ctnn::unit::value_types);

template <class L, class T>
std::vector<T> apply(const std::vector<T>& in) {
    return run_layer<L>(in, {});
}

TYPED_TEST(Activation, Relu) {
    using T = TypeParam;
    using L = bound<ctnn::relu, T, 6>;
    expect_values(apply<L>(values<T>({-2, -0.5, 0, 0.5, 3, -1e30})), {0, 0, 0, 0.5, 3, 0});
}

TYPED_TEST(Activation, LeakyReluSlopes) {
    using T = TypeParam;
    static_assert(ctnn::leaky_relu<0.2>::slope == 0.2);
    static_assert(ctnn::leaky_relu<>::slope == 0.01); // PyTorch's default
    expect_values(apply<bound<ctnn::leaky_relu<0.2>, T, 5>>(values<T>({-5, -1, 0, 2, 7.5})), {-1, -0.2, 0, 2, 7.5});
    expect_values(apply<bound<ctnn::leaky_relu<>, T, 3>>(values<T>({-100, -1, 4})), {-1, -0.01, 4});
    expect_values(apply<bound<ctnn::leaky_relu<0.5>, T, 2>>(values<T>({-3, 3})), {-1.5, 3});
    // Slope 1 is the identity, slope 0 is relu.
    expect_values(apply<bound<ctnn::leaky_relu<1.0>, T, 2>>(values<T>({-3, 3})), {-3, 3});
    expect_values(apply<bound<ctnn::leaky_relu<0.0>, T, 2>>(values<T>({-3, 3})), {0, 3});
}

TYPED_TEST(Activation, SigmoidKnownValues) {
    using T = TypeParam;
    using L = bound<ctnn::sigmoid, T, 3>;
    const double ln3 = std::log(3.0);
    expect_values(apply<L>(values<T>({0, ln3, -ln3})), {0.5, 0.75, 0.25});
}

TYPED_TEST(Activation, SigmoidSaturatesWithoutNaN) {
    using T = TypeParam;
    using L = bound<ctnn::sigmoid, T, 4>;
    const auto out = apply<L>(values<T>({100, -100, 1000, -1000}));
    for (T v : out) {
        EXPECT_TRUE(std::isfinite(v)) << v;
        EXPECT_GE(v, T(0));
        EXPECT_LE(v, T(1));
    }
    EXPECT_NEAR(static_cast<double>(out[0]), 1.0, 1e-7);
    EXPECT_LT(static_cast<double>(out[1]), 1e-30);
    EXPECT_EQ(out[2], T(1));
    EXPECT_EQ(out[3], T(0));
}

TYPED_TEST(Activation, TanhKnownValues) {
    using T = TypeParam;
    using L = bound<ctnn::tanh, T, 5>;
    const auto out = apply<L>(values<T>({0, 0.5, -0.5, 100, -100}));
    expect_values(out, {0, 0.46211715726000974, -0.46211715726000974, 1, -1});
    for (T v : out) EXPECT_FALSE(std::isnan(v));
}

TYPED_TEST(Activation, IdentityCopies) {
    using T = TypeParam;
    using L = bound<ctnn::identity, T, 2, 1, 2>;
    const auto in = values<T>({-1.5, 0, 2, 1e6});
    const auto out = apply<L>(in);
    EXPECT_EQ(out, in);
}

TYPED_TEST(Activation, BatchCoversEveryElementOfEverySample) {
    using T = TypeParam;
    using L = bound<ctnn::relu, T, 2, 1, 2>;
    expect_values(run_layer<L>(values<T>({-1, 1, -2, 2, 3, -3, 4, -4}), {}, 2), {0, 1, 0, 2, 3, 0, 4, 0});
}

// The planner runs element-wise layers in place: in == out must give the same result.
template <class L, class T>
void expect_in_place_matches(std::vector<T> data) {
    const auto expected = run_layer<L>(data, {}, data.size() / L::in_shape::size);
    L::forward(data.data(), data.data(), nullptr, data.size() / L::in_shape::size);
    EXPECT_EQ(data, expected);
}

TYPED_TEST(Activation, InPlaceEqualsOutOfPlace) {
    using T = TypeParam;
    const auto data = ctnn::test::random_vector<T>(24, 7, T(-4), T(4));
    expect_in_place_matches<bound<ctnn::relu, T, 2, 3, 4>>(data);
    expect_in_place_matches<bound<ctnn::leaky_relu<0.3>, T, 24>>(data);
    expect_in_place_matches<bound<ctnn::sigmoid, T, 12>>(data);
    expect_in_place_matches<bound<ctnn::tanh, T, 6>>(data);
    expect_in_place_matches<bound<ctnn::identity, T, 24>>(data);
    expect_in_place_matches<bound<ctnn::softmax, T, 8>>(data);
    expect_in_place_matches<bound<ctnn::flatten, T, 2, 2, 3>>(data);
}

// ---------------------------------------------------------------------------- softmax
TYPED_TEST(Activation, SoftmaxKnownValues) {
    using T = TypeParam;
    using L = bound<ctnn::softmax, T, 3>;
    expect_values(apply<L>(values<T>({1, 2, 3})), {0.090030573170380462, 0.24472847105479767, 0.66524095577481771});
    expect_values(apply<L>(values<T>({0, 0, 0})), {1.0 / 3, 1.0 / 3, 1.0 / 3});
}

template <class L, class T>
void expect_finite_distribution(const std::vector<T>& in) {
    const auto out = run_layer<L>(in, {});
    T sum = 0;
    for (T v : out) {
        EXPECT_TRUE(std::isfinite(v)) << v;
        EXPECT_GE(v, T(0));
        sum += v;
    }
    EXPECT_NEAR(static_cast<double>(sum), 1.0, 1e-6);
}

TYPED_TEST(Activation, SoftmaxOfHugeInputsIsFiniteAndSumsToOne) {
    using T = TypeParam;
    using L = bound<ctnn::softmax, T, 4>;
    expect_finite_distribution<L>(values<T>({1000, -1000, 0, 1}));
    expect_finite_distribution<L>(values<T>({1000, 1000, -1000, 1000}));
    expect_finite_distribution<L>(values<T>({-1000, -1000, -1000, -1000}));
    expect_finite_distribution<L>(values<T>({-1000, 1000, 999, -999}));
    expect_values(apply<L>(values<T>({1000, -1000, 0, 1})), {1, 0, 0, 0});
    expect_values(apply<L>(values<T>({1000, 1000, -1000, 1000})), {1.0 / 3, 1.0 / 3, 0, 1.0 / 3});
    expect_values(apply<L>(values<T>({-1000, -1000, -1000, -1000})), {0.25, 0.25, 0.25, 0.25});
    // exp(-1) / (1 + exp(-1)) and 1 / (1 + exp(-1)).
    expect_values(apply<L>(values<T>({-1000, 1000, 999, -999})), {0, 0.7310585786300049, 0.2689414213699951, 0});
}

TYPED_TEST(Activation, SoftmaxIgnoresAShift) {
    using T = TypeParam;
    using L = bound<ctnn::softmax, T, 5>;
    const auto x = values<T>({0.5, -1, 2, 0, 1});
    const auto y = values<T>({500.5, 499, 502, 500, 501});
    const auto a = apply<L>(x), b = apply<L>(y);
    EXPECT_LE((ctnn::test::max_abs_diff<T, T>(a, b)), 10 * ctnn::unit::tolerance<T>());
}

TYPED_TEST(Activation, SoftmaxNormalizesEachSampleAlone) {
    using T = TypeParam;
    using L = bound<ctnn::softmax, T, 2>;
    expect_values(run_layer<L>(values<T>({0, 0, 1000, -1000, 3, 3}), {}, 3), {0.5, 0.5, 1, 0, 0.5, 0.5});
}

} // namespace
