// The optimizers' shared interface: trainable ranges and their pieces, non-trainable
// tensors left alone, steps over a thread pool, the optimizer_for concept, option checks,
// learning-rate changes, reset and copies.
#include <ctnn/core/thread_pool.hpp>
#include <ctnn/train/optimizer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <vector>

#include "ctnn_test_util.hpp"
#include "optim_nets.hpp"

namespace {

using ctnn::param_range;
using ctnn::test::fake_bn_net;
using golden_d = ctnn::test::golden_net<double>;
using golden_f = ctnn::test::golden_net<float>;

TEST(TrainableRanges, MergeEachLayersTensorsAndSkipGaps) {
    // double: conv (4 values) at 0, padded to 8; dense (18 values) at 8.
    constexpr auto d = ctnn::trainable_ranges<golden_d>();
    static_assert(d.size() == 2);
    EXPECT_EQ(d[0], (param_range{0, 4}));
    EXPECT_EQ(d[1], (param_range{8, 18}));
    // float: 16 elements per 64 bytes, so dense starts at 16.
    constexpr auto f = ctnn::trainable_ranges<golden_f>();
    static_assert(f.size() == 2);
    EXPECT_EQ(f[1], (param_range{16, 18}));
}

TEST(TrainableRanges, LeaveOutNonTrainableTensors) {
    constexpr auto r = ctnn::trainable_ranges<fake_bn_net>();
    static_assert(r.size() == 2);
    EXPECT_EQ(r[0], (param_range{0, 10}));
    EXPECT_EQ(r[1], (param_range{16, 4})); // batch-norm weight and bias; not its running statistics
}

TEST(TrainablePieces, CutEachRangeInBlockOrder) {
    // golden_d's ranges {0, 4} and {8, 18} in pieces of at most 5.
    constexpr auto p = ctnn::trainable_pieces<golden_d, 5>();
    static_assert(p.size() == 5);
    EXPECT_EQ(p[0], (param_range{0, 4}));
    EXPECT_EQ(p[1], (param_range{8, 5}));
    EXPECT_EQ(p[2], (param_range{13, 5}));
    EXPECT_EQ(p[3], (param_range{18, 5}));
    EXPECT_EQ(p[4], (param_range{23, 3}));
    // A piece as long as a range: one piece per range.
    static_assert(ctnn::trainable_pieces<golden_d, 18>().size() == 2);
    static_assert(ctnn::trainable_pieces<golden_d, 17>().size() == 3);
}

/// More trainable values than one piece (optimizer_piece) holds, in two ranges with a gap:
/// conv 7x3x3x3 + 7 = 196 values, dense 343x37 + 37 = 12728 values (four pieces, the last
/// of 440).
using wide_net = ctnn::basic_network<float, ctnn::input<3, 9, 9>, ctnn::conv2d<7, 3>, ctnn::flatten, ctnn::dense<37>>;

TEST(TrainablePieces, DefaultPieceSplitsAWideNetwork) {
    constexpr auto r = ctnn::trainable_ranges<wide_net>();
    constexpr auto p = ctnn::trainable_pieces<wide_net>();
    static_assert(r.size() == 2 && r[0].size == 196 && r[1].size == 12728);
    static_assert(ctnn::optimizer_piece == 4096 && p.size() == 5);
    EXPECT_EQ(p[0], r[0]);
    for (std::size_t k = 1; k < 4; ++k) EXPECT_EQ(p[k], (param_range{r[1].offset + (k - 1) * 4096, 4096}));
    EXPECT_EQ(p[4], (param_range{r[1].offset + 3 * 4096, 440}));
}

// Runs a few steps on Net with gradients everywhere (NaN in the gaps), then checks that
// every trainable value moved and nothing else changed.
template <class Net, class Optimizer>
void expect_only_trainable_changed(Optimizer opt, ctnn::thread_pool* pool = nullptr) {
    using T = typename Net::value_type;
    std::vector<T> params = ctnn::test::random_vector<T>(Net::param_storage, 3);
    const std::vector<T> before = params;
    std::vector<T> grads = ctnn::test::random_vector<T>(Net::param_storage, 4, 0.5, 1.5);
    const auto gap = ctnn::test::gap_mask<Net>();
    for (std::size_t i = 0; i < grads.size(); ++i)
        if (gap[i]) grads[i] = std::numeric_limits<T>::quiet_NaN();
    for (int s = 0; s < 3; ++s) opt.step(params, grads, pool);

    std::vector<bool> trainable(Net::param_storage, false);
    for (const param_range r : ctnn::trainable_ranges<Net>())
        for (std::size_t i = r.offset; i < r.offset + r.size; ++i) trainable[i] = true;
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (trainable[i])
            EXPECT_NE(params[i], before[i]) << "trainable element " << i;
        else
            EXPECT_EQ(params[i], before[i]) << "element " << i;
    }
}

TEST(Optimizers, TouchOnlyTrainableTensors) {
    using net = fake_bn_net;
    expect_only_trainable_changed<net>(ctnn::sgd<net>({.learning_rate = 0.1, .weight_decay = 0.1}));
    expect_only_trainable_changed<net>(ctnn::sgd<net>({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true}));
    expect_only_trainable_changed<net>(ctnn::adagrad<net>());
    expect_only_trainable_changed<net>(ctnn::adadelta<net>());
    expect_only_trainable_changed<net>(ctnn::rmsprop<net>({.momentum = 0.5, .centered = true}));
    expect_only_trainable_changed<net>(ctnn::adam<net>({.amsgrad = true}));
}

TEST(Optimizers, OverAPoolTouchEveryPieceAndNothingElse) {
    using net = wide_net;
    ctnn::thread_pool pool(2);
    expect_only_trainable_changed<net>(ctnn::sgd<net>({.learning_rate = 0.1, .weight_decay = 0.1}), &pool);
    expect_only_trainable_changed<net>(ctnn::sgd<net>({.learning_rate = 0.1, .momentum = 0.9}), &pool);
    expect_only_trainable_changed<net>(ctnn::adagrad<net>(), &pool);
    expect_only_trainable_changed<net>(ctnn::adadelta<net>(), &pool);
    expect_only_trainable_changed<net>(ctnn::rmsprop<net>({.momentum = 0.5, .centered = true}), &pool);
    expect_only_trainable_changed<net>(ctnn::adam<net>({.amsgrad = true}), &pool);
}

// Steps on a pool of 1, 2 and 3 threads give the bits of steps without one: parameters and
// state, over five steps with changing gradients.
template <class Optimizer>
void expect_same_bits_on_any_pool(const typename Optimizer::options& o) {
    using net = wide_net;
    const std::vector<float> start = ctnn::test::random_vector<float>(net::param_storage, 11);
    std::vector<std::vector<float>> grads;
    for (unsigned s = 0; s < 5; ++s) grads.push_back(ctnn::test::random_vector<float>(net::param_storage, 12 + s));
    Optimizer serial(o);
    std::vector<float> expected = start;
    for (const auto& g : grads) serial.step(expected, g);
    for (std::size_t threads : {1u, 2u, 3u}) {
        ctnn::thread_pool pool(threads);
        Optimizer pooled(o);
        std::vector<float> got = start;
        for (const auto& g : grads) pooled.step(got, g, &pool);
        EXPECT_EQ(got, expected) << threads << " threads";
        EXPECT_TRUE(std::equal(pooled.state().begin(), pooled.state().end(), serial.state().begin(),
                               serial.state().end()))
            << threads << " threads: optimizer state";
        EXPECT_EQ(pooled.steps(), serial.steps());
    }
}

TEST(Optimizers, SameBitsOnAnyPool) {
    expect_same_bits_on_any_pool<ctnn::sgd<wide_net>>({.learning_rate = 0.1, .momentum = 0.9, .dampening = 0.2});
    expect_same_bits_on_any_pool<ctnn::sgd<wide_net>>({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
    expect_same_bits_on_any_pool<ctnn::adagrad<wide_net>>({.lr_decay = 0.1, .initial_accumulator_value = 0.5});
    expect_same_bits_on_any_pool<ctnn::adadelta<wide_net>>({.weight_decay = 0.01});
    expect_same_bits_on_any_pool<ctnn::rmsprop<wide_net>>({.momentum = 0.5, .centered = true});
    expect_same_bits_on_any_pool<ctnn::adam<wide_net>>({.weight_decay = 0.01, .amsgrad = true});
}

static_assert(ctnn::optimizer_for<ctnn::sgd<golden_d>, golden_d>);
static_assert(ctnn::optimizer_for<ctnn::adagrad<golden_d>, golden_d>);
static_assert(ctnn::optimizer_for<ctnn::adadelta<golden_f>, golden_f>);
static_assert(ctnn::optimizer_for<ctnn::rmsprop<golden_f>, golden_f>);
static_assert(ctnn::optimizer_for<ctnn::adam<fake_bn_net>, fake_bn_net>);
static_assert(!ctnn::optimizer_for<ctnn::adam<golden_f>, golden_d>, "an optimizer serves one network type");
static_assert(!ctnn::optimizer_for<golden_d, golden_d>);

// A training loop written once for any optimizer.
template <class Net, ctnn::optimizer_for<Net> Optimizer>
void descend(Optimizer& opt, std::vector<double>& params, const std::vector<double>& grads, int steps) {
    for (int s = 0; s < steps; ++s) opt.step(params, grads);
}

TEST(Optimizers, RejectInvalidOptions) {
    using net = golden_d;
    EXPECT_THROW(ctnn::sgd<net>({.learning_rate = -1}), std::invalid_argument);
    EXPECT_THROW(ctnn::sgd<net>({.nesterov = true}), std::invalid_argument); // no momentum
    EXPECT_THROW(ctnn::sgd<net>({.momentum = 0.9, .dampening = 0.1, .nesterov = true}), std::invalid_argument);
    EXPECT_THROW(ctnn::adagrad<net>({.lr_decay = -0.1}), std::invalid_argument);
    EXPECT_THROW(ctnn::adadelta<net>({.rho = 1.5}), std::invalid_argument);
    EXPECT_THROW(ctnn::rmsprop<net>({.momentum = -0.5}), std::invalid_argument);
    EXPECT_THROW(ctnn::adam<net>({.beta1 = 1.0}), std::invalid_argument);
    EXPECT_THROW(ctnn::adam<net>({.beta2 = -0.1}), std::invalid_argument);
    EXPECT_NO_THROW(ctnn::sgd<net>({.momentum = 0.9, .nesterov = true}));
    try {
        ctnn::adadelta<net>({.rho = 1.5});
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "ctnn::adadelta: rho must be in [0, 1]; got 1.5");
    }
}

TEST(Optimizers, NetworkWithoutParameters) {
    using net = ctnn::basic_network<float, ctnn::input<4>, ctnn::relu>;
    static_assert(net::param_storage == 0 && ctnn::trainable_ranges<net>().empty());
    ctnn::adam<net> opt;
    std::vector<float> none;
    opt.step(none, none);
    auto copy = opt;
    copy.step(none, none);
    EXPECT_EQ(copy.steps(), 2u);
}

TEST(Optimizers, RejectBlocksOfTheWrongSize) {
    ctnn::adam<golden_d> opt;
    std::vector<double> params(golden_d::param_storage), grads(golden_d::param_storage);
    std::vector<double> short_grads(golden_d::param_count);
    EXPECT_THROW(opt.step(params, short_grads), std::invalid_argument);
    EXPECT_THROW(opt.set_learning_rate(-0.5), std::invalid_argument);
    EXPECT_EQ(opt.steps(), 0u);
    EXPECT_NO_THROW(opt.step(params, grads));
}

TEST(Optimizers, LearningRateZeroFreezesAndCanBeChanged) {
    using net = fake_bn_net;
    ctnn::adam<net> opt({.learning_rate = 0.01});
    EXPECT_EQ(opt.learning_rate(), 0.01);
    opt.set_learning_rate(0);
    EXPECT_EQ(opt.learning_rate(), 0.0);
    std::vector<double> params = ctnn::test::random_vector<double>(net::param_storage, 5);
    const std::vector<double> before = params;
    const std::vector<double> grads = ctnn::test::random_vector<double>(net::param_storage, 6);
    descend<net>(opt, params, grads, 2);
    EXPECT_EQ(params, before);
    opt.set_learning_rate(0.01);
    descend<net>(opt, params, grads, 1);
    EXPECT_NE(params, before);
    EXPECT_EQ(opt.steps(), 3u);
}

// After reset() an optimizer repeats the trajectory of a new one; a copy continues as the original.
template <class Optimizer>
void expect_reset_and_copy_work(const typename Optimizer::options& o) {
    using net = fake_bn_net;
    const std::vector<double> start = ctnn::test::random_vector<double>(net::param_storage, 7);
    const std::vector<double> g1 = ctnn::test::random_vector<double>(net::param_storage, 8);
    const std::vector<double> g2 = ctnn::test::random_vector<double>(net::param_storage, 9);

    Optimizer fresh(o), used(o);
    std::vector<double> a = start, b = start;
    used.step(b, g2);
    used.step(b, g1);
    Optimizer copy = used;
    std::vector<double> c = b;
    used.step(b, g2);
    copy.step(c, g2);
    EXPECT_EQ(b, c) << "a copy continues as the original";

    used.reset();
    EXPECT_EQ(used.steps(), 0u);
    b = start;
    for (const auto* g : {&g1, &g2, &g1}) {
        fresh.step(a, *g);
        used.step(b, *g);
    }
    EXPECT_EQ(a, b) << "after reset() the optimizer starts over";
}

TEST(Optimizers, ResetAndCopy) {
    using net = fake_bn_net;
    expect_reset_and_copy_work<ctnn::sgd<net>>({.learning_rate = 0.1, .momentum = 0.9, .dampening = 0.2});
    expect_reset_and_copy_work<ctnn::adagrad<net>>({.initial_accumulator_value = 0.5});
    expect_reset_and_copy_work<ctnn::adadelta<net>>({});
    expect_reset_and_copy_work<ctnn::rmsprop<net>>({.momentum = 0.5, .centered = true});
    expect_reset_and_copy_work<ctnn::adam<net>>({.amsgrad = true});
}

} // namespace
