// Training passes give bit-identical gradients whatever the thread count, and the thread
// pool runs every index exactly once.
#include <ctnn/ctnn.hpp>
#include <ctnn/train/engine.hpp>
#include <ctnn/train/loss.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "ctnn_test_util.hpp"

namespace {

using namespace ctnn;

TEST(ThreadPool, RunsEveryIndexOnce) {
    for (std::size_t threads : {1u, 2u, 3u, 5u}) {
        thread_pool pool(threads);
        for (std::size_t count : {0u, 1u, 2u, 7u, 64u}) {
            std::vector<std::atomic<int>> hits(count);
            for (int round = 0; round < 50; ++round) pool.for_each_index(count, [&](std::size_t k) { ++hits[k]; });
            for (std::size_t k = 0; k < count; ++k) EXPECT_EQ(hits[k].load(), 50) << threads << " threads, index " << k;
        }
    }
}

using net = network<input<1, 16, 16>, conv2d<6, 5, pad<2>>, relu, max_pool2d<2>, conv2d<8, 3>, batch_norm<>, relu,
                    max_pool2d<2, floor_mode>, flatten, dense<20>, dropout<0.2>, relu, dense<10>, softmax>;

std::vector<float> gradients_with(std::size_t threads, std::size_t batch) {
    auto p = std::make_unique<net::parameters>();
    const auto init = test::random_vector<float>(net::param_storage, 5, -0.3f, 0.3f);
    std::copy(init.begin(), init.end(), p->values.begin());
    const auto in = test::random_vector<float>(batch * net::input_size, 6);
    std::vector<unsigned> labels(batch);
    for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<unsigned>(i % 10);

    thread_pool pool(threads);
    training_workspace<net> ws(batch);
    const train_context ctx{99, 7, 0};
    forward_train<net>(*p, in.data(), batch, ws, ctx, &pool);
    softmax_cross_entropy::evaluate<net, unsigned>(train_output<net>(ws, batch, in.data()), labels, batch,
                                                   ws.delta(0));
    backward<net, softmax_cross_entropy::start_entry<net>>(*p, in.data(), batch, ws, ctx, &pool);
    std::vector<float> g(ws.gradients().begin(), ws.gradients().end());
    // The running statistics moved too: include them.
    g.insert(g.end(), p->values.begin(), p->values.end());
    return g;
}

TEST(TrainingThreads, GradientsBitIdenticalAcrossThreadCounts) {
    for (std::size_t batch : {1u, 13u, 64u}) {
        const auto one = gradients_with(1, batch);
        for (std::size_t threads : {2u, 3u}) {
            const auto many = gradients_with(threads, batch);
            ASSERT_EQ(one.size(), many.size());
            EXPECT_EQ(0, std::memcmp(one.data(), many.data(), one.size() * sizeof(float)))
                << "batch " << batch << ", " << threads << " threads";
        }
    }
}

TEST(TrainingThreads, GradientIsNotTrivial) {
    // Guards the test above against comparing zeros.
    const auto g = gradients_with(2, 13);
    double norm = 0;
    for (std::size_t i = 0; i < net::param_storage; ++i) norm += static_cast<double>(g[i]) * g[i];
    EXPECT_GT(norm, 1e-6);
}

} // namespace
