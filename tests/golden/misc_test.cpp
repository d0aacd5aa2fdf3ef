// Golden tests: dense, flatten, activations and softmax against PyTorch, in float and double;
// and checks of the golden harness itself.
#include "golden_runner.hpp"

#include <filesystem>
#include <set>

namespace {

template <class Case>
class golden_misc : public ::testing::Test {};
TYPED_TEST_SUITE(golden_misc, ctnn::golden::gtest_types<ctnn::golden::misc_cases>);

TYPED_TEST(golden_misc, in_float) { ctnn::golden::check<typename TypeParam::template net<float>>(TypeParam::name); }
TYPED_TEST(golden_misc, in_double) { ctnn::golden::check<typename TypeParam::template net<double>>(TypeParam::name); }

namespace golden = ctnn::golden;

// The harness must fail when ctnn is wrong: a bias off by 1e-4 (far above both tolerances)
// and a NaN weight are both reported. Their twin is the passing dense_12_to_7 case above.
template <class T>
void expect_wrong_bias_noticed() {
    using net = golden::dense_12_to_7::net<T>;
    const auto r = golden::evaluate<net>(golden::dense_12_to_7::name,
                                         [](typename net::parameters& p) { p.template tensor<1, 1>()[3] += T(1e-4); });
    ASSERT_FALSE(::testing::Test::HasFailure());
    EXPECT_GT(r.worst, r.limit);
    EXPECT_NEAR(r.worst, 1e-4, 1e-6);
    EXPECT_EQ(r.at % 7, 3u); // a wrong bias 3 shows in output feature 3
}

TEST(golden_harness, notices_a_wrong_bias_in_float) { expect_wrong_bias_noticed<float>(); }
TEST(golden_harness, notices_a_wrong_bias_in_double) { expect_wrong_bias_noticed<double>(); }

TEST(golden_harness, notices_a_nan) {
    using net = golden::dense_12_to_7::net<double>;
    const auto r = golden::evaluate<net>(golden::dense_12_to_7::name, [](net::parameters& p) {
        p.tensor<1, 0>()[0] = std::numeric_limits<double>::quiet_NaN();
    });
    ASSERT_FALSE(::testing::Test::HasFailure());
    EXPECT_GT(r.worst, r.limit);
}

// Fixtures and golden_cases.inc come from one run of make_golden.py: no case without its
// file, no file without its case.
TEST(golden_harness, every_fixture_has_its_case) {
    std::set<std::string> listed;
    for (const auto& names :
         {golden::names_of(golden::conv_shapes_cases{}), golden::names_of(golden::conv_options_cases{}),
          golden::names_of(golden::pool_cases{}), golden::names_of(golden::misc_cases{}),
          golden::names_of(golden::nets_cases{}), golden::names_of(golden::onnx_layers_cases{}),
          golden::names_of(golden::onnx_padding_cases{})})
        for (auto n : names) EXPECT_TRUE(listed.emplace(n).second) << "case listed twice: " << n;
    std::set<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(CTNN_GOLDEN_DATA_DIR))
        if (entry.path().extension() == ".golden") files.insert(entry.path().stem().string());
    EXPECT_EQ(files, listed);
}

} // namespace
