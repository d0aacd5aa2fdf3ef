// Training passes give bit-identical gradients whatever the thread count, and the thread
// pool runs every index exactly once.
#include <ctnn/ctnn.hpp>
#include <ctnn/train/engine.hpp>
#include <ctnn/train/loss.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <cmath>
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

TEST(ThreadPool, LongJobsAndSlowIndices) {
    // More indices than one claim word counts (0xffff): the job runs in rounds.
    thread_pool pool(2);
    std::vector<std::atomic<int>> hits(70000);
    pool.for_each_index(hits.size(), [&](std::size_t k) { ++hits[k]; });
    for (std::size_t k = 0; k < hits.size(); ++k) ASSERT_EQ(hits[k].load(), 1) << "index " << k;
    // A slow index (a thread descheduled mid-job) holds back no other index: every index
    // still runs once, and the job returns only when the slow one is done.
    for (std::size_t threads : {2u, 3u}) {
        thread_pool p(threads);
        std::vector<std::atomic<int>> h(9);
        std::atomic<bool> slow_done{false};
        p.for_each_index(h.size(), [&](std::size_t k) {
            if (k == 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                slow_done = true;
            }
            ++h[k];
        });
        EXPECT_TRUE(slow_done.load());
        for (std::size_t k = 0; k < h.size(); ++k) EXPECT_EQ(h[k].load(), 1) << threads << " threads, index " << k;
    }
}

using net = network<input<1, 16, 16>, conv2d<6, 5, pad<2>>, relu, max_pool2d<2>, conv2d<8, 3>, batch_norm<>, relu,
                    max_pool2d<2, floor_mode>, flatten, dense<20>, dropout<0.2>, relu, dense<10>, softmax>;

/// Random parameters (from `seed`), a batch of inputs (from seed + 1) and its labels.
struct problem {
    std::unique_ptr<net::parameters> params = std::make_unique<net::parameters>();
    std::vector<float> in;
    std::vector<unsigned> labels;
    problem(std::size_t batch, unsigned seed)
        : in(test::random_vector<float>(batch * net::input_size, seed + 1)), labels(batch) {
        const auto init = test::random_vector<float>(net::param_storage, seed, -0.3f, 0.3f);
        std::copy(init.begin(), init.end(), params->values.begin());
        for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<unsigned>(i % 10);
    }
};

std::vector<float> gradients_with(std::size_t threads, std::size_t batch) {
    problem pr(batch, 5);
    auto& p = pr.params;
    const auto& in = pr.in;
    const auto& labels = pr.labels;

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

/// Gradients of backward<net, Start> for a fixed d(loss)/d(entry Start), optionally after a
/// full backward on the same workspace (so a stale value left in a gradient buffer would
/// show), with or without a pool.
template <std::size_t Start>
std::vector<float> gradients_from(std::size_t batch, thread_pool* pool, bool after_full_backward) {
    problem pr(batch, 8);
    auto& p = pr.params;
    const auto& in = pr.in;
    const auto& labels = pr.labels;
    training_workspace<net> ws(batch);
    const train_context ctx{3, 1, 0};
    forward_train<net>(*p, in.data(), batch, ws, ctx, pool);
    if (after_full_backward) {
        softmax_cross_entropy::evaluate<net, unsigned>(train_output<net>(ws, batch, in.data()), labels, batch,
                                                       ws.delta(0));
        backward<net, softmax_cross_entropy::start_entry<net>>(*p, in.data(), batch, ws, ctx, pool);
    }
    const auto dout = test::random_vector<float>(batch * net::layer<Start>::out_shape::size, 10);
    std::copy(dout.begin(), dout.end(), ws.delta(0));
    backward<net, Start>(*p, in.data(), batch, ws, ctx, pool);
    return {ws.gradients().begin(), ws.gradients().end()};
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(TrainingThreads, GradientsAreWrittenNotAddedAndZeroAboveStart) {
    constexpr std::size_t last = softmax_cross_entropy::start_entry<net>, first_dense = 9;
    static_assert(net::layer_names[first_dense] == "dense" && net::layer_names[last] == "dense");
    thread_pool pool(2);
    for (std::size_t batch : {1u, 13u}) {
        // Gradients are overwritten by every backward: after a full one, as on a fresh
        // workspace; with a pool, as without.
        const auto full = gradients_from<last>(batch, nullptr, false);
        EXPECT_TRUE(same_bits(full, gradients_from<last>(batch, nullptr, true))) << "batch " << batch;
        EXPECT_TRUE(same_bits(full, gradients_from<last>(batch, &pool, true))) << "batch " << batch;
        // Starting below the dense layers: their gradients are zero, even where the full
        // backward before had written them.
        const auto part = gradients_from<first_dense - 1>(batch, &pool, true);
        EXPECT_TRUE(same_bits(part, gradients_from<first_dense - 1>(batch, nullptr, false))) << "batch " << batch;
        double below = 0;
        for (std::size_t i = 0; i < net::param_storage; ++i) {
            if (i >= net::param_offset[first_dense])
                EXPECT_EQ(part[i], 0.0f) << "a gradient above Start at " << i << ", batch " << batch;
            else
                below += std::abs(part[i]);
        }
        EXPECT_GT(below, 0.0) << "batch " << batch;
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
