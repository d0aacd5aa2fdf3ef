// Golden tests: conv2d options: asymmetric padding, dilation, groups, no_bias, floor/ceil_mode, against PyTorch in float and double.
#include "golden_runner.hpp"

namespace {

template <class Case>
class golden_conv_options : public ::testing::Test {};
TYPED_TEST_SUITE(golden_conv_options, ctnn::golden::gtest_types<ctnn::golden::conv_options_cases>);

TYPED_TEST(golden_conv_options, in_float) { ctnn::golden::check<typename TypeParam::template net<float>>(TypeParam::name); }
TYPED_TEST(golden_conv_options, in_double) { ctnn::golden::check<typename TypeParam::template net<double>>(TypeParam::name); }

} // namespace
