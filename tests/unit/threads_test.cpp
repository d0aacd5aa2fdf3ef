// forward() on a thread pool: the batch is cut into one contiguous chunk per thread, each
// with its own slice of the workspace, and any thread count gives the bits of forward()
// without a pool, for every test net, for batches smaller than, equal to and larger than
// the pool; the workspace is exactly batch * workspace_size and nothing is written past it.
// A batch smaller than the pool runs a large image's big convs as output tiles, one per
// thread: the same bits again.
#include <ctnn/core/thread_pool.hpp>

#include "test_nets.hpp"
#include "unit_util.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace {

using ctnn::unit::random_parameters;

/// Every conv of at least split_macs multiply-adds, each kind of step cut into tiles: conv
/// + relu + max pool (rows of the pooled output), a 1x1 conv + leaky_relu (output
/// channels), a stride-2 conv with 13 channels + avg pool, then a small conv that does not
/// split and a classifier.
using large_image = ctnn::network<ctnn::input<3, 64, 64>,                                        //
                                  ctnn::conv2d<32, 3, ctnn::pad<1>>, ctnn::relu, ctnn::max_pool2d<2>, //
                                  ctnn::conv2d<64, 1>, ctnn::leaky_relu<0.1>,                    //
                                  ctnn::conv2d<13, 3, ctnn::stride<2>, ctnn::pad<1>, ctnn::floor_mode>, //
                                  ctnn::avg_pool2d<2>,                                           //
                                  ctnn::conv2d<8, 3, ctnn::pad<1>>, ctnn::tanh,                  //
                                  ctnn::flatten, ctnn::dense<10>>;
static_assert(CTNN_REFERENCE_KERNELS ||
              (large_image::step_splits<1> && large_image::step_splits<4> && large_image::step_splits<6> &&
               !large_image::step_splits<8>));

// planned_scratch (test_nets.hpp): both convs use the scratch area on the calling thread and
// split into output tiles (which share no scratch) on a pool.
namespace kernels = ctnn::kernels::simd;
using ctnn::unit::planned_scratch;
template <std::size_t I>
constexpr auto scratch_geometry = planned_scratch::layer<I>::geometry;
// With SSE2's 4 lanes the channel kernel takes the second (no scratch).
static_assert(CTNN_REFERENCE_KERNELS ||
              (planned_scratch::step_scratch<1> == kernels::conv2d_direct<scratch_geometry<1>, float>::image_size &&
               !kernels::conv2d_direct_by_flat<scratch_geometry<1>, float> && planned_scratch::step_splits<1> &&
               planned_scratch::step_splits<3> &&
               (kernels::conv2d_direct_by_flat<scratch_geometry<3>, float>
                    ? planned_scratch::step_scratch<3> ==
                          kernels::conv2d_direct_flat<scratch_geometry<3>, float>::scratch_size
                    : kernels::vec<float, kernels::default_arch>::size == 4 && planned_scratch::step_scratch<3> == 0)));

template <class Net>
class NetworkThreads : public ::testing::Test {};
template <class List>
struct with_large_image;
template <class... Nets>
struct with_large_image<::testing::Types<Nets...>> {
    using type = ::testing::Types<Nets..., large_image>;
};
TYPED_TEST_SUITE(NetworkThreads, with_large_image<ctnn::unit::all_nets>::type);

/// forward() with the pool, or without one when `pool` is null, between guard cells.
template <class Net>
std::vector<typename Net::value_type> forward_on(const typename Net::parameters& p,
                                                 const std::vector<typename Net::value_type>& in, std::size_t batch,
                                                 ctnn::thread_pool* pool) {
    using T = typename Net::value_type;
    return ctnn::unit::guarded_forward(in, batch * Net::output_size, batch * Net::workspace_size,
                                       [&](std::span<const T> x, std::span<T> y, std::span<T> ws) {
                                           if (pool != nullptr)
                                               Net::forward(p, x, y, ws, *pool);
                                           else
                                               Net::forward(p, x, y, ws);
                                       });
}

TYPED_TEST(NetworkThreads, AnyThreadCountGivesTheSameBits) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    const auto p = random_parameters<Net>(31);
    ctnn::thread_pool two(2), three(3);
    for (std::size_t batch : {1u, 2u, 3u, 7u}) {
        const auto in = ctnn::test::random_vector<T>(batch * Net::input_size, 40 + static_cast<unsigned>(batch));
        const auto alone = forward_on<Net>(*p, in, batch, nullptr);
        EXPECT_EQ(forward_on<Net>(*p, in, batch, &two), alone) << "2 threads, batch " << batch;
        EXPECT_EQ(forward_on<Net>(*p, in, batch, &three), alone) << "3 threads, batch " << batch;
    }
}

TEST(NetworkThreads, ChecksSizesLikeForward) {
    using Net = ctnn::unit::lenet;
    const auto p = random_parameters<Net>(5);
    ctnn::thread_pool pool(2);
    std::vector<float> in(3 * Net::input_size, 0.5f), out(3 * Net::output_size), ws(3 * Net::workspace_size - 1);
    EXPECT_THROW(Net::forward(*p, in, out, ws, pool), std::invalid_argument);
}

} // namespace
