// Layer law "the output shape equals the formula", for conv2d and the pools over a list of
// configurations: odd sizes, strides 1-3, pads 0-3 (asymmetric too), rectangular kernels,
// dilation, strict/floor/ceil rounding. Each case spells its hyperparameters twice: once as
// the ctnn descriptor, once as plain numbers that the test turns into sizes at run time by
// counting windows, independently of ctnn's window rule. Also: parameter counts, the
// geometry handed to the kernels, and the shapes of the shape-preserving layers.
#include "unit_util.hpp"

#include <cstddef>

namespace {

enum class round_rule { strict, floor, ceil };

/// A layer's hyperparameters as plain numbers (pads: top, left, bottom, right).
struct window_spec {
    std::size_t kh, kw;
    std::size_t sh = 1, sw = 1;
    std::size_t pt = 0, pl = 0, pb = 0, pr = 0;
    std::size_t dh = 1, dw = 1;
    round_rule round = round_rule::strict;
    std::size_t groups = 1;
    bool bias = true;
    bool include_pad = true;
};

template <class Layer, class In, window_spec Spec>
struct layer_case {
    using layer = Layer;
    using in = In;
    static constexpr window_spec spec = Spec;
};

/// Output size along one axis, by counting windows over the padded input (length L):
/// floor keeps the windows that fit; strict also needs the last one to end exactly at L;
/// ceil adds windows until the padded input is covered, then (PyTorch) drops a last window
/// that starts inside the end padding.
std::size_t count_windows(std::size_t in, std::size_t kernel, std::size_t pad_begin, std::size_t pad_end,
                          std::size_t stride, std::size_t dilation, round_rule round) {
    const std::size_t span = dilation * (kernel - 1) + 1;
    const std::size_t padded = in + pad_begin + pad_end;
    std::size_t n = 0;
    while (n * stride + span <= padded) ++n;
    EXPECT_GE(n, 1u) << "test bug: the window does not fit";
    if (round == round_rule::strict) {
        EXPECT_EQ((n - 1) * stride + span, padded) << "test bug: a strict case must divide exactly";
    } else if (round == round_rule::ceil) {
        while ((n - 1) * stride + span < padded) ++n;
        if ((n - 1) * stride >= pad_begin + in) --n;
    }
    return n;
}

template <class Case>
void expect_spatial_shape() {
    using B = typename Case::layer::template bind<float, typename Case::in, 1>;
    constexpr window_spec s = Case::spec;
    constexpr std::size_t h = Case::in::dims[1], w = Case::in::dims[2];
    ASSERT_EQ(B::out_shape::rank, 3u);
    EXPECT_EQ(B::out_shape::dims[1], count_windows(h, s.kh, s.pt, s.pb, s.sh, s.dh, s.round)) << "height";
    EXPECT_EQ(B::out_shape::dims[2], count_windows(w, s.kw, s.pl, s.pr, s.sw, s.dw, s.round)) << "width";
    // The same shape for double.
    using D = typename Case::layer::template bind<double, typename Case::in, 1>;
    EXPECT_TRUE(typename D::out_shape{} == typename B::out_shape{});
}

// ---------------------------------------------------------------------------- conv2d
template <class Case>
class Conv2dShape : public ::testing::Test {};

using conv_cases = ::testing::Types<
    layer_case<ctnn::conv2d<4, 3>, ctnn::shape<3, 7, 7>, window_spec{.kh = 3, .kw = 3}>,
    layer_case<ctnn::conv2d<2, 3, ctnn::pad<1>>, ctnn::shape<1, 5, 5>,
               window_spec{.kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1}>,
    layer_case<ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::shape<1, 28, 28>,
               window_spec{.kh = 5, .kw = 5, .pt = 2, .pl = 2, .pb = 2, .pr = 2}>,
    layer_case<ctnn::conv2d<3, 3, ctnn::stride<2>>, ctnn::shape<2, 7, 7>,
               window_spec{.kh = 3, .kw = 3, .sh = 2, .sw = 2}>,
    layer_case<ctnn::conv2d<3, 3, ctnn::stride<3>, ctnn::floor_mode>, ctnn::shape<1, 10, 10>,
               window_spec{.kh = 3, .kw = 3, .sh = 3, .sw = 3, .round = round_rule::floor}>,
    layer_case<ctnn::conv2d<3, 3, ctnn::stride<3>, ctnn::ceil_mode>, ctnn::shape<1, 10, 10>,
               window_spec{.kh = 3, .kw = 3, .sh = 3, .sw = 3, .round = round_rule::ceil}>,
    layer_case<ctnn::conv2d<2, ctnn::hw{3, 5}, ctnn::pad<1, 2>>, ctnn::shape<1, 6, 9>,
               window_spec{.kh = 3, .kw = 5, .pt = 1, .pl = 2, .pb = 1, .pr = 2}>,
    layer_case<ctnn::conv2d<2, ctnn::hw{3, 4}, ctnn::pad<2, 0, 1, 3>>, ctnn::shape<1, 5, 7>,
               window_spec{.kh = 3, .kw = 4, .pt = 2, .pl = 0, .pb = 1, .pr = 3}>,
    layer_case<ctnn::conv2d<4, 3, ctnn::dilation<2>>, ctnn::shape<2, 9, 9>,
               window_spec{.kh = 3, .kw = 3, .dh = 2, .dw = 2}>,
    layer_case<ctnn::conv2d<4, 3, ctnn::dilation<2, 3>, ctnn::pad<2, 3>>, ctnn::shape<1, 8, 11>,
               window_spec{.kh = 3, .kw = 3, .pt = 2, .pl = 3, .pb = 2, .pr = 3, .dh = 2, .dw = 3}>,
    layer_case<ctnn::conv2d<6, 3, ctnn::groups<3>, ctnn::pad<1>>, ctnn::shape<3, 5, 5>,
               window_spec{.kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1, .groups = 3}>,
    layer_case<ctnn::conv2d<8, 1, ctnn::groups<4>, ctnn::no_bias>, ctnn::shape<8, 4, 4>,
               window_spec{.kh = 1, .kw = 1, .groups = 4, .bias = false}>,
    layer_case<ctnn::conv2d<5, 2, ctnn::stride<2, 3>, ctnn::floor_mode>, ctnn::shape<1, 7, 11>,
               window_spec{.kh = 2, .kw = 2, .sh = 2, .sw = 3, .round = round_rule::floor}>,
    // Ceil: on both axes the extra window would start in the end padding, so it is dropped.
    layer_case<ctnn::conv2d<5, 2, ctnn::stride<2, 3>, ctnn::ceil_mode, ctnn::pad<1>>, ctnn::shape<1, 7, 11>,
               window_spec{.kh = 2, .kw = 2, .sh = 2, .sw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1,
                           .round = round_rule::ceil}>,
    layer_case<ctnn::conv2d<3, ctnn::hw{2, 3}, ctnn::stride<2>, ctnn::dilation<2>, ctnn::pad<1, 2, 0, 1>,
                            ctnn::ceil_mode>,
               ctnn::shape<2, 6, 7>,
               window_spec{.kh = 2, .kw = 3, .sh = 2, .sw = 2, .pt = 1, .pl = 2, .pb = 0, .pr = 1, .dh = 2,
                           .dw = 2, .round = round_rule::ceil}>,
    layer_case<ctnn::conv2d<1, 7, ctnn::pad<3>, ctnn::no_bias>, ctnn::shape<1, 1, 1>,
               window_spec{.kh = 7, .kw = 7, .pt = 3, .pl = 3, .pb = 3, .pr = 3, .bias = false}>,
    layer_case<ctnn::conv2d<2, 4, ctnn::stride<3>, ctnn::pad<2, 2, 1, 1>, ctnn::floor_mode>, ctnn::shape<3, 13, 9>,
               window_spec{.kh = 4, .kw = 4, .sh = 3, .sw = 3, .pt = 2, .pl = 2, .pb = 1, .pr = 1,
                           .round = round_rule::floor}>,
    layer_case<ctnn::conv2d<4, ctnn::hw{1, 5}, ctnn::groups<2>, ctnn::stride<1, 2>, ctnn::pad<0, 2>>,
               ctnn::shape<4, 3, 9>,
               window_spec{.kh = 1, .kw = 5, .sh = 1, .sw = 2, .pl = 2, .pr = 2, .groups = 2}>>;
TYPED_TEST_SUITE(Conv2dShape, conv_cases);

TYPED_TEST(Conv2dShape, OutputShapeFollowsTheFormula) {
    using B = typename TypeParam::layer::template bind<float, typename TypeParam::in, 1>;
    expect_spatial_shape<TypeParam>();
    EXPECT_EQ(B::out_shape::dims[0], TypeParam::layer::out_channels);
}

TYPED_TEST(Conv2dShape, ParameterCountFollowsGroupsAndBias) {
    using B = typename TypeParam::layer::template bind<float, typename TypeParam::in, 1>;
    constexpr window_spec s = TypeParam::spec;
    constexpr std::size_t in_c = TypeParam::in::dims[0], out_c = TypeParam::layer::out_channels;
    const std::size_t weights = out_c * (in_c / s.groups) * s.kh * s.kw;
    EXPECT_EQ(B::param_count, weights + (s.bias ? out_c : 0));
    ASSERT_EQ(B::tensors.size(), s.bias ? 2u : 1u);
    EXPECT_EQ(B::tensors[0].name, "weight");
    EXPECT_EQ(B::tensors[0].offset, 0u);
    EXPECT_EQ(B::tensors[0].size, weights);
    EXPECT_EQ(B::tensors[0].rank, 4u);
    EXPECT_EQ(B::tensors[0].dims, (std::array<std::size_t, 4>{out_c, in_c / s.groups, s.kh, s.kw}));
    if constexpr (s.bias) {
        EXPECT_EQ(B::tensors[1].name, "bias");
        EXPECT_EQ(B::tensors[1].offset, weights);
        EXPECT_EQ(B::tensors[1].size, out_c);
        EXPECT_EQ(B::tensors[1].rank, 1u);
        EXPECT_EQ(B::tensors[1].dims[0], out_c);
    }
}

TYPED_TEST(Conv2dShape, GeometryCarriesTheOptions) {
    using B = typename TypeParam::layer::template bind<float, typename TypeParam::in, 1>;
    constexpr window_spec s = TypeParam::spec;
    constexpr auto g = B::geometry;
    EXPECT_EQ(g.in_c, TypeParam::in::dims[0]);
    EXPECT_EQ(g.in_h, TypeParam::in::dims[1]);
    EXPECT_EQ(g.in_w, TypeParam::in::dims[2]);
    EXPECT_EQ(g.out_c, B::out_shape::dims[0]);
    EXPECT_EQ(g.out_h, B::out_shape::dims[1]);
    EXPECT_EQ(g.out_w, B::out_shape::dims[2]);
    EXPECT_EQ(g.kernel_h, s.kh);
    EXPECT_EQ(g.kernel_w, s.kw);
    EXPECT_EQ(g.stride_h, s.sh);
    EXPECT_EQ(g.stride_w, s.sw);
    EXPECT_EQ(g.pad_top, s.pt);
    EXPECT_EQ(g.pad_left, s.pl);
    EXPECT_EQ(g.dilation_h, s.dh);
    EXPECT_EQ(g.dilation_w, s.dw);
    EXPECT_EQ(g.groups, s.groups);
    EXPECT_EQ(g.bias, s.bias);
    EXPECT_FALSE(B::elementwise);
    EXPECT_EQ(B::name, "conv2d");
}

// ---------------------------------------------------------------------------- pooling
template <class Case>
class Pool2dShape : public ::testing::Test {};

using pool_cases = ::testing::Types<
    layer_case<ctnn::max_pool2d<2>, ctnn::shape<6, 28, 28>, window_spec{.kh = 2, .kw = 2, .sh = 2, .sw = 2}>,
    layer_case<ctnn::max_pool2d<3, ctnn::stride<2>>, ctnn::shape<1, 7, 7>,
               window_spec{.kh = 3, .kw = 3, .sh = 2, .sw = 2}>,
    layer_case<ctnn::max_pool2d<3, ctnn::stride<2>, ctnn::ceil_mode>, ctnn::shape<2, 6, 6>,
               window_spec{.kh = 3, .kw = 3, .sh = 2, .sw = 2, .round = round_rule::ceil}>,
    layer_case<ctnn::max_pool2d<3, ctnn::stride<2>, ctnn::floor_mode>, ctnn::shape<2, 6, 6>,
               window_spec{.kh = 3, .kw = 3, .sh = 2, .sw = 2, .round = round_rule::floor}>,
    // PyTorch's rule: ceil would give 4, but the 4th window starts in the end padding.
    layer_case<ctnn::max_pool2d<2, ctnn::pad<1>, ctnn::ceil_mode>, ctnn::shape<1, 5, 5>,
               window_spec{.kh = 2, .kw = 2, .sh = 2, .sw = 2, .pt = 1, .pl = 1, .pb = 1, .pr = 1,
                           .round = round_rule::ceil}>,
    layer_case<ctnn::max_pool2d<2, ctnn::floor_mode>, ctnn::shape<1, 5, 5>,
               window_spec{.kh = 2, .kw = 2, .sh = 2, .sw = 2, .round = round_rule::floor}>,
    layer_case<ctnn::avg_pool2d<2, ctnn::ceil_mode>, ctnn::shape<3, 5, 7>,
               window_spec{.kh = 2, .kw = 2, .sh = 2, .sw = 2, .round = round_rule::ceil}>,
    layer_case<ctnn::avg_pool2d<3, ctnn::stride<1>, ctnn::pad<1>>, ctnn::shape<1, 4, 4>,
               window_spec{.kh = 3, .kw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1}>,
    layer_case<ctnn::avg_pool2d<ctnn::hw{2, 3}, ctnn::count_exclude_pad, ctnn::pad<1>, ctnn::floor_mode>,
               ctnn::shape<1, 5, 7>,
               window_spec{.kh = 2, .kw = 3, .sh = 2, .sw = 3, .pt = 1, .pl = 1, .pb = 1, .pr = 1,
                           .round = round_rule::floor, .include_pad = false}>,
    layer_case<ctnn::max_pool2d<3, ctnn::stride<2>, ctnn::dilation<2>, ctnn::floor_mode>, ctnn::shape<1, 9, 10>,
               window_spec{.kh = 3, .kw = 3, .sh = 2, .sw = 2, .dh = 2, .dw = 2, .round = round_rule::floor}>,
    layer_case<ctnn::max_pool2d<ctnn::hw{3, 2}, ctnn::pad<2, 1, 0, 1>, ctnn::stride<1, 2>, ctnn::ceil_mode>,
               ctnn::shape<1, 5, 6>,
               window_spec{.kh = 3, .kw = 2, .sh = 1, .sw = 2, .pt = 2, .pl = 1, .pb = 0, .pr = 1,
                           .round = round_rule::ceil}>,
    // Ceil drops again: 7 + 2 + 2 padded, window 3, stride 3.
    layer_case<ctnn::avg_pool2d<3, ctnn::stride<3>, ctnn::pad<2>, ctnn::ceil_mode, ctnn::count_include_pad>,
               ctnn::shape<2, 7, 7>,
               window_spec{.kh = 3, .kw = 3, .sh = 3, .sw = 3, .pt = 2, .pl = 2, .pb = 2, .pr = 2,
                           .round = round_rule::ceil}>,
    layer_case<ctnn::avg_pool2d<1, ctnn::stride<2>, ctnn::floor_mode>, ctnn::shape<1, 5, 5>,
               window_spec{.kh = 1, .kw = 1, .sh = 2, .sw = 2, .round = round_rule::floor}>,
    layer_case<ctnn::max_pool2d<ctnn::hw{1, 3}, ctnn::stride<1, 3>, ctnn::pad<0, 0, 0, 2>>, ctnn::shape<4, 3, 7>,
               window_spec{.kh = 1, .kw = 3, .sh = 1, .sw = 3, .pr = 2}>>;
TYPED_TEST_SUITE(Pool2dShape, pool_cases);

TYPED_TEST(Pool2dShape, OutputShapeFollowsTheFormula) {
    using B = typename TypeParam::layer::template bind<float, typename TypeParam::in, 1>;
    expect_spatial_shape<TypeParam>();
    EXPECT_EQ(B::out_shape::dims[0], TypeParam::in::dims[0]) << "pooling keeps the channels";
}

TYPED_TEST(Pool2dShape, HasNoParametersAndCarriesTheOptions) {
    using B = typename TypeParam::layer::template bind<float, typename TypeParam::in, 1>;
    constexpr window_spec s = TypeParam::spec;
    constexpr auto g = B::geometry;
    EXPECT_EQ(B::param_count, 0u);
    EXPECT_EQ(B::tensors.size(), 0u);
    EXPECT_FALSE(B::elementwise);
    EXPECT_EQ(g.channels, TypeParam::in::dims[0]);
    EXPECT_EQ(g.in_h, TypeParam::in::dims[1]);
    EXPECT_EQ(g.in_w, TypeParam::in::dims[2]);
    EXPECT_EQ(g.out_h, B::out_shape::dims[1]);
    EXPECT_EQ(g.out_w, B::out_shape::dims[2]);
    EXPECT_EQ(g.window_h, s.kh);
    EXPECT_EQ(g.window_w, s.kw);
    EXPECT_EQ(g.stride_h, s.sh) << "the stride defaults to the window";
    EXPECT_EQ(g.stride_w, s.sw) << "the stride defaults to the window";
    EXPECT_EQ(g.pad_top, s.pt);
    EXPECT_EQ(g.pad_left, s.pl);
    EXPECT_EQ(g.pad_bottom, s.pb);
    EXPECT_EQ(g.pad_right, s.pr);
    EXPECT_EQ(g.dilation_h, s.dh);
    EXPECT_EQ(g.dilation_w, s.dw);
    EXPECT_EQ(g.count_include_pad, s.include_pad);
}

// Known numbers (PyTorch's output sizes), as a check on the test's own counting.
TEST(WindowRule, HandCheckedSizes) {
    using ctnn::unit::bound;
    // MaxPool2d(3, 2) on 6: floor 2, ceil 3.
    static_assert(bound<ctnn::max_pool2d<3, ctnn::stride<2>, ctnn::floor_mode>, float, 1, 6, 6>::out_shape{} ==
                  ctnn::shape<1, 2, 2>{});
    static_assert(bound<ctnn::max_pool2d<3, ctnn::stride<2>, ctnn::ceil_mode>, float, 1, 6, 6>::out_shape{} ==
                  ctnn::shape<1, 3, 3>{});
    // MaxPool2d(2, 2, padding=1, ceil_mode=True) on 5: 3, not 4.
    static_assert(bound<ctnn::max_pool2d<2, ctnn::pad<1>, ctnn::ceil_mode>, float, 1, 5, 5>::out_shape{} ==
                  ctnn::shape<1, 3, 3>{});
    // The same window without padding keeps its overhanging last window: 3.
    static_assert(bound<ctnn::max_pool2d<2, ctnn::ceil_mode>, float, 1, 5, 5>::out_shape{} ==
                  ctnn::shape<1, 3, 3>{});
    // The seed's formula: (4 - 3 + 2*1)/1 + 1 = 4 and (5 - 3)/2 + 1 = 2.
    static_assert(bound<ctnn::conv2d<2, 3, ctnn::pad<1>>, float, 1, 4, 4>::out_shape{} == ctnn::shape<2, 4, 4>{});
    static_assert(bound<ctnn::conv2d<1, 3, ctnn::stride<2>>, float, 1, 5, 5>::out_shape{} ==
                  ctnn::shape<1, 2, 2>{});
    EXPECT_EQ(count_windows(6, 3, 0, 0, 2, 1, round_rule::ceil), 3u);
    EXPECT_EQ(count_windows(6, 3, 0, 0, 2, 1, round_rule::floor), 2u);
    EXPECT_EQ(count_windows(5, 2, 1, 1, 2, 1, round_rule::ceil), 3u);
    EXPECT_EQ(count_windows(28, 5, 2, 2, 1, 1, round_rule::strict), 28u);
}

// ---------------------------------------------------------------------------- the rest
TEST(ShapePreservingLayers, KeepTheShapeAndHaveNoParameters) {
    using ctnn::unit::bound;
    using relu3 = bound<ctnn::relu, float, 3, 5, 7>;
    static_assert(relu3::out_shape{} == ctnn::shape<3, 5, 7>{});
    static_assert(bound<ctnn::leaky_relu<0.2>, double, 11>::out_shape{} == ctnn::shape<11>{});
    static_assert(bound<ctnn::sigmoid, float, 2, 3, 3>::out_shape{} == ctnn::shape<2, 3, 3>{});
    static_assert(bound<ctnn::tanh, float, 4>::out_shape{} == ctnn::shape<4>{});
    static_assert(bound<ctnn::identity, float, 1, 2, 2>::out_shape{} == ctnn::shape<1, 2, 2>{});
    static_assert(bound<ctnn::softmax, float, 10>::out_shape{} == ctnn::shape<10>{});
    EXPECT_EQ(relu3::param_count, 0u);
    EXPECT_TRUE(relu3::elementwise);
    EXPECT_TRUE((bound<ctnn::softmax, float, 10>::elementwise));
    EXPECT_EQ((bound<ctnn::softmax, float, 10>::param_count), 0u);
}

TEST(Flatten, GivesOneAxisOfAllElements) {
    using ctnn::unit::bound;
    using f = bound<ctnn::flatten, float, 16, 5, 5>;
    static_assert(f::out_shape{} == ctnn::shape<400>{});
    static_assert(bound<ctnn::flatten, double, 3, 1, 7>::out_shape{} == ctnn::shape<21>{});
    EXPECT_EQ(f::param_count, 0u);
    EXPECT_EQ(f::out_shape::rank, 1u);
}

TEST(Dense, ParameterCountIsInTimesOutPlusBias) {
    using ctnn::unit::bound;
    using with_bias = bound<ctnn::dense<120>, float, 400>;
    using without = bound<ctnn::dense<7, ctnn::no_bias>, float, 13>;
    static_assert(with_bias::out_shape{} == ctnn::shape<120>{});
    static_assert(without::out_shape{} == ctnn::shape<7>{});
    EXPECT_EQ(with_bias::param_count, 400u * 120u + 120u);
    EXPECT_EQ(without::param_count, 13u * 7u);
    ASSERT_EQ(with_bias::tensors.size(), 2u);
    EXPECT_EQ(with_bias::tensors[0].rank, 2u);
    EXPECT_EQ(with_bias::tensors[0].dims[0], 120u); // [out, in], as torch.nn.Linear
    EXPECT_EQ(with_bias::tensors[0].dims[1], 400u);
    EXPECT_EQ(with_bias::tensors[1].offset, 400u * 120u);
    EXPECT_EQ(with_bias::tensors[1].size, 120u);
    ASSERT_EQ(without::tensors.size(), 1u);
    EXPECT_EQ(without::tensors[0].size, 91u);
}

} // namespace
