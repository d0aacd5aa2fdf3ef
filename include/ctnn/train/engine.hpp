// Training passes over a network type: a forward pass that keeps the activations backward
// needs, and a backward pass that accumulates parameter gradients.
//
// Activation plan (compile time): entry I's output lives in a slot; a new slot per entry,
// except that flatten and element-wise entries reuse their input's slot when no backward
// reads what they overwrite (conv -> relu keeps one slot: conv's backward reads its input,
// relu's reads its output). Slot 0 is the caller's input. Per sample, slots are laid out
// one after another, each aligned; a batch of N puts slot s at N * slot_offset[s].
// Deltas: two ping-pong buffers as large as the largest activation; element-wise entries
// turn their dout into din in place. Gradients use the parameter block's layout and are
// summed over the batch (the loss's delta carries the 1/N of a mean).
//
// Threads: a batch is cut into at most max_chunks chunks of equal size (the last shorter),
// a split that depends on the batch size only. Each layer runs chunk by chunk over the
// caller's thread pool; each chunk adds its gradients into its own buffer, and the buffers
// are summed in chunk order. Layers whose weight gradient is one GEMM over the batch
// (dense, most of a classifier's parameters) instead compute it in pieces of output rows
// over the whole batch, straight into the gradient block, while din goes chunk by chunk:
// no per-chunk copy of those gradients to zero and sum. Either way the split depends on
// the shapes only, so the same inputs give bit-identical gradients whatever the number of
// threads. Layers whose batch statistics couple samples (batch_norm) run on the whole
// batch at once.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "../core/config.hpp"
#include "../core/layer.hpp"
#include "../core/thread_pool.hpp"

namespace ctnn {

namespace detail {

/// How a batch is cut for threads: depends on the batch only, never on the thread count.
struct batch_chunks {
    static constexpr std::size_t max_chunks = 8;
    std::size_t size, count;
    explicit constexpr batch_chunks(std::size_t batch) noexcept
        : size(batch == 0 ? 1 : (batch + max_chunks - 1) / max_chunks), count((batch + size - 1) / size) {}
    constexpr std::size_t first(std::size_t c) const noexcept { return c * size; }
    constexpr std::size_t length(std::size_t c, std::size_t batch) const noexcept {
        return c * size + size <= batch ? size : batch - c * size;
    }
};

template <class L>
consteval bool is_batch_coupled() {
    if constexpr (requires { L::batch_coupled; })
        return L::batch_coupled;
    else
        return false;
}
template <class L>
inline constexpr bool batch_coupled = is_batch_coupled<L>();

/// Layers whose weight gradient is one GEMM over the batch (dense) split backward in two:
/// backward_input per chunk of samples, and backward_params per piece of parameters over
/// the whole batch, written straight into the gradient block.
template <class L>
inline constexpr bool splits_params = requires { L::param_pieces; };

/// Scratch a layer's backward() wants per call (0 if it takes none).
template <class L>
consteval std::size_t scratch_of() {
    if constexpr (requires { L::scratch_size; })
        return L::scratch_size;
    else
        return 0;
}
template <class Net>
consteval std::size_t max_scratch() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        std::size_t m = 0;
        ((m = scratch_of<typename Net::template layer<I>>() > m ? scratch_of<typename Net::template layer<I>>() : m), ...);
        return m;
    }(std::make_index_sequence<Net::entry_count>{});
}

template <std::size_t Count>
struct training_plan {
    std::array<std::size_t, Count> slot{};        // slot of entry I's output (0: the caller's input)
    std::array<std::size_t, Count> slot_offset{}; // per sample, in elements, by slot
    std::size_t slots = 1;
    std::size_t activations = 0; // per sample
    std::size_t delta = 0;       // per sample, each of the two delta buffers
    std::array<std::size_t, Count> state_offset{}; // per batch, by entry
    std::size_t state = 0;
};

template <class Net>
constexpr auto make_training_plan() {
    constexpr std::size_t n = Net::entry_count;
    using T = typename Net::value_type;
    std::array<std::size_t, n> size{};
    std::array<std::size_t, n> state{};
    std::array<bool, n> elementwise{}, reads_in{}, reads_out{};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((size[I] = Net::template layer<I>::out_shape::size, elementwise[I] = Net::template layer<I>::elementwise,
          state[I] = Net::template layer<I>::state_size,
          reads_in[I] = Net::template layer<I>::backward_reads_input,
          reads_out[I] = Net::template layer<I>::backward_reads_output),
         ...);
    }(std::make_index_sequence<n>{});

    training_plan<n> p{};
    std::array<std::size_t, n> slot_size{};
    p.slot[0] = 0;
    for (std::size_t i = 1; i < n; ++i) {
        const std::size_t s = p.slot[i - 1];
        bool reuse = elementwise[i] && s != 0;
        // Overwriting slot s destroys every earlier output stored there, and the input of
        // every earlier entry that read from it.
        for (std::size_t j = 1; reuse && j < i; ++j) {
            if (p.slot[j] == s && reads_out[j]) reuse = false;
            if (p.slot[j - 1] == s && reads_in[j]) reuse = false;
        }
        if (reuse && reads_in[i]) reuse = false;
        if (reuse) {
            p.slot[i] = s;
        } else {
            p.slot[i] = p.slots++;
            slot_size[p.slot[i]] = size[i];
        }
        p.delta = size[i] > p.delta ? size[i] : p.delta;
    }
    p.delta = size[0] > p.delta ? size[0] : p.delta;
    std::size_t at = 0;
    for (std::size_t s = 1; s < p.slots; ++s) {
        p.slot_offset[s] = at;
        at += aligned_count<T>(slot_size[s]);
    }
    p.activations = at;
    for (std::size_t i = 0; i < n; ++i) {
        p.state_offset[i] = p.state;
        p.state += aligned_count<T>(state[i]);
    }
    return p;
}

} // namespace detail

/// What one training pass over Net needs besides parameters: activations, deltas and the
/// gradient block, for up to `capacity` samples. One heap allocation, at construction.
template <class Net>
class training_workspace {
    using T = typename Net::value_type;
    struct deleter {
        void operator()(T* p) const noexcept { ::operator delete[](p, std::align_val_t{alignment}); }
    };

  public:
    static constexpr auto plan = detail::make_training_plan<Net>();
    static constexpr std::size_t per_sample = plan.activations + 2 * detail::aligned_count<T>(plan.delta);

    static constexpr std::size_t grad_stride = detail::aligned_count<T>(Net::param_storage);
    /// Scratch of one chunk's backward (the largest a layer asks for).
    static constexpr std::size_t scratch_stride = detail::aligned_count<T>(detail::max_scratch<Net>());

    explicit training_workspace(std::size_t capacity)
        : capacity_(capacity),
          total_(capacity * per_sample + detail::batch_chunks::max_chunks * (grad_stride + scratch_stride) + plan.state),
          data_(static_cast<T*>(::operator new[]((total_ > 0 ? total_ : 1) * sizeof(T), std::align_val_t{alignment}))) {
        for (std::size_t i = 0; i < total_; ++i) data_.get()[i] = T(0);
    }

    std::size_t capacity() const noexcept { return capacity_; }

    /// Gradients of the last backward(), in the parameter block's layout.
    std::span<T, Net::param_storage> gradients() noexcept {
        return std::span<T, Net::param_storage>(chunk_gradients(0), Net::param_storage);
    }
    /// Chunk c's gradient buffer (chunk 0's is also where the sum lands).
    T* chunk_gradients(std::size_t c) noexcept { return data_.get() + capacity_ * per_sample + c * grad_stride; }

    /// Entry I's training state (BatchNorm's batch statistics).
    T* state(std::size_t entry) noexcept {
        return data_.get() + capacity_ * per_sample + detail::batch_chunks::max_chunks * grad_stride +
               plan.state_offset[entry];
    }

    /// Chunk c's scratch for layer kernels (scratch_stride elements).
    T* scratch(std::size_t c) noexcept {
        return data_.get() + capacity_ * per_sample + detail::batch_chunks::max_chunks * grad_stride + plan.state +
               c * scratch_stride;
    }

    /// Entry I's output for the last forward_train of `batch` samples (I >= 1).
    T* activation(std::size_t entry, std::size_t batch, const T* input) noexcept {
        const std::size_t s = plan.slot[entry];
        return s == 0 ? const_cast<T*>(input) : data_.get() + batch * plan.slot_offset[s];
    }
    /// Delta buffer k (0 or 1). backward() starts from the delta the loss wrote in buffer 0.
    T* delta(std::size_t k) noexcept {
        return data_.get() + capacity_ * plan.activations + k * capacity_ * detail::aligned_count<T>(plan.delta);
    }

  private:
    std::size_t capacity_, total_;
    std::unique_ptr<T, deleter> data_;
};

namespace detail {
template <class Net>
void check_training_batch(std::size_t batch, std::size_t capacity) {
    if (batch == 0 || batch > capacity)
        throw std::invalid_argument("ctnn::training: batch of " + std::to_string(batch) +
                                    " samples; the training workspace holds 1 to " + std::to_string(capacity));
}
} // namespace detail

namespace detail {
/// Runs f(c, first, count) for each chunk c of the batch over the pool (or inline).
template <class F>
void for_each_chunk(thread_pool* pool, std::size_t batch, F&& f) {
    const batch_chunks chunks(batch);
    for_each_task(pool, chunks.count, [&](std::size_t c) { f(c, chunks.first(c), chunks.length(c, batch)); });
}
} // namespace detail

/// Forward pass in training mode that keeps every activation backward needs. Layers that
/// train differently (batch_norm, dropout) run their training forward; batch_norm updates
/// its running statistics in params. `in` holds batch samples. With a pool, chunks of the
/// batch run on its threads.
template <class Net>
void forward_train(std::span<typename Net::value_type, Net::param_storage> params, const typename Net::value_type* in,
                   std::size_t batch, training_workspace<Net>& ws, const train_context& ctx = {},
                   thread_pool* pool = nullptr) {
    detail::check_training_batch<Net>(batch, ws.capacity());
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        (
            [&] {
                constexpr std::size_t I = K + 1;
                using L = typename Net::template layer<I>;
                const auto* x = ws.activation(I - 1, batch, in);
                auto* y = ws.activation(I, batch, in);
                auto* p = params.data() + Net::param_offset[I];
                auto* state = ws.state(I);
                auto run = [&](std::size_t first, std::size_t count) {
                    const auto* xs = x + first * L::in_shape::size;
                    auto* ys = y + first * L::out_shape::size;
                    if constexpr (requires { L::forward_train(xs, ys, p, state, count, ctx); }) {
                        train_context local = ctx;
                        local.first_sample = ctx.first_sample + first;
                        L::forward_train(xs, ys, p, state, count, local);
                    } else {
                        L::forward(xs, ys, p, count);
                    }
                };
                if constexpr (detail::batch_coupled<L>)
                    run(0, batch);
                else
                    detail::for_each_chunk(pool, batch, [&](std::size_t, std::size_t first, std::size_t count) {
                        run(first, count);
                    });
            }(),
            ...);
    }(std::make_index_sequence<Net::entry_count - 1>{});
}

/// The network's output after forward_train.
template <class Net>
const typename Net::value_type* train_output(training_workspace<Net>& ws, std::size_t batch,
                                             const typename Net::value_type* in) noexcept {
    return ws.activation(Net::entry_count - 1, batch, in);
}

/// Backward from entry `Start` down to entry 1, after forward_train on the same input and
/// context. The caller has written d(loss)/d(output of entry Start) into ws.delta(0).
/// Afterwards ws.gradients() holds this batch's gradients (summed over its samples); entry 1
/// passes no delta to the input.
template <class Net, std::size_t Start = Net::entry_count - 1>
void backward(std::span<const typename Net::value_type, Net::param_storage> params,
              const typename Net::value_type* in, std::size_t batch, training_workspace<Net>& ws,
              const train_context& ctx = {}, thread_pool* pool = nullptr) {
    using T = typename Net::value_type;
    static_assert(Start >= 1 && Start < Net::entry_count, "ctnn::backward: Start must name a layer entry");
    detail::check_training_batch<Net>(batch, ws.capacity());
    const detail::batch_chunks chunks(batch);
    // Gradients in chunk buffers: entries at or below Start that do not split their
    // parameters. Entries above Start get none (zero, in chunk 0); split entries write
    // theirs into chunk 0 themselves.
    constexpr auto chunked = [] {
        std::array<bool, Net::entry_count> c{};
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((c[I + 1] = I + 1 <= Start && !detail::splits_params<typename Net::template layer<I + 1>>), ...);
        }(std::make_index_sequence<Net::entry_count - 1>{});
        return c;
    }();
    auto param_range = [](std::size_t entry) { return std::pair{Net::param_offset[entry], Net::layer_param_count[entry]}; };
    detail::for_each_chunk(pool, batch, [&](std::size_t c, std::size_t, std::size_t) {
        T* g = ws.chunk_gradients(c);
        if (c == 0) {
            for (std::size_t i = 0; i < Net::param_storage; ++i) g[i] = T(0);
            return;
        }
        for (std::size_t e = 1; e < Net::entry_count; ++e)
            if (chunked[e]) {
                const auto [offset, count] = param_range(e);
                for (std::size_t i = offset; i < offset + count; ++i) g[i] = T(0);
            }
    });
    std::size_t current = 0; // delta buffer holding dout of the entry being processed
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        (
            [&] {
                constexpr std::size_t I = Start - K;
                using L = typename Net::template layer<I>;
                T* dout = ws.delta(current);
                T* din = nullptr;
                if constexpr (I > 1) {
                    if constexpr (L::elementwise) {
                        din = dout;
                    } else {
                        current ^= 1;
                        din = ws.delta(current);
                    }
                }
                if constexpr (I > 1 || L::param_count > 0) {
                    constexpr std::size_t in_size = L::in_shape::size, out_size = L::out_shape::size;
                    const T* x = ws.activation(I - 1, batch, in);
                    const T* y = ws.activation(I, batch, in);
                    const T* p = params.data() + Net::param_offset[I];
                    // The samples [first, ...) of x, y, dout and din.
                    struct slice_t {
                        const T *x, *y, *dout;
                        T* din;
                    };
                    auto slice = [&](std::size_t first) {
                        return slice_t{x + first * in_size, y + first * out_size, dout + first * out_size,
                                       din != nullptr ? din + first * in_size : nullptr};
                    };
                    if constexpr (detail::splits_params<L>) {
                        // One parallel region: din chunk by chunk (first, so chunk c's task
                        // has index c, as in every other layer), then the parameter pieces.
                        constexpr std::size_t pieces = L::param_pieces;
                        const std::size_t din_tasks = din != nullptr ? chunks.count : 0;
                        T* g = ws.chunk_gradients(0) + Net::param_offset[I];
                        auto task = [&](std::size_t k) {
                            if (k >= din_tasks) {
                                L::backward_params(x, y, dout, g, batch, k - din_tasks);
                            } else {
                                const slice_t s = slice(chunks.first(k));
                                L::backward_input(s.x, s.y, s.dout, s.din, p, chunks.length(k, batch));
                            }
                        };
                        detail::for_each_task(pool, din_tasks + pieces, task);
                    } else {
                        auto run = [&](std::size_t c, std::size_t first, std::size_t count) {
                            const slice_t s = slice(first);
                            T* g = ws.chunk_gradients(c) + Net::param_offset[I];
                            if constexpr (requires { L::backward_train(s.x, s.y, s.dout, s.din, p, g, ws.state(I), count, ctx); }) {
                                train_context local = ctx;
                                local.first_sample = ctx.first_sample + first;
                                L::backward_train(s.x, s.y, s.dout, s.din, p, g, ws.state(I), count, local);
                            } else if constexpr (detail::scratch_of<L>() > 0) {
                                L::backward(s.x, s.y, s.dout, s.din, p, g, count, ws.scratch(c));
                            } else {
                                L::backward(s.x, s.y, s.dout, s.din, p, g, count);
                            }
                        };
                        if constexpr (detail::batch_coupled<L>)
                            run(0, 0, batch);
                        else
                            detail::for_each_chunk(pool, batch, run);
                    }
                }
            }(),
            ...);
    }(std::make_index_sequence<Start>{});
    // Sum the chunked entries' gradients in chunk order, split over the pool by pieces of
    // each entry's range.
    if (chunks.count > 1) {
        constexpr std::size_t pieces = 16;
        auto sum = [&](std::size_t k) {
            T* total = ws.chunk_gradients(0);
            for (std::size_t e = 1; e < Net::entry_count; ++e) {
                if (!chunked[e]) continue;
                const auto [offset, count] = param_range(e);
                const std::size_t piece = (count + pieces - 1) / pieces;
                const std::size_t begin = offset + k * piece < offset + count ? offset + k * piece : offset + count;
                const std::size_t end = begin + piece < offset + count ? begin + piece : offset + count;
                for (std::size_t c = 1; c < chunks.count; ++c) {
                    const T* g = ws.chunk_gradients(c);
                    for (std::size_t i = begin; i < end; ++i) total[i] += g[i];
                }
            }
        };
        detail::for_each_task(pool, pieces, sum);
    }
}

} // namespace ctnn
