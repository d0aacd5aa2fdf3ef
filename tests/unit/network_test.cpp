// The network type: shape fold, parameter layout, memory plan, forward on caller storage.
#include <ctnn/ctnn.hpp>

#include <gtest/gtest.h>

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
// Ping-pong: the largest activation (6 x 28 x 28) in one buffer, 6 x 14 x 14 in the other.
static_assert(lenet::workspace_size >= 6 * 28 * 28 + 6 * 14 * 14);
static_assert(lenet::workspace_size < 2 * 6 * 28 * 28);
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

} // namespace
