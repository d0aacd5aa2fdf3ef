// step() allocates nothing: this executable replaces the global operator new with one that
// counts, checks that the counter sees an optimizer's construction, then steps each optimizer.
#include <ctnn/train/optimizer.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#include "optim_nets.hpp"

namespace {
std::size_t allocations = 0;
} // namespace

void* operator new(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size > 0 ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align) {
    ++allocations;
    const std::size_t a = static_cast<std::size_t>(align);
    const std::size_t rounded = size > 0 ? (size + a - 1) / a * a : a; // aligned_alloc wants a multiple
    if (void* p = std::aligned_alloc(a, rounded)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using net = ctnn::basic_network<float, ctnn::input<3, 8, 8>, ctnn::conv2d<4, 3>, ctnn::relu, ctnn::flatten,
                                ctnn::dense<5>>;

template <class Optimizer>
void expect_step_allocates_nothing(const typename Optimizer::options& o) {
    typename net::parameters params;
    std::vector<float> grads(net::param_storage, 0.25f);

    const std::size_t before_construction = allocations;
    Optimizer opt(o);
    EXPECT_GT(allocations, before_construction) << "the counter must see the state's allocation";

    const std::size_t before_steps = allocations;
    for (int s = 0; s < 3; ++s) opt.step(params.values, grads);
    opt.set_learning_rate(0.5 * opt.learning_rate());
    opt.step(params.values, grads);
    const std::size_t after_steps = allocations;
    EXPECT_EQ(after_steps, before_steps);
    EXPECT_NE(params.values[0], 0.0f) << "the steps did run";
}

TEST(OptimizerStep, AllocatesNothing) {
    expect_step_allocates_nothing<ctnn::sgd<net>>({});
    expect_step_allocates_nothing<ctnn::sgd<net>>({.momentum = 0.9, .nesterov = true, .weight_decay = 1e-4});
    expect_step_allocates_nothing<ctnn::adagrad<net>>({});
    expect_step_allocates_nothing<ctnn::adadelta<net>>({});
    expect_step_allocates_nothing<ctnn::rmsprop<net>>({.momentum = 0.9, .centered = true});
    expect_step_allocates_nothing<ctnn::adam<net>>({.amsgrad = true});
}

} // namespace
