// Golden tests: conv2d and pools with same_upper, same_lower, valid; batch_norm at inference; an ONNX-style net;
// against PyTorch, in float and double.
#include "golden_runner.hpp"

namespace {

template <class Case>
class golden_onnx_padding : public ::testing::Test {};
TYPED_TEST_SUITE(golden_onnx_padding, ctnn::golden::gtest_types<ctnn::golden::onnx_padding_cases>);

TYPED_TEST(golden_onnx_padding, in_float) { ctnn::golden::check<typename TypeParam::template net<float>>(TypeParam::name); }
TYPED_TEST(golden_onnx_padding, in_double) { ctnn::golden::check<typename TypeParam::template net<double>>(TypeParam::name); }

} // namespace
