// Golden tests: elu, clip, prelu, softmax forms, global pools, zero_pad, gemm (numpy) against PyTorch,
// in float and double.
#include "golden_runner.hpp"

namespace {

template <class Case>
class golden_onnx_layers : public ::testing::Test {};
TYPED_TEST_SUITE(golden_onnx_layers, ctnn::golden::gtest_types<ctnn::golden::onnx_layers_cases>);

TYPED_TEST(golden_onnx_layers, in_float) { ctnn::golden::check<typename TypeParam::template net<float>>(TypeParam::name); }
TYPED_TEST(golden_onnx_layers, in_double) { ctnn::golden::check<typename TypeParam::template net<double>>(TypeParam::name); }

} // namespace
