// Golden tests: whole networks (LeNet-5 and two others) against PyTorch, in float and double.
#include "golden_runner.hpp"

namespace {

template <class Case>
class golden_nets : public ::testing::Test {};
TYPED_TEST_SUITE(golden_nets, ctnn::golden::gtest_types<ctnn::golden::nets_cases>);

TYPED_TEST(golden_nets, in_float) { ctnn::golden::check<typename TypeParam::template net<float>>(TypeParam::name); }
TYPED_TEST(golden_nets, in_double) { ctnn::golden::check<typename TypeParam::template net<double>>(TypeParam::name); }

} // namespace
