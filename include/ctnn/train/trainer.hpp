// ctnn::trainer<Net, Loss>: mini-batch training of a network type with any optimizer.
//
//   ctnn::trainer<net> t(params, {.epochs = 10, .batch_size = 64, .threads = 2});
//   ctnn::adam<float> opt(...);
//   auto history = t.fit(opt, train_set, validation_set);
//
// Each epoch shuffles the training set with a permutation drawn from (seed, epoch), runs
// forward_train / loss / backward / optimizer step per batch, then evaluates the
// validation set in inference mode. The best parameters by validation loss are kept (and
// restored at the end unless asked not to); on_epoch can save them. Training stops early
// after `patience` epochs without improvement. Progress goes to a terminal as one updating
// line (rate, ETA), or as plain lines when the output is not a terminal. Every buffer is
// allocated when fit() starts, none per batch.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "../core/thread_pool.hpp"
#include "../kernels/reference/dropout.hpp"
#include "../network/workspace.hpp"
#include "engine.hpp"
#include "loss.hpp"
#include "plot.hpp"

namespace ctnn {

/// A data set in memory: `count` samples of Net::input_size values, and their targets
/// (one class index per sample for cross-entropy, Net::output_size values otherwise).
template <class T, class Target>
struct dataset_view {
    std::span<const T> inputs;
    std::span<const Target> targets;
    std::size_t count = 0;

    /// Samples [first, first + n).
    dataset_view slice(std::size_t first, std::size_t n) const {
        const std::size_t in_per = count ? inputs.size() / count : 0, t_per = count ? targets.size() / count : 0;
        return {inputs.subspan(first * in_per, n * in_per), targets.subspan(first * t_per, n * t_per), n};
    }
};

struct train_options {
    std::size_t epochs = 10;
    std::size_t batch_size = 64;
    std::size_t threads = 1;
    std::uint64_t seed = 1;
    /// Stop after this many epochs without a lower validation loss; 0 never stops early.
    std::size_t patience = 0;
    /// Put the best parameters (by validation loss) back when fit() returns.
    bool restore_best = true;
    std::string csv_path;  ///< per-epoch metrics, if not empty
    std::string plot_path; ///< SVG of the training curves, if not empty
    std::string plot_title = "ctnn training";
    std::ostream* log = &std::cout; ///< null for silence
    /// -1: a progress bar when stdout is a terminal; 0: plain lines; 1: always the bar.
    int progress = -1;
    /// Learning rate per epoch (from 1), if set.
    std::function<double(std::size_t)> learning_rate_schedule;
    /// Called after each epoch (after the CSV and plot are written) with the epoch's record
    /// and the parameters; record.improved says they are the best so far.
    std::function<void(const epoch_record&, std::span<const std::byte>)> on_epoch;
};

template <class Net, class Loss = softmax_cross_entropy>
class trainer {
    using T = typename Net::value_type;
    using params_type = typename Net::parameters;

  public:
    trainer(params_type& params, train_options options) : params_(params), options_(std::move(options)) {
        if (options_.batch_size == 0) throw std::invalid_argument("ctnn::trainer: batch_size must be at least 1");
        if (options_.threads == 0) options_.threads = 1;
    }

    const train_options& options() const noexcept { return options_; }

    /// Trains for options().epochs epochs (fewer if patience runs out); returns one record per epoch.
    template <class Optimizer, class Target>
    std::vector<epoch_record> fit(Optimizer& optimizer, dataset_view<T, Target> train,
                                  dataset_view<T, Target> validation) {
        check(train, "training set");
        if (validation.count) check(validation, "validation set");
        if (train.count == 0) throw std::invalid_argument("ctnn::trainer::fit: the training set is empty");

        thread_pool pool(options_.threads);
        const std::size_t batch_cap = std::min(options_.batch_size, train.count);
        training_workspace<Net> ws(batch_cap);
        std::vector<T> batch_in(batch_cap * Net::input_size);
        std::vector<Target> batch_targets(batch_cap * targets_per_sample);
        std::vector<std::size_t> order(train.count);
        auto best = std::make_unique<params_type>(params_);
        double best_loss = 1e300;
        std::size_t since_best = 0;
        std::vector<epoch_record> history;
        const bool bar = options_.progress == 1 || (options_.progress == -1 && ::isatty(STDOUT_FILENO));
        std::uint64_t step = 0;

        for (std::size_t epoch = 1; epoch <= options_.epochs; ++epoch) {
            if (options_.learning_rate_schedule) optimizer.set_learning_rate(options_.learning_rate_schedule(epoch));
            shuffle(order, epoch);
            const auto start = std::chrono::steady_clock::now();
            loss_stats train_stats;
            for (std::size_t first = 0; first < train.count; first += batch_cap) {
                const std::size_t n = std::min(batch_cap, train.count - first);
                gather(train, order, first, n, batch_in, batch_targets);
                const train_context ctx{options_.seed, step++, 0};
                forward_train<Net>(params_, batch_in.data(), n, ws, ctx, &pool);
                train_stats += Loss::template evaluate<Net, Target>(
                    train_output<Net>(ws, n, batch_in.data()), std::span<const Target>(batch_targets), n, ws.delta(0));
                backward<Net, Loss::template start_entry<Net>>(params_, batch_in.data(), n, ws, ctx, &pool);
                const std::span<T> values(params_.values);
                const std::span<const T> grads(ws.gradients());
                if constexpr (requires { optimizer.step(values, grads, &pool); })
                    optimizer.step(values, grads, &pool); // ctnn's optimizers: pieces over the pool
                else
                    optimizer.step(values, grads);
                if (bar) progress(epoch, first + n, train.count, start, train_stats);
            }
            epoch_record r;
            r.epoch = epoch;
            r.train_loss = train_stats.mean_loss();
            r.train_accuracy = train_stats.accuracy();
            const loss_stats val = validation.count ? evaluate(validation, pool) : train_stats;
            r.val_loss = val.mean_loss();
            r.val_accuracy = val.accuracy();
            r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            r.learning_rate = optimizer.learning_rate();
            r.improved = r.val_loss < best_loss;
            if (r.improved) {
                best_loss = r.val_loss;
                *best = params_;
                since_best = 0;
            } else {
                ++since_best;
            }
            history.push_back(r);
            report(r, bar, validation.count != 0);
            if (!options_.csv_path.empty()) write_csv(history);
            if (!options_.plot_path.empty()) write_training_plot(options_.plot_path, history, options_.plot_title);
            if (options_.on_epoch)
                options_.on_epoch(r, std::as_bytes(std::span<const T>(params_.values)));
            if (options_.patience && since_best >= options_.patience) {
                if (options_.log) *options_.log << "no improvement for " << since_best << " epochs: stopping early\n";
                break;
            }
        }
        if (options_.restore_best) params_ = *best;
        return history;
    }

    /// Loss and accuracy in inference mode (running statistics, no dropout), batched and
    /// spread over `threads` threads.
    template <class Target>
    loss_stats evaluate(dataset_view<T, Target> data) {
        thread_pool pool(options_.threads);
        return evaluate(data, pool);
    }

  private:
    static constexpr std::size_t targets_per_sample = Loss::template targets_per_sample<Net>;

    template <class Target>
    static void check(const dataset_view<T, Target>& d, const char* what) {
        if (d.inputs.size() != d.count * Net::input_size || d.targets.size() != d.count * targets_per_sample)
            throw std::invalid_argument(std::string("ctnn::trainer: the ") + what + " has " + std::to_string(d.count) +
                                        " samples, so it needs " + std::to_string(d.count * Net::input_size) +
                                        " input values and " + std::to_string(d.count * targets_per_sample) +
                                        " targets; it has " + std::to_string(d.inputs.size()) + " and " +
                                        std::to_string(d.targets.size()));
    }

    /// Fisher-Yates with a generator seeded by (seed, epoch): the same order on every machine.
    void shuffle(std::vector<std::size_t>& order, std::size_t epoch) const {
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::uint64_t state = kernels::reference::mix64(options_.seed ^ (0x5348554646ull + epoch));
        for (std::size_t i = order.size(); i > 1; --i) {
            state = kernels::reference::mix64(state);
            std::swap(order[i - 1], order[state % i]);
        }
    }

    template <class Target>
    static void gather(const dataset_view<T, Target>& d, const std::vector<std::size_t>& order, std::size_t first,
                       std::size_t n, std::vector<T>& in, std::vector<Target>& targets) {
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t s = order[first + k];
            std::copy_n(d.inputs.data() + s * Net::input_size, Net::input_size, in.data() + k * Net::input_size);
            std::copy_n(d.targets.data() + s * targets_per_sample, targets_per_sample,
                        targets.data() + k * targets_per_sample);
        }
    }

    template <class Target>
    loss_stats evaluate(const dataset_view<T, Target>& d, thread_pool& pool) {
        constexpr std::size_t batch = 256;
        const std::size_t cap = std::min(batch, d.count);
        workspace<Net> ws(cap);
        std::vector<T> out(cap * Net::output_size);
        loss_stats total;
        for (std::size_t first = 0; first < d.count; first += cap) {
            const std::size_t n = std::min(cap, d.count - first);
            const T* in = d.inputs.data() + first * Net::input_size;
            detail::for_each_chunk(&pool, n, [&](std::size_t, std::size_t f, std::size_t count) {
                Net::run(params_.values.data(), in + f * Net::input_size, out.data() + f * Net::output_size,
                         ws.span().data() + f * Net::workspace_size, count);
            });
            total += Loss::template evaluate<Net, Target>(out.data(), d.targets.subspan(first * targets_per_sample),
                                                          n, nullptr);
        }
        return total;
    }

    void progress(std::size_t epoch, std::size_t done, std::size_t total,
                  std::chrono::steady_clock::time_point start, const loss_stats& s) {
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - last_bar_ < std::chrono::milliseconds(100)) return;
        last_bar_ = now;
        const double secs = std::chrono::duration<double>(now - start).count();
        const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
        const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
        constexpr int width = 24;
        const int filled = static_cast<int>(width * static_cast<double>(done) / static_cast<double>(total));
        char line[200];
        std::snprintf(line, sizeof line, "\r epoch %zu/%zu [%.*s%*s] %zu/%zu  %.0f img/s  ETA %ds  loss %.4f  acc %.2f%% ",
                      epoch, options_.epochs, filled, "========================", width - filled, "", done, total,
                      rate, static_cast<int>(eta + 0.5), s.mean_loss(), 100 * s.accuracy());
        std::fputs(line, stdout);
        std::fflush(stdout);
    }

    void report(const epoch_record& r, bool bar, bool has_validation) {
        if (bar) {
            std::fputs("\r\033[K", stdout);
            std::fflush(stdout);
        }
        if (!options_.log) return;
        char line[256];
        std::snprintf(line, sizeof line,
                      "epoch %zu/%zu  %.2fs  train loss %.4f acc %.2f%%  %s loss %.4f acc %.2f%%%s\n", r.epoch,
                      options_.epochs, r.seconds, r.train_loss, 100 * r.train_accuracy,
                      has_validation ? "val" : "(no val)", r.val_loss, 100 * r.val_accuracy,
                      r.improved ? "  *best" : "");
        *options_.log << line << std::flush;
    }

    void write_csv(const std::vector<epoch_record>& h) const {
        std::ofstream f(options_.csv_path, std::ios::binary | std::ios::trunc);
        if (!f) throw std::runtime_error("ctnn::trainer: cannot open " + options_.csv_path + " for writing");
        f << "epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds,learning_rate,improved\n";
        char line[256];
        for (const auto& r : h) {
            std::snprintf(line, sizeof line, "%zu,%.6f,%.6f,%.6f,%.6f,%.3f,%.6g,%d\n", r.epoch, r.train_loss,
                          r.train_accuracy, r.val_loss, r.val_accuracy, r.seconds, r.learning_rate,
                          r.improved ? 1 : 0);
            f << line;
        }
        if (!f) throw std::runtime_error("ctnn::trainer: writing " + options_.csv_path + " failed");
    }

    params_type& params_;
    train_options options_;
    std::chrono::steady_clock::time_point last_bar_{};
};

} // namespace ctnn
