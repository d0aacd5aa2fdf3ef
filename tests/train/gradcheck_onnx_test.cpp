// Gradient checks of the layers and options added for ONNX models: elu, clip, prelu (every
// mode), softmax over a whole C x H x W sample, log_softmax, softmax_along and
// log_softmax_along on each axis, global pools, zero_pad, gemm with and without transposes,
// and conv2d / pools with same_upper, same_lower and valid.
#include "gradcheck.hpp"

namespace {

using namespace ctnn;

template <class Net>
void expect_mse_ok(std::size_t batch, unsigned seed) {
    const auto targets = test::random_vector<double>(batch * Net::output_size, seed + 9);
    const double err = test::gradient_error<Net, mean_squared_error>(targets, batch, seed);
    EXPECT_LT(err, 1e-7);
}

TEST(GradCheckOnnx, EluClipPrelu) {
    expect_mse_ok<basic_network<double, input<2, 5, 5>, conv2d<3, 3>, elu<0.7>, prelu<>, flatten, dense<6>,
                                clip<-0.3, 0.4>, dense<4>, prelu<prelu_slopes::shared>, dense<3>>>(3, 21);
}
TEST(GradCheckOnnx, PreluPerElementAndRelu6) {
    expect_mse_ok<basic_network<double, input<2, 3, 3>, conv2d<2, 2>, prelu<prelu_slopes::per_element>, flatten,
                                dense<5>, relu6, dense<4>, prelu<>, dense<2>>>(2, 22);
}
TEST(GradCheckOnnx, SoftmaxOverAWholeChwSample) {
    expect_mse_ok<basic_network<double, input<2, 3, 3>, conv2d<2, 2>, softmax>>(2, 23);
    expect_mse_ok<basic_network<double, input<2, 3, 3>, conv2d<2, 2>, log_softmax, flatten, dense<3>>>(2, 24);
}
TEST(GradCheckOnnx, SoftmaxAlongEachAxis) {
    expect_mse_ok<basic_network<double, input<2, 3, 4>, conv2d<3, 2, same_upper>, softmax_along<0>, conv2d<2, 1>,
                                softmax_along<1>, conv2d<2, 1>, softmax_along<2>, flatten, dense<3>>>(2, 25);
    expect_mse_ok<basic_network<double, input<2, 3, 4>, conv2d<3, 2, same_lower>, log_softmax_along<0>, conv2d<2, 1>,
                                log_softmax_along<1>, conv2d<2, 1>, log_softmax_along<2>, flatten, dense<3>,
                                log_softmax_along<0>>>(2, 26);
}
TEST(GradCheckOnnx, GlobalPoolsAndZeroPad) {
    expect_mse_ok<basic_network<double, input<2, 4, 5>, conv2d<3, 3, same_upper>, zero_pad<1, 0, 2, 1>, conv2d<4, 2>,
                                global_max_pool, flatten, dense<3>>>(2, 27);
    expect_mse_ok<basic_network<double, input<2, 4, 5>, conv2d<3, 3>, zero_pad<1>, ctnn::tanh, global_avg_pool,
                                flatten, dense<3>>>(3, 28);
}
TEST(GradCheckOnnx, Gemm) {
    expect_mse_ok<basic_network<double, input<6>, gemm<4, 0.5, 1.5>, ctnn::tanh, gemm<3, 1.0, 1.0, trans_b>>>(3, 29);
    expect_mse_ok<basic_network<double, input<2, 2, 3>, conv2d<2, 1>, gemm<3, 0.7, 0.2, trans_a, trans_b>, flatten,
                                dense<2>>>(2, 30);
    expect_mse_ok<basic_network<double, input<2, 2, 3>, conv2d<3, 1>, gemm<2, 1.3, 1.0, no_bias>, ctnn::tanh,
                                flatten, gemm<2, 1.0, 1.0, trans_a>>>(2, 31);
}
TEST(GradCheckOnnx, AutoPadConvAndPools) {
    expect_mse_ok<basic_network<double, input<2, 7, 6>, conv2d<3, 3, same_lower, stride<2>>, ctnn::tanh,
                                max_pool2d<2, same_upper, stride<1>>, avg_pool2d<3, same_lower, stride<2>>,
                                conv2d<2, 2, valid>, flatten, dense<2>>>(2, 32);
}

} // namespace
