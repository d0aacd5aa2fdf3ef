// Two-sided finite differences against backward(), in double precision.
// The measure is the seed's: |analytic - numeric| / (|analytic| + |numeric|) over the whole
// gradient vector, which must stay below 1e-7.
#pragma once

#include <ctnn/ctnn.hpp>
#include <ctnn/train/engine.hpp>
#include <ctnn/train/loss.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "ctnn_test_util.hpp"

namespace ctnn::test {

/// The training-mode loss (batch statistics, a fixed dropout mask) for a copy of p.
template <class Net, class Loss, class Target>
double loss_of(const typename Net::parameters& p, const std::vector<double>& in, const std::vector<Target>& targets,
               std::size_t batch, const ctnn::train_context& ctx) {
    auto copy = std::make_unique<typename Net::parameters>(p);
    ctnn::training_workspace<Net> ws(batch);
    ctnn::forward_train<Net>(*copy, in.data(), batch, ws, ctx);
    return Loss::template evaluate<Net, Target>(ctnn::train_output<Net>(ws, batch, in.data()), targets, batch, nullptr)
               .loss_sum /
           static_cast<double>(batch);
}

/// Returns the relative error of the whole parameter gradient.
template <class Net, class Loss, class Target>
double gradient_error(const std::vector<Target>& targets, std::size_t batch, unsigned seed) {
    static_assert(std::is_same_v<typename Net::value_type, double>);
    auto p = std::make_unique<typename Net::parameters>();
    const auto init = random_vector<double>(Net::param_storage, seed, -0.5, 0.5);
    std::copy(init.begin(), init.end(), p->values.begin());
    const auto in = random_vector<double>(batch * Net::input_size, seed + 1, -1.0, 1.0);

    const ctnn::train_context ctx{seed, 3, 0};
    auto trained = std::make_unique<typename Net::parameters>(*p); // forward_train moves running statistics
    ctnn::training_workspace<Net> ws(batch);
    ctnn::forward_train<Net>(*trained, in.data(), batch, ws, ctx);
    constexpr std::size_t start = Loss::template start_entry<Net>;
    Loss::template evaluate<Net, Target>(ctnn::train_output<Net>(ws, batch, in.data()), targets, batch, ws.delta(0));
    ctnn::backward<Net, start>(*p, in.data(), batch, ws, ctx);
    const auto grads = ws.gradients();

    double diff = 0, sum = 0;
    const double h = 1e-6;
    for (std::size_t i = 0; i < Net::param_storage; ++i) {
        const double keep = p->values[i];
        p->values[i] = keep + h;
        const double up = loss_of<Net, Loss>(*p, in, targets, batch, ctx);
        p->values[i] = keep - h;
        const double down = loss_of<Net, Loss>(*p, in, targets, batch, ctx);
        p->values[i] = keep;
        const double numeric = (up - down) / (2 * h);
        diff += (grads[i] - numeric) * (grads[i] - numeric);
        sum += grads[i] * grads[i] + numeric * numeric;
    }
    return sum == 0 ? 0 : std::sqrt(diff) / std::sqrt(sum);
}

template <class Net>
std::vector<unsigned> random_labels(std::size_t batch, unsigned seed) {
    std::vector<unsigned> l(batch);
    for (std::size_t i = 0; i < batch; ++i) l[i] = static_cast<unsigned>((i * 7 + seed) % Net::output_size);
    return l;
}

} // namespace ctnn::test
