// ctnn::model<Net>: a network's parameters and a workspace in one object, for programs that
// want `model.forward(in, out)`. Allocates at construction only.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "workspace.hpp"

namespace ctnn {

template <class Net>
class model {
    using T = typename Net::value_type;

  public:
    using network_type = Net;
    using parameters = typename Net::parameters;

    /// Parameters start at zero; `batch_capacity` bounds the batch of one forward().
    explicit model(std::size_t batch_capacity = 1)
        : params_(std::make_unique<parameters>()), workspace_(batch_capacity) {}

    parameters& params() noexcept { return *params_; }
    const parameters& params() const noexcept { return *params_; }
    std::size_t batch_capacity() const noexcept { return workspace_.capacity(); }

    /// `in`: N samples of Net::input_size values; `out`: N * Net::output_size values.
    void forward(std::span<const T> in, std::span<T> out) { Net::forward(*params_, in, out, workspace_); }

  private:
    std::unique_ptr<parameters> params_;
    workspace<Net> workspace_;
};

} // namespace ctnn
