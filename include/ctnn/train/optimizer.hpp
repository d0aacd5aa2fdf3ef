// Optimizers over a network's parameter block, with the semantics of torch.optim (1.13,
// single-tensor path): sgd (momentum, dampening, Nesterov), adagrad, adadelta, rmsprop
// (momentum, centered) and adam (amsgrad). Weight decay is L2 added to the gradient, as
// torch does: g += weight_decay * w.
//
// Layout: params, grads and every state slot share the parameter block's layout
// (Net::param_storage elements). step() walks only the trainable ranges of Net::tensors,
// so non-trainable tensors (running statistics) and the alignment gaps between layers are
// never read as parameters nor written. State is one aligned allocation made at
// construction; step() allocates nothing. Hyperparameters are held in double, turned into
// the element type once per step, and each range is one plain loop the compiler can vectorize.
//
// Threads: step(params, grads, pool) cuts the trainable ranges into pieces of at most
// optimizer_piece elements (trainable_pieces) and runs them over the caller's thread pool.
// Every update is element by element, so the result is the same bits whatever the pool.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "../core/config.hpp"
#include "../core/layer.hpp"
#include "../core/thread_pool.hpp"

namespace ctnn {

/// Elements [offset, offset + size) of a parameter block.
struct param_range {
    std::size_t offset;
    std::size_t size;
    constexpr bool operator==(const param_range&) const = default;
};

namespace detail {

/// The trainable tensors of Net sorted by offset, adjacent ones merged; `count` ranges used.
template <class Net>
constexpr auto collect_trainable_ranges() {
    constexpr std::size_t n = Net::tensors.size();
    struct result {
        std::array<param_range, n> ranges{};
        std::size_t count = 0;
    } r{};
    std::array<param_range, n> sorted{};
    std::size_t m = 0;
    for (const network_tensor& t : Net::tensors)
        if (t.tensor.trainable && t.tensor.size > 0) sorted[m++] = {t.offset, t.tensor.size};
    for (std::size_t i = 1; i < m; ++i) // insertion sort: constexpr, and tensors come nearly sorted
        for (std::size_t j = i; j > 0 && sorted[j].offset < sorted[j - 1].offset; --j) std::swap(sorted[j], sorted[j - 1]);
    for (std::size_t i = 0; i < m; ++i) {
        if (r.count > 0 && r.ranges[r.count - 1].offset + r.ranges[r.count - 1].size == sorted[i].offset)
            r.ranges[r.count - 1].size += sorted[i].size;
        else
            r.ranges[r.count++] = sorted[i];
    }
    return r;
}

} // namespace detail

/// The trainable parts of Net's parameter block, in block order, adjacent tensors merged
/// (a conv2d's weight and bias make one range).
template <class Net>
constexpr auto trainable_ranges() {
    constexpr auto r = detail::collect_trainable_ranges<Net>();
    std::array<param_range, r.count> out{};
    for (std::size_t i = 0; i < r.count; ++i) out[i] = r.ranges[i];
    return out;
}

/// Elements of one task of an optimizer step over a thread pool: 4096 floats are 16 KB per
/// array, a few microseconds of an update, several times a task's hand-over.
inline constexpr std::size_t optimizer_piece = 4096;

/// trainable_ranges<Net>() cut into pieces of at most Piece elements, in block order (each
/// range's last piece shorter): the tasks of an optimizer step over a thread pool.
template <class Net, std::size_t Piece = optimizer_piece>
constexpr auto trainable_pieces() {
    static_assert(Piece > 0);
    constexpr auto ranges = trainable_ranges<Net>();
    constexpr std::size_t count = [] {
        std::size_t c = 0;
        for (const param_range r : trainable_ranges<Net>()) c += (r.size + Piece - 1) / Piece;
        return c;
    }();
    std::array<param_range, count> out{};
    std::size_t k = 0;
    for (const param_range r : ranges)
        for (std::size_t at = 0; at < r.size; at += Piece) out[k++] = {r.offset + at, std::min(Piece, r.size - at)};
    return out;
}

struct sgd_options {
    double learning_rate = 0.01;
    double momentum = 0;
    double dampening = 0;
    bool nesterov = false;
    double weight_decay = 0;
};

struct adagrad_options {
    double learning_rate = 0.01;
    double lr_decay = 0;
    double weight_decay = 0;
    double initial_accumulator_value = 0;
    double eps = 1e-10;
};

struct adadelta_options {
    double learning_rate = 1.0;
    double rho = 0.9;
    double eps = 1e-6;
    double weight_decay = 0;
};

struct rmsprop_options {
    double learning_rate = 0.01;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0;
    double momentum = 0;
    bool centered = false;
};

struct adam_options {
    double learning_rate = 0.001;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0;
    bool amsgrad = false;
};

namespace detail {

inline void check_option(bool ok, const char* optimizer, const char* rule, double given) {
    if (!ok) {
        char value[32];
        std::snprintf(value, sizeof value, "%g", given);
        throw std::invalid_argument(std::string("ctnn::") + optimizer + ": " + rule + "; got " + value);
    }
}

/// What every optimizer shares: the learning rate, the step count, and `slots` state arrays
/// of Net::param_storage elements in one aligned, zeroed allocation.
template <class Net>
class optimizer_base {
  public:
    using network = Net;
    using value_type = typename Net::value_type;

    double learning_rate() const noexcept { return lr_; }
    /// For schedules: takes effect at the next step.
    void set_learning_rate(double lr) {
        check_option(lr >= 0, name_, "the learning rate must be >= 0", lr);
        lr_ = lr;
    }
    /// Steps taken since construction or reset().
    std::size_t steps() const noexcept { return steps_; }
    /// The state arrays one after another, each in the parameter block's layout.
    std::span<const value_type> state() const noexcept { return {state_.get(), size_}; }

    optimizer_base(const optimizer_base& o) : optimizer_base(o.name_, o.lr_, o.slots_) {
        steps_ = o.steps_;
        std::copy_n(o.state_.get(), size_, state_.get());
    }
    optimizer_base(optimizer_base&&) noexcept = default;
    optimizer_base& operator=(const optimizer_base& o) {
        if (this != &o) *this = optimizer_base(o);
        return *this;
    }
    optimizer_base& operator=(optimizer_base&&) noexcept = default;
    ~optimizer_base() = default;

  protected:
    using T = value_type;
    static constexpr auto pieces = trainable_pieces<Net>();

    /// f(offset, size) for every piece of the trainable ranges: over the pool when given,
    /// else in block order on this thread.
    template <class F>
    static void for_each_piece(thread_pool* pool, F&& f) {
        for_each_task(pool, pieces.size(), [&](std::size_t k) { f(pieces[k].offset, pieces[k].size); });
    }

    optimizer_base(const char* name, double lr, std::size_t slots)
        : name_(name), lr_(lr), slots_(slots), size_(slots * Net::param_storage),
          state_(static_cast<T*>(::operator new[]((size_ > 0 ? size_ : 1) * sizeof(T), std::align_val_t{alignment}))) {
        set_learning_rate(lr);
        clear(T(0));
    }

    T* slot(std::size_t k) noexcept { return state_.get() + k * Net::param_storage; }
    void clear(T value) noexcept {
        std::fill_n(state_.get(), size_, value);
        steps_ = 0;
    }
    void check_sizes(std::size_t params, std::size_t grads) const {
        if (params != Net::param_storage || grads != Net::param_storage)
            throw std::invalid_argument(std::string("ctnn::") + name_ + "::step: params and grads must each hold " +
                                        std::to_string(Net::param_storage) + " values (Net::param_storage); got " +
                                        std::to_string(params) + " and " + std::to_string(grads));
    }

    const char* name_;
    double lr_;
    std::size_t steps_ = 0;

  private:
    struct deleter {
        void operator()(T* p) const noexcept { ::operator delete[](p, std::align_val_t{alignment}); }
    };
    std::size_t slots_, size_;
    std::unique_ptr<T, deleter> state_;
};

} // namespace detail

/// Stochastic gradient descent as torch.optim.SGD: plain, with momentum (the first step
/// seeds the buffer with the gradient), dampening, and Nesterov.
///
///     ctnn::sgd<net> opt({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
///     opt.step(params.values, ws.gradients());        // or (..., &pool): pieces over a thread_pool
template <class Net>
class sgd : public detail::optimizer_base<Net> {
    using base = detail::optimizer_base<Net>;
    using T = typename base::value_type;

  public:
    using options = sgd_options;

    explicit sgd(const options& o = {}) : base("sgd", o.learning_rate, o.momentum != 0 ? 1 : 0), o_(o) {
        detail::check_option(o.momentum >= 0, "sgd", "momentum must be >= 0", o.momentum);
        detail::check_option(o.weight_decay >= 0, "sgd", "weight_decay must be >= 0", o.weight_decay);
        if (o.nesterov && !(o.momentum > 0 && o.dampening == 0))
            throw std::invalid_argument("ctnn::sgd: Nesterov momentum needs momentum > 0 and dampening 0");
    }

    const options& settings() const noexcept { return o_; }
    void reset() noexcept { this->clear(T(0)); }

    void step(std::span<T> params, std::span<const T> grads, thread_pool* pool = nullptr) {
        this->check_sizes(params.size(), grads.size());
        const T lr = static_cast<T>(this->lr_), wd = static_cast<T>(o_.weight_decay);
        const T mu = static_cast<T>(o_.momentum), keep = static_cast<T>(1 - o_.dampening);
        const bool first = this->steps_ == 0;
        base::for_each_piece(pool, [&](std::size_t offset, std::size_t n) {
            T* p = params.data() + offset;
            const T* g = grads.data() + offset;
            if (o_.momentum == 0) {
                for (std::size_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + wd * p[i]);
                return;
            }
            T* buf = this->slot(0) + offset;
            if (first)
                for (std::size_t i = 0; i < n; ++i) buf[i] = g[i] + wd * p[i];
            else
                for (std::size_t i = 0; i < n; ++i) buf[i] = buf[i] * mu + keep * (g[i] + wd * p[i]);
            if (o_.nesterov)
                for (std::size_t i = 0; i < n; ++i) p[i] -= lr * ((g[i] + wd * p[i]) + mu * buf[i]);
            else
                for (std::size_t i = 0; i < n; ++i) p[i] -= lr * buf[i];
        });
        ++this->steps_;
    }

  private:
    options o_;
};

/// Adagrad as torch.optim.Adagrad: lr / (1 + (step - 1) * lr_decay) * g / (sqrt(sum g^2) + eps).
template <class Net>
class adagrad : public detail::optimizer_base<Net> {
    using base = detail::optimizer_base<Net>;
    using T = typename base::value_type;

  public:
    using options = adagrad_options;

    explicit adagrad(const options& o = {}) : base("adagrad", o.learning_rate, 1), o_(o) {
        detail::check_option(o.lr_decay >= 0, "adagrad", "lr_decay must be >= 0", o.lr_decay);
        detail::check_option(o.weight_decay >= 0, "adagrad", "weight_decay must be >= 0", o.weight_decay);
        detail::check_option(o.initial_accumulator_value >= 0, "adagrad", "initial_accumulator_value must be >= 0",
                             o.initial_accumulator_value);
        detail::check_option(o.eps >= 0, "adagrad", "eps must be >= 0", o.eps);
        reset();
    }

    const options& settings() const noexcept { return o_; }
    void reset() noexcept { this->clear(static_cast<T>(o_.initial_accumulator_value)); }

    void step(std::span<T> params, std::span<const T> grads, thread_pool* pool = nullptr) {
        this->check_sizes(params.size(), grads.size());
        ++this->steps_;
        const double clr = this->lr_ / (1 + static_cast<double>(this->steps_ - 1) * o_.lr_decay);
        const T neg_clr = static_cast<T>(-clr), wd = static_cast<T>(o_.weight_decay), eps = static_cast<T>(o_.eps);
        base::for_each_piece(pool, [&](std::size_t offset, std::size_t n) {
            T* p = params.data() + offset;
            const T* g = grads.data() + offset;
            T* sum = this->slot(0) + offset;
            for (std::size_t i = 0; i < n; ++i) {
                const T gi = g[i] + wd * p[i];
                sum[i] += gi * gi;
                p[i] += neg_clr * gi / (std::sqrt(sum[i]) + eps);
            }
        });
    }

  private:
    options o_;
};

/// Adadelta as torch.optim.Adadelta (learning rate 1 by default).
template <class Net>
class adadelta : public detail::optimizer_base<Net> {
    using base = detail::optimizer_base<Net>;
    using T = typename base::value_type;

  public:
    using options = adadelta_options;

    explicit adadelta(const options& o = {}) : base("adadelta", o.learning_rate, 2), o_(o) {
        detail::check_option(o.rho >= 0 && o.rho <= 1, "adadelta", "rho must be in [0, 1]", o.rho);
        detail::check_option(o.eps >= 0, "adadelta", "eps must be >= 0", o.eps);
        detail::check_option(o.weight_decay >= 0, "adadelta", "weight_decay must be >= 0", o.weight_decay);
    }

    const options& settings() const noexcept { return o_; }
    void reset() noexcept { this->clear(T(0)); }

    void step(std::span<T> params, std::span<const T> grads, thread_pool* pool = nullptr) {
        this->check_sizes(params.size(), grads.size());
        const T neg_lr = static_cast<T>(-this->lr_), wd = static_cast<T>(o_.weight_decay);
        const T rho = static_cast<T>(o_.rho), one_minus_rho = static_cast<T>(1 - o_.rho), eps = static_cast<T>(o_.eps);
        base::for_each_piece(pool, [&](std::size_t offset, std::size_t n) {
            T* p = params.data() + offset;
            const T* g = grads.data() + offset;
            T* square_avg = this->slot(0) + offset;
            T* acc_delta = this->slot(1) + offset;
            for (std::size_t i = 0; i < n; ++i) {
                const T gi = g[i] + wd * p[i];
                square_avg[i] = square_avg[i] * rho + one_minus_rho * gi * gi;
                const T delta = std::sqrt(acc_delta[i] + eps) / std::sqrt(square_avg[i] + eps) * gi;
                acc_delta[i] = acc_delta[i] * rho + one_minus_rho * delta * delta;
                p[i] += neg_lr * delta;
            }
        });
        ++this->steps_;
    }

  private:
    options o_;
};

/// RMSprop as torch.optim.RMSprop: optional momentum buffer and centered variance.
template <class Net>
class rmsprop : public detail::optimizer_base<Net> {
    using base = detail::optimizer_base<Net>;
    using T = typename base::value_type;

  public:
    using options = rmsprop_options;

    explicit rmsprop(const options& o = {})
        : base("rmsprop", o.learning_rate, 1 + (o.momentum > 0 ? 1 : 0) + (o.centered ? 1 : 0)), o_(o) {
        detail::check_option(o.alpha >= 0, "rmsprop", "alpha must be >= 0", o.alpha);
        detail::check_option(o.eps >= 0, "rmsprop", "eps must be >= 0", o.eps);
        detail::check_option(o.momentum >= 0, "rmsprop", "momentum must be >= 0", o.momentum);
        detail::check_option(o.weight_decay >= 0, "rmsprop", "weight_decay must be >= 0", o.weight_decay);
    }

    const options& settings() const noexcept { return o_; }
    void reset() noexcept { this->clear(T(0)); }

    void step(std::span<T> params, std::span<const T> grads, thread_pool* pool = nullptr) {
        this->check_sizes(params.size(), grads.size());
        const T lr = static_cast<T>(this->lr_), wd = static_cast<T>(o_.weight_decay), eps = static_cast<T>(o_.eps);
        const T alpha = static_cast<T>(o_.alpha), one_minus_alpha = static_cast<T>(1 - o_.alpha);
        const T mu = static_cast<T>(o_.momentum);
        const bool momentum = o_.momentum > 0;
        base::for_each_piece(pool, [&](std::size_t offset, std::size_t n) {
            T* p = params.data() + offset;
            const T* g = grads.data() + offset;
            T* square_avg = this->slot(0) + offset;
            T* buf = momentum ? this->slot(1) + offset : nullptr;
            T* grad_avg = o_.centered ? this->slot(momentum ? 2 : 1) + offset : nullptr;
            auto update = [&](auto centered, auto with_momentum) {
                for (std::size_t i = 0; i < n; ++i) {
                    const T gi = g[i] + wd * p[i];
                    square_avg[i] = square_avg[i] * alpha + one_minus_alpha * gi * gi;
                    T avg;
                    if constexpr (decltype(centered)::value) {
                        grad_avg[i] = grad_avg[i] * alpha + one_minus_alpha * gi;
                        avg = std::sqrt(square_avg[i] - grad_avg[i] * grad_avg[i]) + eps;
                    } else {
                        avg = std::sqrt(square_avg[i]) + eps;
                    }
                    if constexpr (decltype(with_momentum)::value) {
                        buf[i] = buf[i] * mu + gi / avg;
                        p[i] -= lr * buf[i];
                    } else {
                        p[i] -= lr * gi / avg;
                    }
                }
            };
            using yes = std::true_type;
            using no = std::false_type;
            if (o_.centered)
                momentum ? update(yes{}, yes{}) : update(yes{}, no{});
            else
                momentum ? update(no{}, yes{}) : update(no{}, no{});
        });
        ++this->steps_;
    }

  private:
    options o_;
};

/// Adam as torch.optim.Adam, with bias correction; amsgrad optional.
template <class Net>
class adam : public detail::optimizer_base<Net> {
    using base = detail::optimizer_base<Net>;
    using T = typename base::value_type;

  public:
    using options = adam_options;

    explicit adam(const options& o = {}) : base("adam", o.learning_rate, o.amsgrad ? 3 : 2), o_(o) {
        detail::check_option(o.beta1 >= 0 && o.beta1 < 1, "adam", "beta1 must be in [0, 1)", o.beta1);
        detail::check_option(o.beta2 >= 0 && o.beta2 < 1, "adam", "beta2 must be in [0, 1)", o.beta2);
        detail::check_option(o.eps >= 0, "adam", "eps must be >= 0", o.eps);
        detail::check_option(o.weight_decay >= 0, "adam", "weight_decay must be >= 0", o.weight_decay);
    }

    const options& settings() const noexcept { return o_; }
    void reset() noexcept { this->clear(T(0)); }

    void step(std::span<T> params, std::span<const T> grads, thread_pool* pool = nullptr) {
        this->check_sizes(params.size(), grads.size());
        ++this->steps_;
        const double t = static_cast<double>(this->steps_);
        const double correction1 = 1 - std::pow(o_.beta1, t), correction2 = 1 - std::pow(o_.beta2, t);
        const T neg_step_size = static_cast<T>(-(this->lr_ / correction1));
        const T correction2_sqrt = static_cast<T>(std::sqrt(correction2));
        const T wd = static_cast<T>(o_.weight_decay), eps = static_cast<T>(o_.eps);
        const T beta1 = static_cast<T>(o_.beta1), one_minus_beta1 = static_cast<T>(1 - o_.beta1);
        const T beta2 = static_cast<T>(o_.beta2), one_minus_beta2 = static_cast<T>(1 - o_.beta2);
        base::for_each_piece(pool, [&](std::size_t offset, std::size_t n) {
            T* p = params.data() + offset;
            const T* g = grads.data() + offset;
            T* m = this->slot(0) + offset;
            T* v = this->slot(1) + offset;
            if (o_.amsgrad) {
                T* v_max = this->slot(2) + offset;
                for (std::size_t i = 0; i < n; ++i) {
                    const T gi = g[i] + wd * p[i];
                    m[i] = m[i] * beta1 + one_minus_beta1 * gi;
                    v[i] = v[i] * beta2 + one_minus_beta2 * gi * gi;
                    v_max[i] = std::max(v_max[i], v[i]);
                    p[i] += neg_step_size * m[i] / (std::sqrt(v_max[i]) / correction2_sqrt + eps);
                }
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    const T gi = g[i] + wd * p[i];
                    m[i] = m[i] * beta1 + one_minus_beta1 * gi;
                    v[i] = v[i] * beta2 + one_minus_beta2 * gi * gi;
                    p[i] += neg_step_size * m[i] / (std::sqrt(v[i]) / correction2_sqrt + eps);
                }
            }
        });
    }

  private:
    options o_;
};

/// An optimizer for Net: step(params, grads) over Net's parameter block, a learning rate to
/// read and set (schedules), reset() to forget the state.
template <class O, class Net>
concept optimizer_for =
    std::same_as<typename O::network, Net> &&
    requires(O& o, const O& co, std::span<typename Net::value_type> params,
             std::span<const typename Net::value_type> grads, double lr) {
        o.step(params, grads);
        { co.learning_rate() } -> std::same_as<double>;
        o.set_learning_rate(lr);
        o.reset();
        { co.steps() } -> std::same_as<std::size_t>;
    };

} // namespace ctnn
