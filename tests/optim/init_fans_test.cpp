// Fan-in and fan-out as torch.nn.init._calculate_fan_in_and_fan_out, read from the tensors
// ctnn's layers declare: conv2d with groups and rectangular kernels, dense.
#include <ctnn/train/init.hpp>

#include <ctnn/ctnn.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace {

using ctnn::init::fans;
using ctnn::init::fans_of;

template <class Net, std::size_t Entry>
constexpr fans weight_fans() {
    return fans_of(Net::template layer<Entry>::tensors[0]);
}

TEST(InitFans, Conv2dGroupsRectangularKernel) {
    // torch: Conv2d(8, 12, (3, 5), groups=4).weight is 12 x 2 x 3 x 5.
    using net = ctnn::network<ctnn::input<8, 10, 10>, ctnn::conv2d<12, ctnn::hw{3, 5}, ctnn::groups<4>>>;
    constexpr fans f = weight_fans<net, 1>();
    static_assert(f == fans{2 * 3 * 5, 12 * 3 * 5});
    EXPECT_EQ(f.in, 30u);
    EXPECT_EQ(f.out, 180u);
}

TEST(InitFans, Conv2dDepthwiseAndPointwise) {
    using net = ctnn::network<ctnn::input<6, 7, 7>, ctnn::conv2d<6, 3, ctnn::groups<6>>, ctnn::conv2d<4, 1>>;
    constexpr fans depthwise = weight_fans<net, 1>(), pointwise = weight_fans<net, 2>();
    EXPECT_EQ(depthwise, (fans{9, 54}));
    EXPECT_EQ(pointwise, (fans{6, 4}));
}

TEST(InitFans, Dense) {
    // torch: Linear(2 * 3 * 3, 7).weight is 7 x 18.
    using net = ctnn::network<ctnn::input<2, 3, 3>, ctnn::flatten, ctnn::dense<7>>;
    constexpr fans f = weight_fans<net, 2>();
    EXPECT_EQ(f, (fans{18, 7}));
}

TEST(InitFans, NoneBelowRankTwo) {
    using net = ctnn::network<ctnn::input<5>, ctnn::dense<3>>;
    EXPECT_THROW(fans_of(net::layer<1>::tensors[1]), std::invalid_argument); // the bias
}

} // namespace
