// conv2d against numbers computed by hand: the seed's worked examples (4x4 input with two
// kernels, stride 2, padding), cross-correlation orientation, "a filter is one kernel per
// input channel, summed, plus bias", groups, dilation, asymmetric padding, ceil mode, no
// bias; for float and double. Each case runs twice: through the reference kernel (the
// oracle) and through the bound layer's forward (whatever kernel it dispatches to).
// Grids are 1, 2, 3, ... row by row.
#include "unit_util.hpp"

#include <ctnn_test_util.hpp>

#include <cstddef>
#include <initializer_list>
#include <vector>

namespace {

using ctnn::unit::bound;
using ctnn::unit::expect_values;
using ctnn::unit::iota;
using ctnn::unit::run_layer;
using ctnn::unit::values;

/// The reference kernel on the layer's geometry.
template <class L, class T>
std::vector<T> run_reference(const std::vector<T>& in, const std::vector<T>& params, std::size_t batch = 1) {
    std::vector<T> out(batch * L::out_shape::size);
    ctnn::kernels::reference::conv2d_forward(L::geometry, in.data(), params.data(),
                                             L::geometry.bias ? params.data() + L::weight_size : nullptr, out.data(),
                                             batch);
    return out;
}

/// Both the reference kernel and the layer's forward give `expected`.
template <class L, class T>
void expect_conv(const std::vector<T>& in, const std::vector<T>& params, std::initializer_list<double> expected,
                 std::size_t batch = 1) {
    {
        SCOPED_TRACE("reference kernel");
        expect_values(run_reference<L>(in, params, batch), expected);
    }
    {
        SCOPED_TRACE("layer forward");
        expect_values(run_layer<L>(in, params, batch), expected);
    }
}

/// Both the reference kernel and the layer's forward match `expected` (random-data laws).
template <class L, class T>
void expect_conv_near(const std::vector<T>& in, const std::vector<T>& params, const std::vector<T>& expected) {
    const double tol = 10 * ctnn::unit::tolerance<T>() * ctnn::test::scale_of<T>(expected);
    EXPECT_LE((ctnn::test::max_abs_diff<T, T>(run_reference<L>(in, params), expected)), tol) << "reference kernel";
    EXPECT_LE((ctnn::test::max_abs_diff<T, T>(run_layer<L>(in, params), expected)), tol) << "layer forward";
}

template <class T>
class Conv2dReference : public ::testing::Test {};
TYPED_TEST_SUITE(Conv2dReference, ctnn::unit::value_types);

// Seed: a 4x4 image through two 3x3 kernels in parallel gives two 2x2 feature maps.
TYPED_TEST(Conv2dReference, SeedFourByFourWithTwoKernels) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<2, 3>, T, 1, 4, 4>;
    static_assert(typename L::out_shape{} == ctnn::shape<2, 2, 2>{});
    const auto params = values<T>({0, 0, 0, 0, 1, 0, 0, 0, 0, // kernel 1 picks the centre
                                   1, 1, 1, 1, 1, 1, 1, 1, 1, // kernel 2 sums the window
                                   0.5, -1});                 // biases
    expect_conv<L>(iota<T>(16), params, {6.5, 7.5, 10.5, 11.5, 53, 62, 89, 98});
}

// Seed: stride 2 over a 5x5 input gives 2x2.
TYPED_TEST(Conv2dReference, SeedStrideTwo) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, 3, ctnn::stride<2>>, T, 1, 5, 5>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 2, 2>{});
    expect_conv<L>(iota<T>(25), values<T>({1, 1, 1, 1, 1, 1, 1, 1, 1, 0}), {63, 81, 153, 171});
}

// Seed: one ring of zeros keeps a 4x4 input 4x4 under a 3x3 kernel.
TYPED_TEST(Conv2dReference, SeedPaddingKeepsTheSize) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, 3, ctnn::pad<1>>, T, 1, 4, 4>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 4, 4>{});
    expect_conv<L>(iota<T>(16), values<T>({1, 1, 1, 1, 1, 1, 1, 1, 1, 0}),
                   {14, 24, 30, 22, 33, 54, 63, 45, 57, 90, 99, 69, 46, 72, 78, 54});
}

// Cross-correlation (PyTorch, the seed): the kernel is not flipped. A flipped kernel would
// give 23 at the first position.
TYPED_TEST(Conv2dReference, IsCrossCorrelation) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, 2>, T, 1, 3, 3>;
    expect_conv<L>(iota<T>(9), values<T>({1, 2, 3, 4, 0}), {37, 47, 67, 77});
}

// Seed: filter m holds one kernel per input channel; the three per-channel results are
// summed and b_m is added. 3 channels of 3x3, two filters of 3x2x2.
TYPED_TEST(Conv2dReference, FilterIsOneKernelPerChannelSummedPlusBias) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<2, 2>, T, 3, 3, 3>;
    const auto in = values<T>({1, 2, 3, 4, 5, 6, 7, 8, 9,  // red
                               1, 0, 1, 0, 1, 0, 1, 0, 1,  // green
                               2, 2, 2, 2, 2, 2, 2, 2, 2}); // blue
    const auto params = values<T>({1, 0, 0, 1,             // filter 1: red kernel sums a diagonal
                                   1, 1, 1, 1,             //           green kernel sums the window
                                   0, 0, 0, 1,             //           blue kernel takes bottom right
                                   -1, 0, 0, 0,            // filter 2: minus red top left
                                   0, 0, 0, 0,             //           ignores green
                                   0.5, 0.5, 0.5, 0.5,     //           half the blue window
                                   0.5, -1});              // b1, b2
    expect_conv<L>(in, params, {10.5, 12.5, 16.5, 18.5, 2, 1, -1, -2});
}

// The same law on random data: conv over C channels == sum of C single-channel convs + bias.
TYPED_TEST(Conv2dReference, FilterEqualsSumOfSingleChannelConvolutions) {
    using T = TypeParam;
    constexpr std::size_t C = 3, O = 2, H = 6, W = 5, K = 3;
    using L = bound<ctnn::conv2d<O, K, ctnn::pad<1>>, T, C, H, W>;
    using one = bound<ctnn::conv2d<1, K, ctnn::pad<1>, ctnn::no_bias>, T, 1, H, W>;
    const auto in = ctnn::test::random_vector<T>(C * H * W, 1);
    const auto params = ctnn::test::random_vector<T>(L::param_count, 2);
    std::vector<T> expected(O * H * W);
    for (std::size_t o = 0; o < O; ++o) {
        for (std::size_t i = 0; i < H * W; ++i) expected[o * H * W + i] = params[O * C * K * K + o];
        for (std::size_t c = 0; c < C; ++c) {
            const std::vector<T> channel(in.begin() + static_cast<std::ptrdiff_t>(c * H * W),
                                         in.begin() + static_cast<std::ptrdiff_t>((c + 1) * H * W));
            const auto kernel_at = params.begin() + static_cast<std::ptrdiff_t>((o * C + c) * K * K);
            const auto part = run_reference<one>(channel, std::vector<T>(kernel_at, kernel_at + K * K));
            for (std::size_t i = 0; i < H * W; ++i) expected[o * H * W + i] += part[i];
        }
    }
    expect_conv_near<L>(in, params, expected);
}

// groups<2>: output 0 sees channels 0-1 only, output 1 channels 2-3 only.
TYPED_TEST(Conv2dReference, GroupsSeeOnlyTheirChannels) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<2, 1, ctnn::groups<2>>, T, 4, 2, 2>;
    static_assert(L::param_count == 2 * 2 + 2);
    const auto in = values<T>({1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 0, 1, 0, 1, 1, 0});
    const auto params = values<T>({1, 2, 3, 4, 0.5, -0.5});
    expect_conv<L>(in, params, {11.5, 14.5, 17.5, 20.5, 2.5, 3.5, 3.5, 2.5});
}

// groups<G> on random data equals G separate convolutions on the channel slices.
TYPED_TEST(Conv2dReference, GroupsEqualSeparateConvolutions) {
    using T = TypeParam;
    constexpr std::size_t G = 3, CG = 2, OG = 2, H = 5, W = 6, K = 3;
    using L = bound<ctnn::conv2d<G * OG, K, ctnn::groups<G>, ctnn::stride<1, 2>, ctnn::pad<1, 1, 1, 2>>, T,
                    G * CG, H, W>;
    using part = bound<ctnn::conv2d<OG, K, ctnn::stride<1, 2>, ctnn::pad<1, 1, 1, 2>, ctnn::no_bias>, T, CG, H, W>;
    constexpr std::size_t out_hw = L::out_shape::dims[1] * L::out_shape::dims[2];
    const auto in = ctnn::test::random_vector<T>(G * CG * H * W, 3);
    const auto params = ctnn::test::random_vector<T>(L::param_count, 4);
    std::vector<T> expected;
    for (std::size_t g = 0; g < G; ++g) {
        const auto at = in.begin() + static_cast<std::ptrdiff_t>(g * CG * H * W);
        const auto w_at = params.begin() + static_cast<std::ptrdiff_t>(g * OG * CG * K * K);
        auto out = run_reference<part>(std::vector<T>(at, at + CG * H * W), std::vector<T>(w_at, w_at + OG * CG * K * K));
        for (std::size_t o = 0; o < OG; ++o)
            for (std::size_t i = 0; i < out_hw; ++i) out[o * out_hw + i] += params[L::weight_size + g * OG + o];
        expected.insert(expected.end(), out.begin(), out.end());
    }
    expect_conv_near<L>(in, params, expected);
}

// Depthwise (groups = channels): each channel through its own kernel.
TYPED_TEST(Conv2dReference, DepthwiseKeepsChannelsApart) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<2, 2, ctnn::groups<2>, ctnn::no_bias>, T, 2, 2, 3>;
    const auto in = values<T>({1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60});
    const auto params = values<T>({1, 0, 0, 0, 0, 0, 0, 1});
    expect_conv<L>(in, params, {1, 2, 50, 60});
}

// Dilation 2: a 2x2 kernel of ones reads the corners of each 3x3 patch.
TYPED_TEST(Conv2dReference, DilationSpreadsTheTaps) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, 2, ctnn::dilation<2>>, T, 1, 5, 5>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 3, 3>{});
    expect_conv<L>(iota<T>(25), values<T>({1, 1, 1, 1, 0}), {28, 32, 36, 48, 52, 56, 68, 72, 76});
}

TYPED_TEST(Conv2dReference, RectangularDilation) {
    using T = TypeParam;
    // Kernel 1x2 with dilation (1, 3): in[y][x] + 2*in[y][x+3] on a 2x4 grid.
    using L = bound<ctnn::conv2d<1, ctnn::hw{1, 2}, ctnn::dilation<1, 3>>, T, 1, 2, 4>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 2, 1>{});
    expect_conv<L>(iota<T>(8), values<T>({1, 2, 0.25}), {1 + 8 + 0.25, 5 + 16 + 0.25});
}

// pad<top, left, bottom, right> = <1, 0, 0, 1>: a zero row on top, a zero column on the right.
TYPED_TEST(Conv2dReference, AsymmetricPadding) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, 2, ctnn::pad<1, 0, 0, 1>>, T, 1, 3, 3>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 3, 3>{});
    expect_conv<L>(iota<T>(9), values<T>({1, 2, 3, 4, 0}), {11, 18, 9, 37, 47, 21, 67, 77, 33});
}

// pad<PH, PW> pads height and width differently, with a rectangular kernel.
TYPED_TEST(Conv2dReference, PerAxisPaddingWithRectangularKernel) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, ctnn::hw{1, 3}, ctnn::pad<0, 1>>, T, 1, 2, 3>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 2, 3>{});
    // Row sums of [x-1, x, x+1] with zeros past the ends.
    expect_conv<L>(iota<T>(6), values<T>({1, 1, 1, 0}), {3, 6, 5, 9, 15, 11});
}

// ceil_mode: the last window hangs over the end; taps outside the input read zero.
TYPED_TEST(Conv2dReference, CeilModeWindowOverhangsTheEnd) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, 2, ctnn::stride<2>, ctnn::ceil_mode>, T, 1, 3, 3>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 2, 2>{});
    expect_conv<L>(iota<T>(9), values<T>({1, 1, 1, 1, 0}), {12, 9, 15, 9});
}

TYPED_TEST(Conv2dReference, FloorModeDropsTheIncompleteWindow) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, 2, ctnn::stride<2>, ctnn::floor_mode>, T, 1, 3, 3>;
    static_assert(typename L::out_shape{} == ctnn::shape<1, 1, 1>{});
    expect_conv<L>(iota<T>(9), values<T>({1, 1, 1, 1, 0}), {12});
}

TYPED_TEST(Conv2dReference, NoBiasAddsNothing) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<2, 1, ctnn::no_bias>, T, 1, 1, 2>;
    static_assert(L::param_count == 2);
    expect_conv<L>(values<T>({3, -4}), values<T>({2, -1}), {6, -8, -3, 4});
}

// Samples of a batch are independent: the second sample's output is its own.
TYPED_TEST(Conv2dReference, BatchRunsEachSample) {
    using T = TypeParam;
    using L = bound<ctnn::conv2d<1, 2>, T, 1, 2, 2>;
    expect_conv<L>(values<T>({1, 2, 3, 4, 0, 0, 0, 1}), values<T>({1, 1, 1, 1, 0.5}), {10.5, 1.5}, 2);
}

} // namespace
