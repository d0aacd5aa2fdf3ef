// Golden tests: max_pool2d and avg_pool2d against PyTorch, in float and double.
#include "golden_runner.hpp"

namespace {

template <class Case>
class golden_pool : public ::testing::Test {};
TYPED_TEST_SUITE(golden_pool, ctnn::golden::gtest_types<ctnn::golden::pool_cases>);

TYPED_TEST(golden_pool, in_float) { ctnn::golden::check<typename TypeParam::template net<float>>(TypeParam::name); }
TYPED_TEST(golden_pool, in_double) { ctnn::golden::check<typename TypeParam::template net<double>>(TypeParam::name); }

} // namespace
