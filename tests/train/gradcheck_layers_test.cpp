// Gradient checks, one layer kind at a time: each sits after a conv2d (so its input delta
// is checked through that conv's weight gradient) and before a small dense head.
#include "gradcheck.hpp"

namespace {

using namespace ctnn;

template <class Net>
void expect_ce_ok(std::size_t batch, unsigned seed) {
    const auto labels = test::random_labels<Net>(batch, seed);
    const double err = test::gradient_error<Net, softmax_cross_entropy>(labels, batch, seed);
    EXPECT_LT(err, 1e-7);
}

template <class Net>
void expect_mse_ok(std::size_t batch, unsigned seed) {
    const auto targets = test::random_vector<double>(batch * Net::output_size, seed + 9);
    const double err = test::gradient_error<Net, mean_squared_error>(targets, batch, seed);
    EXPECT_LT(err, 1e-7);
}

TEST(GradCheck, Conv2dPlain) {
    expect_mse_ok<basic_network<double, input<2, 5, 6>, conv2d<3, 3>, flatten, dense<4>>>(2, 1);
}
TEST(GradCheck, Conv2dStridePadRect) {
    expect_mse_ok<basic_network<double, input<3, 7, 6>, conv2d<4, hw{3, 2}, stride<2, 1>, pad<1, 0>>, ctnn::tanh,
                                conv2d<2, 3, stride<2>, pad<1>, floor_mode>, flatten, dense<3>>>(2, 2);
}
TEST(GradCheck, Conv2dStride3AsymmetricPadDilationGroups) {
    expect_mse_ok<basic_network<double, input<4, 9, 8>, conv2d<6, 3, stride<3>, pad<1, 2, 2, 0>, floor_mode>, sigmoid,
                                conv2d<6, 2, dilation<2>, groups<3>, no_bias>, flatten, dense<2>>>(3, 3);
}
TEST(GradCheck, Depthwise) {
    expect_mse_ok<basic_network<double, input<3, 6, 6>, conv2d<3, 3, groups<3>, pad<1>>, ctnn::tanh, flatten, dense<2>>>(2, 4);
}
TEST(GradCheck, MaxPool) {
    expect_ce_ok<basic_network<double, input<2, 8, 7>, conv2d<3, 3, pad<1>>, max_pool2d<2, floor_mode>, flatten,
                               dense<5>, softmax>>(3, 5);
}
TEST(GradCheck, MaxPoolOverlappingPaddedCeil) {
    expect_ce_ok<basic_network<double, input<2, 9, 9>, conv2d<3, 3>, max_pool2d<3, stride<2>, pad<1>, ceil_mode>,
                               flatten, dense<4>, softmax>>(2, 6);
}
TEST(GradCheck, AvgPoolIncludePad) {
    expect_ce_ok<basic_network<double, input<2, 8, 8>, conv2d<3, 3>, avg_pool2d<3, stride<2>, pad<1>, ceil_mode>,
                               flatten, dense<4>, softmax>>(2, 7);
}
TEST(GradCheck, AvgPoolExcludePad) {
    expect_ce_ok<basic_network<double, input<2, 8, 8>, conv2d<3, 3>,
                               avg_pool2d<3, stride<2>, pad<1>, ceil_mode, count_exclude_pad>, flatten, dense<4>, softmax>>(
        2, 8);
}
TEST(GradCheck, Activations) {
    expect_mse_ok<basic_network<double, input<2, 5, 5>, conv2d<3, 3>, leaky_relu<0.2>, flatten, dense<6>, sigmoid,
                                dense<5>, ctnn::tanh, dense<4>, relu, dense<3>, identity>>(3, 9);
}
TEST(GradCheck, UnfusedSoftmaxAndLogits) {
    // Softmax backward on its own (MSE after it), then cross-entropy on raw scores.
    expect_mse_ok<basic_network<double, input<6>, dense<5>, softmax>>(3, 10);
    expect_ce_ok<basic_network<double, input<6>, dense<8>, ctnn::tanh, dense<5>>>(3, 11);
}
TEST(GradCheck, BinaryCrossEntropy) {
    using fused = basic_network<double, input<5>, dense<4>, ctnn::tanh, dense<3>, sigmoid>;
    using unfused = basic_network<double, input<5>, dense<4>, sigmoid, dense<3>, sigmoid, identity>;
    const auto targets = test::random_vector<double>(2 * 3, 12, 0.0, 1.0);
    EXPECT_LT((test::gradient_error<fused, binary_cross_entropy>(targets, 2, 12)), 1e-7);
    EXPECT_LT((test::gradient_error<unfused, binary_cross_entropy>(targets, 2, 13)), 1e-7);
}
TEST(GradCheck, BatchNorm2dAndDropout) {
    // Running variances must stay positive: the random init puts them in [-0.5, 0.5], but the
    // training-mode loss never reads them.
    expect_ce_ok<basic_network<double, input<2, 6, 5>, conv2d<3, 3>, batch_norm<>, ctnn::tanh, dropout<0.3>,
                               conv2d<4, 2, stride<2>, floor_mode>, batch_norm<0.2, 1e-3>, flatten, dense<5>, softmax>>(
        4, 15);
}
TEST(GradCheck, BatchNorm1dSeedMnistHead) {
    // The seed's MNIST head: dense -> batch norm -> relu -> dense -> softmax.
    expect_ce_ok<basic_network<double, input<3, 4, 4>, conv2d<2, 3>, flatten, dense<6>, batch_norm<>, relu, dense<4>,
                               softmax>>(5, 16);
}
TEST(GradCheck, DenseNoBias) {
    expect_mse_ok<basic_network<double, input<7>, dense<5, no_bias>, relu, dense<3>>>(4, 14);
}

} // namespace
