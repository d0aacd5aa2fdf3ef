// Golden tests: conv2d over sizes, channels, kernels, strides and symmetric padding, against PyTorch in float and double.
#include "golden_runner.hpp"

namespace {

template <class Case>
class golden_conv_shapes : public ::testing::Test {};
TYPED_TEST_SUITE(golden_conv_shapes, ctnn::golden::gtest_types<ctnn::golden::conv_shapes_cases>);

TYPED_TEST(golden_conv_shapes, in_float) { ctnn::golden::check<typename TypeParam::template net<float>>(TypeParam::name); }
TYPED_TEST(golden_conv_shapes, in_double) { ctnn::golden::check<typename TypeParam::template net<double>>(TypeParam::name); }

} // namespace
