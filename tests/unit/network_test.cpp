// The network type: shape fold, parameter layout, memory plan, forward on caller storage;
// the errors forward() throws for wrong sizes (their messages name the numbers) and the
// text of net::summary.
#include <ctnn/ctnn.hpp>

#include <gtest/gtest.h>

#include "test_nets.hpp"
#include "unit_util.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace {

using lenet = ctnn::network<ctnn::input<1, 28, 28>,                   //
                            ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::relu, //
                            ctnn::max_pool2d<2>,                      //
                            ctnn::conv2d<16, 5>, ctnn::relu,          //
                            ctnn::max_pool2d<2>,                      //
                            ctnn::flatten,                            //
                            ctnn::dense<120>, ctnn::relu, ctnn::dense<84>, ctnn::relu, ctnn::dense<10>,
                            ctnn::softmax>;

static_assert(lenet::output_shape == ctnn::shape<10>{});
static_assert(lenet::input_shape == ctnn::shape<1, 28, 28>{});
static_assert(lenet::layer_shape<1> == ctnn::shape<6, 28, 28>{});
static_assert(lenet::layer_shape<3> == ctnn::shape<6, 14, 14>{});
static_assert(lenet::layer_shape<4> == ctnn::shape<16, 10, 10>{});
static_assert(lenet::layer_shape<6> == ctnn::shape<16, 5, 5>{});
static_assert(lenet::layer_shape<7> == ctnn::shape<400>{});
static_assert(!(lenet::layer_shape<7> == ctnn::shape<16, 5, 5>{}));
// 6*1*5*5+6, 16*6*5*5+16, 120*400+120, 84*120+84, 10*84+10
static_assert(lenet::param_count == 156 + 2416 + 48120 + 10164 + 850);
static_assert(lenet::param_bytes >= lenet::param_count * sizeof(float));
static_assert(lenet::param_offset[1] == 0);
static_assert(lenet::param_offset[4] % (ctnn::alignment / sizeof(float)) == 0);
// Ping-pong, unfused: the largest activation (6 x 28 x 28) in one buffer, 6 x 14 x 14 in the
// other. Fused, each conv + relu + pool stores only the pooled map: 6 x 14 x 14, 16 x 5 x 5.
static_assert(lenet::unfused_workspace_size >= 6 * 28 * 28 + 6 * 14 * 14);
static_assert(lenet::unfused_workspace_size < 2 * 6 * 28 * 28);
static_assert(lenet::workspace_size >= 6 * 14 * 14 + 16 * 5 * 5);
static_assert(CTNN_REFERENCE_KERNELS || lenet::workspace_size < 6 * 28 * 28);
static_assert(std::is_trivially_copyable_v<lenet::parameters>);
static_assert(alignof(lenet::parameters) == ctnn::alignment);

TEST(Network, LenetForwardGivesDistributions) {
    ctnn::model<lenet> m(3);
    for (std::size_t i = 0; i < m.params().values.size(); ++i)
        m.params().values[i] = static_cast<float>(i % 7) * 0.01f - 0.03f;
    std::vector<float> in(3 * lenet::input_size), out(3 * lenet::output_size);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i % 11) / 11.0f;
    m.forward(in, out);
    for (std::size_t n = 0; n < 3; ++n) {
        float sum = 0;
        for (std::size_t k = 0; k < 10; ++k) sum += out[n * 10 + k];
        EXPECT_NEAR(sum, 1.0f, 1e-5f);
    }
}

TEST(Network, RejectsMismatchedSpans) {
    ctnn::model<lenet> m(2);
    std::vector<float> in(lenet::input_size + 1), out(lenet::output_size);
    EXPECT_THROW(m.forward(in, out), std::invalid_argument);
    std::vector<float> in3(3 * lenet::input_size), out3(3 * lenet::output_size);
    EXPECT_THROW(m.forward(in3, out3), std::invalid_argument); // capacity 2
}

// ---------------------------------------------------------------------------- errors
using ctnn::unit::invalid_argument_message;

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

TEST(NetworkErrors, InputNotAWholeNumberOfSamples) {
    ctnn::workspace<lenet> ws(2);
    const auto p = std::make_unique<lenet::parameters>();
    std::vector<float> in(784 + 1), out(10);
    const std::string msg = invalid_argument_message([&] { lenet::forward(*p, in, out, ws); });
    EXPECT_TRUE(contains(msg, "ctnn::network::forward"));
    EXPECT_TRUE(contains(msg, "input holds 785 values"));
    EXPECT_TRUE(contains(msg, "samples of 784"));
}

TEST(NetworkErrors, OutputOfTheWrongSize) {
    ctnn::workspace<lenet> ws(2);
    const auto p = std::make_unique<lenet::parameters>();
    std::vector<float> in(2 * 784), small(19), large(21);
    std::string msg = invalid_argument_message([&] { lenet::forward(*p, in, small, ws); });
    EXPECT_TRUE(contains(msg, "ctnn::network::forward"));
    EXPECT_TRUE(contains(msg, "output holds 19 values"));
    EXPECT_TRUE(contains(msg, "2 samples need 20"));
    msg = invalid_argument_message([&] { lenet::forward(*p, in, large, ws); });
    EXPECT_TRUE(contains(msg, "output holds 21 values"));
    EXPECT_TRUE(contains(msg, "2 samples need 20"));
}

TEST(NetworkErrors, WorkspaceTooSmall) {
    ctnn::workspace<lenet> ws(2);
    const auto p = std::make_unique<lenet::parameters>();
    std::vector<float> in(3 * 784), out(30);
    const std::string msg = invalid_argument_message([&] { lenet::forward(*p, in, out, ws); });
    EXPECT_TRUE(contains(msg, "ctnn::network::forward"));
    EXPECT_TRUE(contains(msg, "workspace holds " + std::to_string(2 * lenet::workspace_size) + " values"));
    EXPECT_TRUE(contains(msg, "3 samples need " + std::to_string(3 * lenet::workspace_size)));
    // One value short is too small; exactly enough is fine.
    std::vector<float> exact(3 * lenet::workspace_size);
    EXPECT_THROW(lenet::forward(*p, in, out, std::span<float>(exact).first(exact.size() - 1)), std::invalid_argument);
    EXPECT_NO_THROW(lenet::forward(*p, in, out, exact));
}

TEST(NetworkErrors, StaticWorkspaceAndModelCheckToo) {
    using net = ctnn::unit::mixed;
    ctnn::static_workspace<net, 1> ws{};
    const auto p = std::make_unique<net::parameters>();
    std::vector<float> in(2 * net::input_size), out(2 * net::output_size);
    const std::string msg = invalid_argument_message([&] { net::forward(*p, in, out, ws); });
    EXPECT_TRUE(contains(msg, "workspace holds " + std::to_string(net::workspace_size) + " values"));
    EXPECT_TRUE(contains(msg, "2 samples need " + std::to_string(2 * net::workspace_size)));
    ctnn::model<net> m(1);
    EXPECT_TRUE(contains(invalid_argument_message([&] { m.forward(in, out); }), "workspace holds"));
}

// A net that needs no workspace runs with an empty one; an empty batch does nothing.
TEST(NetworkErrors, EmptySpansWhereNothingIsNeeded) {
    using net = ctnn::unit::single_dense;
    const auto p = ctnn::unit::random_parameters<net>(1);
    std::vector<double> in(2 * 6), out(2 * 3);
    EXPECT_NO_THROW(net::forward(*p, in, out, std::span<double>{}));
    ctnn::workspace<lenet> ws(1);
    const auto lp = std::make_unique<lenet::parameters>();
    EXPECT_NO_THROW(lenet::forward(*lp, std::span<const float>{}, std::span<float>{}, ws));
}

// ---------------------------------------------------------------------------- summary
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream is(text);
    for (std::string line; std::getline(is, line);) lines.push_back(line);
    return lines;
}

// Without pools_fuse (CTNN_REFERENCE_KERNELS) the pool runs on its own, from a map the
// workspace holds (tests/unit's reference_kernels build).
constexpr const char* pool_fused = ctnn::unit::pools_fuse ? ", fused into 1 conv2d" : "";

TEST(NetworkSummary, SmallNetExactly) {
    using net = ctnn::network<ctnn::input<1, 6, 6>, ctnn::conv2d<2, 3, ctnn::pad<1>>, ctnn::relu, ctnn::max_pool2d<2>,
                              ctnn::flatten, ctnn::dense<3>>;
    std::ostringstream os;
    net::summary(os);
    const std::string expected = "0 input (1 x 6 x 6) 0 params\n"
                                 "1 conv2d (2 x 6 x 6) 20 params\n"
                                 "2 relu (2 x 6 x 6) 0 params, fused into 1 conv2d\n"
                                 "3 max_pool2d (2 x 3 x 3) 0 params" +
                                 std::string(pool_fused) +
                                 "\n"
                                 "4 flatten (18) 0 params\n"
                                 "5 dense (3) 57 params\n"
                                 "total 77 params (" +
                                 std::to_string(net::param_bytes) + " bytes), workspace " +
                                 std::to_string(net::workspace_bytes) + " bytes per sample\n";
    EXPECT_EQ(os.str(), expected);
    if constexpr (ctnn::alignment == 64) {
        // Parameters 20 -> 32 and 57 -> 64 floats; conv + relu + pool and flatten in one
        // buffer, 18 -> 32 floats (unfused, or with the pool apart: buffers 72 -> 80 and
        // 18 -> 32).
        EXPECT_EQ(net::param_bytes, 96u * 4u);
        EXPECT_EQ(net::workspace_bytes, (ctnn::unit::pools_fuse ? 32u : 112u) * 4u);
        EXPECT_EQ(net::unfused_workspace_size, 112u);
    }
}

TEST(NetworkSummary, LenetLines) {
    std::ostringstream os;
    lenet::summary(os);
    const auto lines = lines_of(os.str());
    ASSERT_EQ(lines.size(), lenet::entry_count + 1);
    EXPECT_EQ(lines[0], "0 input (1 x 28 x 28) 0 params");
    EXPECT_EQ(lines[1], "1 conv2d (6 x 28 x 28) 156 params");
    EXPECT_EQ(lines[3], "3 max_pool2d (6 x 14 x 14) 0 params" + std::string(pool_fused));
    EXPECT_EQ(lines[4], "4 conv2d (16 x 10 x 10) 2416 params");
    EXPECT_EQ(lines[7], "7 flatten (400) 0 params");
    EXPECT_EQ(lines[8], "8 dense (120) 48120 params");
    EXPECT_EQ(lines[12], "12 dense (10) 850 params");
    EXPECT_EQ(lines[13], "13 softmax (10) 0 params");
    EXPECT_TRUE(contains(lines[14], "total 61706 params"));
    if constexpr (ctnn::alignment == 64) {
        // With the pools apart, the largest pair is conv1's map and pool1's: 4704 + 1184 floats.
        EXPECT_EQ(lines[14], std::string("total 61706 params (246976 bytes), workspace ") +
                                 (ctnn::unit::pools_fuse ? "6336" : "23552") + " bytes per sample");
    }
}

TEST(NetworkSummary, NamesEveryLayerKind) {
    std::ostringstream os;
    ctnn::unit::mixed::summary(os);
    const auto lines = lines_of(os.str());
    ASSERT_EQ(lines.size(), ctnn::unit::mixed::entry_count + 1);
    EXPECT_EQ(lines[1], "1 conv2d (4 x 5 x 5) 184 params");
    EXPECT_EQ(lines[2], "2 leaky_relu (4 x 5 x 5) 0 params, fused into 1 conv2d");
    EXPECT_EQ(lines[3], "3 avg_pool2d (4 x 3 x 3) 0 params");
    EXPECT_EQ(lines[4], "4 conv2d (6 x 3 x 3) 108 params");
    EXPECT_EQ(lines[5], "5 tanh (6 x 3 x 3) 0 params");
    EXPECT_EQ(lines[6], "6 max_pool2d (6 x 3 x 3) 0 params");
    EXPECT_EQ(lines[8], "8 dense (5) 270 params");
    EXPECT_EQ(lines[9], "9 sigmoid (5) 0 params");
    EXPECT_EQ(lines[10], "10 dense (3) 18 params");
    std::ostringstream os2;
    ctnn::unit::activations_only::summary(os2);
    EXPECT_EQ(lines_of(os2.str())[4], "4 identity (2 x 3 x 3) 0 params");
}

} // namespace
