// Max and average pooling (the reference kernel, and the layer's forward against it)
// against numbers computed by hand: the seed's
// pooling picture and its [[1,2],[3,4]] example, overlapping windows, padding (which never
// wins a max), count_include_pad vs count_exclude_pad on padded corners, ceil-mode windows
// that overhang the end (PyTorch counts the padding they cover but not the overhang), the
// PyTorch ceil rule, dilation, NaN propagation, channels and batch; for float and double.
#include "unit_util.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>
#include <vector>

namespace {

using ctnn::unit::bound;
using ctnn::unit::expect_values;
using ctnn::unit::iota;
using ctnn::unit::run_layer;
using ctnn::unit::values;

template <class T>
class Pool2dReference : public ::testing::Test {};
TYPED_TEST_SUITE(Pool2dReference, ctnn::unit::value_types);

/// The reference kernel's output on L's geometry, after checking that L's forward agrees.
template <class L, class T>
std::vector<T> pool(const std::vector<T>& in, std::size_t batch = 1) {
    constexpr auto kind = L::name == std::string_view("max_pool2d") ? ctnn::pool_kind::max : ctnn::pool_kind::average;
    std::vector<T> reference(batch * L::out_shape::size);
    ctnn::kernels::reference::pool2d_forward<kind>(L::geometry, in.data(), reference.data(), batch);
    return ctnn::unit::same_as_reference(reference, run_layer<L>(in, {}, batch));
}

// The seed's picture: 2x2 windows, stride 2, over a 4x4 input.
TYPED_TEST(Pool2dReference, SeedPicture) {
    using T = TypeParam;
    const auto in = values<T>({1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4});
    expect_values(pool<bound<ctnn::max_pool2d<2>, T, 1, 4, 4>>(in), {6, 8, 3, 4});
    expect_values(pool<bound<ctnn::avg_pool2d<2>, T, 1, 4, 4>>(in), {3.25, 5.25, 2, 2});
}

// The seed's [[1,2],[3,4]]: w = max(a, b, e, f) = 4 and w = (a + b + e + f) / 4 = 2.5.
TYPED_TEST(Pool2dReference, SeedTwoByTwo) {
    using T = TypeParam;
    const auto in = values<T>({1, 2, 3, 4});
    expect_values(pool<bound<ctnn::max_pool2d<2>, T, 1, 2, 2>>(in), {4});
    expect_values(pool<bound<ctnn::avg_pool2d<2>, T, 1, 2, 2>>(in), {2.5});
    // The maximum wins wherever it sits.
    expect_values(pool<bound<ctnn::max_pool2d<2>, T, 1, 2, 2>>(values<T>({1, 4, 3, 2})), {4});
    expect_values(pool<bound<ctnn::max_pool2d<2>, T, 1, 2, 2>>(values<T>({4, 1, 3, 2})), {4});
}

TYPED_TEST(Pool2dReference, OverlappingWindows) {
    using T = TypeParam;
    using L = bound<ctnn::max_pool2d<3, ctnn::stride<2>>, T, 1, 5, 5>;
    expect_values(pool<L>(iota<T>(25)), {13, 15, 23, 25});
    using A = bound<ctnn::avg_pool2d<3, ctnn::stride<2>>, T, 1, 5, 5>;
    expect_values(pool<A>(iota<T>(25)), {7, 9, 17, 19}); // the window centres
}

TYPED_TEST(Pool2dReference, RectangularWindowDefaultsStrideToIt) {
    using T = TypeParam;
    using L = bound<ctnn::max_pool2d<ctnn::hw{1, 3}>, T, 1, 2, 6>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 2, 2>{});
    expect_values(pool<L>(values<T>({3, 1, 2, 0, 9, 4, -1, -2, -3, 7, 8, 6})), {3, 9, -1, 8});
}

// Padding is never the maximum: all inputs -5 stay -5, not 0.
TYPED_TEST(Pool2dReference, PaddingNeverWinsAMax) {
    using T = TypeParam;
    using L = bound<ctnn::max_pool2d<2, ctnn::stride<1>, ctnn::pad<1>>, T, 1, 2, 2>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 3, 3>{});
    expect_values(pool<L>(values<T>({-5, -5, -5, -5})), {-5, -5, -5, -5, -5, -5, -5, -5, -5});
    expect_values(pool<L>(values<T>({-1, -2, -3, -4})), {-1, -1, -2, -1, -1, -2, -3, -3, -4});
}

// Padded corners: include divides by the window (4), exclude by the real cells in it.
TYPED_TEST(Pool2dReference, AveragePaddingIncludedOrExcluded) {
    using T = TypeParam;
    const auto in = values<T>({1, 2, 3, 4});
    using inc = bound<ctnn::avg_pool2d<2, ctnn::stride<1>, ctnn::pad<1>>, T, 1, 2, 2>;
    using inc2 = bound<ctnn::avg_pool2d<2, ctnn::stride<1>, ctnn::pad<1>, ctnn::count_include_pad>, T, 1, 2, 2>;
    using exc = bound<ctnn::avg_pool2d<2, ctnn::stride<1>, ctnn::pad<1>, ctnn::count_exclude_pad>, T, 1, 2, 2>;
    expect_values(pool<inc>(in), {0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1});
    expect_values(pool<inc2>(in), {0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1});
    expect_values(pool<exc>(in), {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
}

// Asymmetric padding for the average: only the bottom row and right column are padding.
TYPED_TEST(Pool2dReference, AverageWithAsymmetricPadding) {
    using T = TypeParam;
    using inc = bound<ctnn::avg_pool2d<2, ctnn::pad<0, 0, 1, 1>>, T, 1, 3, 3>;
    using exc = bound<ctnn::avg_pool2d<2, ctnn::pad<0, 0, 1, 1>, ctnn::count_exclude_pad>, T, 1, 3, 3>;
    static_assert(typename inc::out_shape{} == ctnn::shape<1, 2, 2>{});
    expect_values(pool<inc>(iota<T>(9)), {3, 9.0 / 4, 15.0 / 4, 9.0 / 4});
    expect_values(pool<exc>(iota<T>(9)), {3, 4.5, 7.5, 9});
}

// ceil_mode without padding: the last windows hang past the input and average only the
// cells they cover (PyTorch: the overhang is not padding, so it is never counted).
TYPED_TEST(Pool2dReference, CeilModeWindowOverhangsTheEnd) {
    using T = TypeParam;
    using mx = bound<ctnn::max_pool2d<2, ctnn::ceil_mode>, T, 1, 3, 3>;
    using inc = bound<ctnn::avg_pool2d<2, ctnn::ceil_mode>, T, 1, 3, 3>;
    using exc = bound<ctnn::avg_pool2d<2, ctnn::ceil_mode, ctnn::count_exclude_pad>, T, 1, 3, 3>;
    static_assert(typename mx::out_shape{} == ctnn::shape<1, 2, 2>{});
    expect_values(pool<mx>(iota<T>(9)), {5, 6, 8, 9});
    expect_values(pool<inc>(iota<T>(9)), {3, 4.5, 7.5, 9});
    expect_values(pool<exc>(iota<T>(9)), {3, 4.5, 7.5, 9});
}

// ceil_mode with padding 1, window 3, stride 2 on 4x4: the last window per axis covers one
// input row, one padding row (counted by include) and one overhang row (never counted).
TYPED_TEST(Pool2dReference, CeilModeCountsPaddingButNotOverhang) {
    using T = TypeParam;
    using inc = bound<ctnn::avg_pool2d<3, ctnn::stride<2>, ctnn::pad<1>, ctnn::ceil_mode>, T, 1, 4, 4>;
    using exc = bound<ctnn::avg_pool2d<3, ctnn::stride<2>, ctnn::pad<1>, ctnn::ceil_mode, ctnn::count_exclude_pad>, T,
                      1, 4, 4>;
    static_assert(typename inc::out_shape{} == ctnn::shape<1, 3, 3>{});
    expect_values(pool<inc>(iota<T>(16)), {14.0 / 9, 30.0 / 9, 2, 57.0 / 9, 11, 6, 4.5, 7.5, 4});
    expect_values(pool<exc>(iota<T>(16)), {3.5, 5, 6, 9.5, 11, 12, 13.5, 15, 16});
}

// PyTorch's ceil rule: window 2, stride 2, pad 1 on 5 gives 3 windows starting at -1, 1, 3;
// a 4th would start in the end padding and is dropped.
TYPED_TEST(Pool2dReference, CeilRuleDropsAWindowStartingInTheEndPadding) {
    using T = TypeParam;
    using L = bound<ctnn::max_pool2d<2, ctnn::pad<1>, ctnn::ceil_mode>, T, 1, 5, 5>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 3, 3>{});
    expect_values(pool<L>(iota<T>(25)), {1, 3, 5, 11, 13, 15, 21, 23, 25});
}

TYPED_TEST(Pool2dReference, DilatedWindowSkipsCells) {
    using T = TypeParam;
    using L = bound<ctnn::max_pool2d<2, ctnn::dilation<2>, ctnn::stride<1>>, T, 1, 3, 3>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 1, 1>{});
    expect_values(pool<L>(values<T>({1, 0, 2, 0, 100, 0, 3, 0, 4})), {4}); // the centre is not a tap
    using A = bound<ctnn::avg_pool2d<2, ctnn::dilation<2>, ctnn::stride<1>>, T, 1, 3, 3>;
    expect_values(pool<A>(values<T>({1, 0, 2, 0, 100, 0, 3, 0, 4})), {2.5});
}

// A NaN anywhere in a window makes that window's max NaN (as PyTorch), first or last.
TYPED_TEST(Pool2dReference, MaxPropagatesNaN) {
    using T = TypeParam;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    using L = bound<ctnn::max_pool2d<2>, T, 1, 2, 6>;
    // Windows: NaN first; NaN last; no NaN.
    const std::vector<T> in{nan, 5, 1, 2, 7, 8, //
                            1, 2, 3, nan, 6, 9};
    const auto out = pool<L>(in);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_EQ(out[2], T(9));
    // NaN after the maximum, and NaN in a padded window.
    using P = bound<ctnn::max_pool2d<2, ctnn::pad<1>, ctnn::stride<1>>, T, 1, 1, 2>;
    const auto padded = pool<P>(std::vector<T>{100, nan});
    ASSERT_EQ(padded.size(), 6u);
    EXPECT_EQ(padded[0], T(100));
    EXPECT_TRUE(std::isnan(padded[1]));
    EXPECT_TRUE(std::isnan(padded[2]));
    EXPECT_EQ(padded[3], T(100));
}

TYPED_TEST(Pool2dReference, AverageOfInfinityIsInfinite) {
    using T = TypeParam;
    const T inf = std::numeric_limits<T>::infinity();
    using L = bound<ctnn::avg_pool2d<2>, T, 1, 2, 2>;
    const auto out = pool<L>(std::vector<T>{inf, 1, 2, 3});
    EXPECT_EQ(out[0], inf);
}

// Channels and samples are pooled separately.
TYPED_TEST(Pool2dReference, ChannelsAndSamplesAreIndependent) {
    using T = TypeParam;
    using L = bound<ctnn::max_pool2d<2>, T, 2, 2, 2>;
    const auto in = values<T>({1, 2, 3, 4, -1, -2, -3, -4, 10, 0, 0, 0, 0, 0, 0, 20});
    expect_values(pool<L>(in, 2), {4, -1, 10, 20});
    using A = bound<ctnn::avg_pool2d<2>, T, 2, 2, 2>;
    expect_values(pool<A>(in, 2), {2.5, -2.5, 2.5, 5});
}

} // namespace
