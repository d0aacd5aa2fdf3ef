// conv2d SIMD kernels against the reference: slice 3 of conv_cases.inc.
#include "conv_test.hpp"
#include "conv_cases.inc"

namespace ctnn::test {
namespace {
CTNN_CONV_KERNEL_TESTS(CTNN_CONV_CASES_3)
} // namespace
} // namespace ctnn::test
