// Gradient check of whole networks: the seed's MNIST CNN shape (scaled to a 16 x 16 input so
// finite differences over every parameter stay fast) and a LeNet-like net with avg pooling.
#include "gradcheck.hpp"

namespace {

using namespace ctnn;

TEST(GradCheckNet, SeedMnistCnn) {
    using net = basic_network<double, input<1, 16, 16>,             //
                              conv2d<8, 5>, relu, max_pool2d<2>,    // 8 x 6 x 6
                              conv2d<16, 3>, relu, max_pool2d<2>,   // 16 x 2 x 2
                              flatten, dense<32>, batch_norm<>, relu, // the seed's head
                              dense<10>, softmax>;
    const auto labels = test::random_labels<net>(4, 21);
    EXPECT_LT((test::gradient_error<net, softmax_cross_entropy>(labels, 4, 21)), 1e-7);
}

TEST(GradCheckNet, LenetLikeWithAvgPoolAndDropout) {
    using net = basic_network<double, input<1, 12, 12>,                             //
                              conv2d<4, 5, pad<2>>, ctnn::tanh, avg_pool2d<2>,      // 4 x 6 x 6
                              conv2d<6, 3>, sigmoid, avg_pool2d<2>,                 // 6 x 2 x 2
                              flatten, dense<12>, leaky_relu<0.1>, dropout<0.25>, dense<3>, softmax>;
    const auto labels = test::random_labels<net>(3, 22);
    EXPECT_LT((test::gradient_error<net, softmax_cross_entropy>(labels, 3, 22)), 1e-7);
}

} // namespace
