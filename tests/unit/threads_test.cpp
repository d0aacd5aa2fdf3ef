// forward() on a thread pool: the batch is cut into one contiguous chunk per thread, each
// with its own slice of the workspace, and any thread count gives the bits of forward()
// without a pool, for every test net, for batches smaller than, equal to and larger than
// the pool; the workspace is exactly batch * workspace_size and nothing is written past it.
#include <ctnn/core/thread_pool.hpp>

#include "test_nets.hpp"
#include "unit_util.hpp"

#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace {

using ctnn::unit::random_parameters;

template <class Net>
class NetworkThreads : public ::testing::Test {};
TYPED_TEST_SUITE(NetworkThreads, ctnn::unit::all_nets);

template <class Net>
std::vector<typename Net::value_type> forward_on(const typename Net::parameters& p,
                                                 const std::vector<typename Net::value_type>& in, std::size_t batch,
                                                 ctnn::thread_pool* pool) {
    using T = typename Net::value_type;
    constexpr std::size_t guard = 32;
    constexpr T sentinel = T(-777.25);
    const std::size_t ws_size = batch * Net::workspace_size, out_size = batch * Net::output_size;
    std::vector<T> ws(ws_size + 2 * guard, sentinel), out(out_size + 2 * guard, sentinel);
    std::fill(ws.begin() + guard, ws.begin() + static_cast<std::ptrdiff_t>(guard + ws_size),
              std::numeric_limits<T>::quiet_NaN());
    const auto o = std::span<T>(out).subspan(guard, out_size);
    const auto w = std::span<T>(ws).subspan(guard, ws_size);
    if (pool != nullptr)
        Net::forward(p, in, o, w, *pool);
    else
        Net::forward(p, in, o, w);
    for (std::size_t i = 0; i < guard; ++i) {
        EXPECT_EQ(ws[i], sentinel) << "workspace underrun at " << i;
        EXPECT_EQ(ws[guard + ws_size + i], sentinel) << "workspace overrun at " << i;
        EXPECT_EQ(out[i], sentinel) << "output underrun at " << i;
        EXPECT_EQ(out[guard + out_size + i], sentinel) << "output overrun at " << i;
    }
    return {o.begin(), o.end()};
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
