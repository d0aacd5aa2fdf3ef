// ctnn::basic_network<T, input<...>, Layers...>: a whole CNN as one type.
//
//   using net = ctnn::network<ctnn::input<1, 28, 28>, ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::relu, ...>;
//
// Everything about sizes is a constexpr member: output_shape, layer_shape<I>, param_count,
// param_bytes, workspace_bytes. forward() runs the batch (a runtime count, NCHW) through
// parameters and a workspace the caller owns, and allocates nothing.
//
// Inference fuses entries into one kernel call, bit-identical to running them apart:
//  * a conv2d or dense and the activation right after it, when the kernel can apply it as
//    it writes (relu, leaky_relu, clip, identity): one pass instead of two;
//  * a conv2d, optionally such an activation, and a max_pool2d or avg_pool2d the conv's
//    kernel can pool in (a direct kernel and a 2x2 stride-2 unpadded pool over exactly its
//    output: conv2d's fuses_pool): the un-pooled map is never written.
// fused_into_previous and fused_into name the fused entries. run_unfused() is the reference
// path: every entry on its own, with the plain plan (unfused_plan) and its own workspace
// size (unfused_workspace_size), which may exceed workspace_size. Training
// (train/engine.hpp) keeps every activation for backward and does not fuse.
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../core/config.hpp"
#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../core/output_part.hpp"
#include "layer_list.hpp"
#include "plan.hpp"

namespace ctnn {

class thread_pool; // core/thread_pool.hpp: include it to run forward() on several threads

namespace detail {

/// Next (an element-wise layer) can run inside Head's kernel: Head is a conv2d or dense
/// (fuses_activation) and Next's op is one the kernels apply as they write.
template <class Head, class Next>
concept fusable_pair = requires {
    requires Head::fuses_activation;
    requires Next::fusable_activation;
    typename Next::op_type;
};

/// Pool (a max_pool2d or avg_pool2d) can run inside Head's kernel: Head is a conv2d whose
/// kernel pools each pair of rows as it computes them (fuses_pool), over exactly Pool's input.
template <class Head, class Pool>
concept fusable_pool = requires {
    requires std::same_as<std::remove_cv_t<decltype(Pool::kind)>, pool_kind>;
    requires std::same_as<std::remove_cv_t<decltype(Pool::geometry)>, pool2d_geometry>;
    requires Pool::valid;
    requires Head::template fuses_pool<Pool::geometry>;
};

} // namespace detail

template <class T, class Input, class... Layers>
class basic_network {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "ctnn::basic_network: the element type must be float or double");
    static constexpr bool entries_ok = detail::check_first_entry<Input>() &&
                                       detail::check_not_empty<sizeof...(Layers)>() &&
                                       [] {
                                           return [&]<std::size_t... I>(std::index_sequence<I...>) {
                                               return (detail::check_entry<I + 1, Layers>() && ...);
                                           }(std::index_sequence_for<Layers...>{});
                                       }();
    static_assert(entries_ok || true); // instantiates the entry checks
    using bound_list = decltype(detail::bind_layers<T, entries_ok, Input, Layers...>());

  public:
    using value_type = T;
    /// Entries in the list, the input included (entry 0).
    static constexpr std::size_t entry_count = sizeof...(Layers) + 1;

    /// Entry I bound to its input shape: `layer<0>` is the input, `layer<1>` the first layer.
    template <std::size_t I>
    using layer = detail::bound_at<bound_list, I>;

    using input_shape_type = typename layer<0>::out_shape;
    using output_shape_type = typename layer<entry_count - 1>::out_shape;
    static constexpr input_shape_type input_shape{};
    static constexpr output_shape_type output_shape{};
    /// Output shape of entry I, per sample (entry 0: the input shape).
    template <std::size_t I>
    static constexpr typename layer<I>::out_shape layer_shape{};

    static constexpr std::size_t input_size = input_shape_type::size;
    static constexpr std::size_t output_size = output_shape_type::size;

  private:
    template <class F>
    static constexpr auto each_entry(F f) {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return std::array{f.template operator()<layer<I>>()...};
        }(std::make_index_sequence<entry_count>{});
    }

  public:
    /// The layer name of each entry ("input", "conv2d", ...).
    static constexpr std::array<std::string_view, entry_count> layer_names =
        each_entry([]<class L>() { return L::name; });
    /// Parameters of each entry (0 for layers without).
    static constexpr std::array<std::size_t, entry_count> layer_param_count =
        each_entry([]<class L>() { return L::param_count; });
    /// Where entry I's parameters start in the block, in elements (aligned).
    static constexpr std::array<std::size_t, entry_count> param_offset = [] {
        std::array<std::size_t, entry_count> off{};
        std::size_t at = 0;
        for (std::size_t i = 0; i < entry_count; ++i) {
            off[i] = at;
            at += detail::aligned_count<T>(layer_param_count[i]);
        }
        return off;
    }();
    /// Trainable numbers in the network.
    static constexpr std::size_t param_count = [] {
        std::size_t n = 0;
        for (auto c : layer_param_count) n += c;
        return n;
    }();
    /// Elements in the parameter block (param_count plus alignment gaps between layers).
    static constexpr std::size_t param_storage =
        param_offset[entry_count - 1] + detail::aligned_count<T>(layer_param_count[entry_count - 1]);
    static constexpr std::size_t param_bytes = param_storage * sizeof(T);

    /// Every parameter tensor of the network, in entry order: what checkpoints and importers
    /// walk. Named "<entry>.<tensor>" in files, e.g. "1.weight".
    static constexpr auto tensors = [] {
        constexpr std::size_t count = [] {
            return [&]<std::size_t... I>(std::index_sequence<I...>) { return (layer<I>::tensors.size() + ... + 0); }(
                std::make_index_sequence<entry_count>{});
        }();
        std::array<network_tensor, count> all{};
        std::size_t k = 0;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    for (const param_tensor& t : layer<I>::tensors) all[k++] = {I, t, param_offset[I] + t.offset};
                }(),
                ...);
        }(std::make_index_sequence<entry_count>{});
        return all;
    }();

    /// fused_into[I]: the entry whose kernel runs entry I in inference, in one pass with the
    /// same bits: I itself, or the head of I's fused step. The steps: a conv2d or dense and
    /// the activation right after it (relu, leaky_relu, clip, identity; only the first of two
    /// activations in a row); a conv2d, optionally such an activation, and a max_pool2d or
    /// avg_pool2d the conv2d's kernel pools in (its fuses_pool).
    static constexpr std::array<std::size_t, entry_count> fused_into = [] {
        std::array<std::size_t, entry_count> head{};
        for (std::size_t i = 0; i < entry_count; ++i) head[i] = i;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    constexpr std::size_t H = I + 1; // a conv2d or dense heads a step, nothing else
                    if constexpr (detail::fusable_pair<layer<H>, layer<H + 1>>) {
                        head[H + 1] = H;
                        if constexpr (H + 2 < entry_count) {
                            if constexpr (detail::fusable_pool<layer<H>, layer<H + 2>>) head[H + 2] = H;
                        }
                    } else if constexpr (detail::fusable_pool<layer<H>, layer<H + 1>>) {
                        head[H + 1] = H;
                    }
                }(),
                ...);
        }(std::make_index_sequence<(entry_count > 2 ? entry_count - 2 : 0)>{});
        return head;
    }();
    /// fused_into_previous[I]: inference runs entry I inside the kernel of an entry before it
    /// (fused_into[I]): an activation after a conv2d or dense, or a pool after a conv2d (and
    /// its activation). Always false for entries 0 and 1.
    static constexpr std::array<bool, entry_count> fused_into_previous = [] {
        std::array<bool, entry_count> fused{};
        for (std::size_t i = 0; i < entry_count; ++i) fused[i] = fused_into[i] != i;
        return fused;
    }();

    /// The inference plan, fused steps included: forward() and run() use it.
    static constexpr detail::inference_plan<entry_count> plan = detail::make_inference_plan<T, entry_count>(
        each_entry([]<class L>() { return L::out_shape::size; }), each_entry([]<class L>() { return L::elementwise; }),
        fused_into_previous);
  private:
    /// The last entry of the step entry I heads (I when nothing fuses into it). Before
    /// step_splits and step_scratch, whose initializers call it.
    static constexpr std::size_t step_end(std::size_t i) noexcept {
        while (i + 1 < entry_count && fused_into_previous[i + 1]) ++i;
        return i;
    }

  public:
    /// Scratch the kernel of the step entry I heads takes (a conv2d alone or with its
    /// activation: its padded input, conv2d::forward_scratch_size); 0 for other steps.
    template <std::size_t I>
    static constexpr std::size_t step_scratch = [] {
        if constexpr (I == 0 || fused_into_previous[I] || !requires { layer<I>::forward_scratch_size; })
            return std::size_t{0};
        else if constexpr (step_end(I) != I && !layer<step_end(I)>::elementwise)
            return std::size_t{0}; // a pool fused in: the kernel keeps its rows on the stack
        else
            return layer<I>::forward_scratch_size;
    }();
    /// The largest step_scratch, rounded up to ctnn::alignment: the scratch area of the
    /// workspace, after the batch's maps (at batch * plan.per_sample), one per call.
    static constexpr std::size_t scratch_size = [] {
        const std::size_t most = []<std::size_t... I>(std::index_sequence<I...>) {
            return std::max({std::size_t{0}, step_scratch<I>...});
        }(std::make_index_sequence<entry_count>{});
        return detail::aligned_count<T>(most);
    }();
    /// Workspace for inference (forward, run), per sample of the batch: the plan's maps and
    /// the scratch area. The scratch is counted per sample so that every part of a batch a
    /// pool cuts has its own; one call uses one.
    static constexpr std::size_t workspace_size = plan.per_sample + scratch_size;
    static constexpr std::size_t workspace_bytes = workspace_size * sizeof(T);
    /// The plain plan, every entry on its own: the reference path run_unfused() uses it.
    static constexpr detail::inference_plan<entry_count> unfused_plan = detail::make_inference_plan<T, entry_count>(
        each_entry([]<class L>() { return L::out_shape::size; }), each_entry([]<class L>() { return L::elementwise; }));
    /// Workspace for run_unfused(), per sample (in most nets more than workspace_size).
    static constexpr std::size_t unfused_workspace_size = unfused_plan.per_sample;

    template <std::size_t I>
    static consteval std::size_t tensor_count() {
        if constexpr (I < entry_count) return layer<I>::tensors.size();
        else return 0;
    }

    /// The parameter block: trivially copyable, aligned, one piece (memcpy it, map it, put it in flash).
    struct parameters {
        alignas(alignment) std::array<T, param_storage> values{};

        /// Entry I's slice: its tensors, laid out as layer<I>::tensors says.
        template <std::size_t I>
        std::span<T, layer<I>::param_count> of() noexcept {
            return std::span<T, layer<I>::param_count>(values.data() + param_offset[I], layer<I>::param_count);
        }
        template <std::size_t I>
        std::span<const T, layer<I>::param_count> of() const noexcept {
            return std::span<const T, layer<I>::param_count>(values.data() + param_offset[I], layer<I>::param_count);
        }
        /// Tensor K of entry I (conv2d and dense: 0 = weight, 1 = bias).
        template <std::size_t I, std::size_t K>
        auto tensor() noexcept {
            if constexpr (detail::check_tensor_index<I, K, entry_count, tensor_count<I>()>())
                return std::span<T, layer<I>::tensors[K].size>(values.data() + param_offset[I] + layer<I>::tensors[K].offset,
                                                               layer<I>::tensors[K].size);
            else
                return std::span<T, 0>{};
        }
        /// Copy values into tensor K of entry I; the count is checked at compile time.
        template <std::size_t I, std::size_t K, std::size_t Given>
        void assign(const std::array<T, Given>& v) noexcept {
            if constexpr (detail::check_tensor_index<I, K, entry_count, tensor_count<I>()>()) {
                detail::check_weight_count<I, K, Given, layer<I>::tensors[K].size>();
                std::copy(v.begin(), v.end(), tensor<I, K>().begin());
            }
        }
        operator std::span<const T, param_storage>() const noexcept { return values; }
        operator std::span<T, param_storage>() noexcept { return values; }
    };

    /// Run `batch = in.size() / input_size` samples. `params` holds param_storage values,
    /// `workspace` at least batch * workspace_size; in, out and workspace must not overlap.
    /// Allocates nothing.
    static void forward(std::span<const T, param_storage> params, std::span<const T> in, std::span<T> out,
                        std::span<T> workspace) {
        const std::size_t batch = checked_batch(in.size(), out.size(), workspace.size());
        run(params.data(), in.data(), out.data(), workspace.data(), batch);
    }

    /// forward() on the threads of the caller's pool (core/thread_pool.hpp). A batch of at
    /// least pool.size() samples is cut into pool.size() contiguous chunks (as even as they
    /// can be), one per thread, each with its own slice of the workspace. A smaller batch
    /// (one large image) runs step by step, and a step of at least split_macs multiply-adds
    /// per sample (a conv2d, with what is fused into it: step_splits) is cut into pool.size()
    /// output tiles (rows; output channels for a 1x1 conv) that the threads compute side by
    /// side. Every output value is computed as without a pool, so any thread count gives the
    /// same bits. Allocates nothing.
    template <class Pool = thread_pool>
    static void forward(std::span<const T, param_storage> params, std::span<const T> in, std::span<T> out,
                        std::span<T> workspace, Pool& pool) {
        const std::size_t batch = checked_batch(in.size(), out.size(), workspace.size());
        if (batch < pool.size() && any_step_splits()) {
            run_tiled(params.data(), in.data(), out.data(), workspace.data(), batch, pool);
            return;
        }
        const std::size_t chunks = batch < pool.size() ? batch : pool.size();
        pool.for_each_index(chunks, [&](std::size_t k) {
            const std::size_t first = batch * k / chunks, count = batch * (k + 1) / chunks - first;
            run(params.data(), in.data() + first * input_size, out.data() + first * output_size,
                workspace.data() + first * workspace_size, count);
        });
    }

    /// Unchecked core of forward(): pointers to whole batches; workspace holds batch *
    /// workspace_size. Each fused step runs as one kernel.
    static void run(const T* params, const T* in, T* out, T* workspace, std::size_t batch) noexcept {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (run_step<I + 1>(params, in, out, workspace, batch), ...);
        }(std::make_index_sequence<entry_count - 1>{});
    }

    /// Multiply-adds per sample from which forward() on a pool cuts a step into output tiles
    /// when the batch is smaller than the pool: about 10 us of one core's FMAs, against the
    /// pool's hand-off of a few.
    static constexpr std::size_t split_macs = std::size_t{1} << 20;

    /// Whether the step entry I heads is cut into output tiles (see forward() on a pool).
    template <std::size_t I>
    static constexpr bool step_splits = [] {
        if constexpr (fused_into_previous[I] || !requires { layer<I>::forward_macs; }) {
            return false;
        } else {
            constexpr std::size_t end = step_end(I);
            if constexpr (layer<I>::forward_macs < split_macs) return false;
            else if constexpr (end != I && layer<end>::elementwise)
                return layer<I>::template splits_output<std::remove_cvref_t<decltype(layer<end>::op)>>;
            else if constexpr (end == I + 2)
                return layer<I>::template splits_output<std::remove_cvref_t<decltype(layer<I + 1>::op)>>;
            else
                return layer<I>::template splits_output<>;
        }
    }();
    static constexpr bool any_step_splits() noexcept {
        return []<std::size_t... I>(std::index_sequence<I...>) { return (step_splits<I + 1> || ...); }(
            std::make_index_sequence<entry_count - 1>{});
    }

    /// The reference path, for tests and benchmarks: every entry on its own, with the plain
    /// plan (unfused_plan), so workspace holds batch * unfused_workspace_size (not
    /// workspace_size: unfused, a conv2d's map before its pool needs a buffer of its own).
    /// The same bits as run().
    static void run_unfused(const T* params, const T* in, T* out, T* workspace, std::size_t batch) noexcept {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (run_entry<I + 1>(unfused_plan, params, in, out, workspace, batch), ...);
        }(std::make_index_sequence<entry_count - 1>{});
    }

    /// One line per entry: index, name, output shape, parameters, and for a fused entry the
    /// entry whose kernel runs it ("3 max_pool2d (6 x 14 x 14) 0 params, fused into 1 conv2d").
    static void summary(std::ostream& os) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    os << I << ' ' << layer<I>::name << ' ' << typename layer<I>::out_shape{} << ' '
                       << layer<I>::param_count << " params";
                    if constexpr (fused_into_previous[I])
                        os << ", fused into " << fused_into[I] << ' ' << layer_names[fused_into[I]];
                    os << '\n';
                }(),
                ...);
        }(std::make_index_sequence<entry_count>{});
        os << "total " << param_count << " params (" << param_bytes << " bytes), workspace " << workspace_bytes
           << " bytes per sample\n";
    }

  private:
    static std::size_t checked_batch(std::size_t in, std::size_t out, std::size_t ws) {
        if (in % input_size != 0)
            throw std::invalid_argument("ctnn::network::forward: the input holds " + std::to_string(in) +
                                        " values, not a whole number of samples of " + std::to_string(input_size));
        const std::size_t batch = in / input_size;
        if (out != batch * output_size)
            throw std::invalid_argument("ctnn::network::forward: the output holds " + std::to_string(out) +
                                        " values; " + std::to_string(batch) + " samples need " +
                                        std::to_string(batch * output_size));
        if (ws < batch * workspace_size)
            throw std::invalid_argument("ctnn::network::forward: the workspace holds " + std::to_string(ws) +
                                        " values; " + std::to_string(batch) + " samples need " +
                                        std::to_string(batch * workspace_size));
        return batch;
    }

    using plan_type = detail::inference_plan<entry_count>;

    /// Where a map is: a buffer's map at per-sample offset o starts at batch * o.
    static T* locate(detail::place where, std::size_t offset, const T* in, T* out, T* ws, std::size_t batch) noexcept {
        switch (where) {
        case detail::place::user_input: return const_cast<T*>(in); // only ever read
        case detail::place::user_output: return out;
        case detail::place::buffer0:
        case detail::place::buffer1: return ws + batch * offset;
        case detail::place::not_stored: return nullptr; // a fused step never looks here
        }
        return nullptr;
    }

    template <std::size_t I>
    static void run_entry(const plan_type& p, const T* params, const T* in, T* out, T* ws, std::size_t batch) noexcept {
        layer<I>::forward(locate(p.src[I], p.src_offset[I], in, out, ws, batch),
                          locate(p.dst[I], p.dst_offset[I], in, out, ws, batch), params + param_offset[I], batch);
    }

    /// run() step by step, the steps that split on all of pool's threads, the others on
    /// the calling thread.
    template <class Pool>
    static void run_tiled(const T* params, const T* in, T* out, T* workspace, std::size_t batch, Pool& pool) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (
                [&] {
                    if constexpr (step_splits<I + 1>)
                        pool.for_each_index(pool.size(), [&](std::size_t k) {
                            run_step<I + 1>(params, in, out, workspace, batch, {k, pool.size()});
                        });
                    else
                        run_step<I + 1>(params, in, out, workspace, batch);
                }(),
                ...);
        }(std::make_index_sequence<entry_count - 1>{});
    }

    /// The step entry I heads, as one kernel reading I's source and writing where the step's
    /// last entry leaves its result; nothing for an entry its step's head has already run.
    /// With part (step_splits<I> only), that part of the step's output.
    template <std::size_t I>
    static void run_step(const T* params, const T* in, T* out, T* ws, std::size_t batch,
                         output_part part = {}) noexcept {
        constexpr std::size_t end = step_end(I);
        // A head that takes an output part and scratch (conv2d) gets both; others run as planned.
        constexpr bool takes_scratch = requires { layer<I>::forward_scratch_size; };
        T* scratch = step_scratch<I> != 0 ? ws + batch * plan.per_sample : nullptr;
        if constexpr (fused_into_previous[I]) {
            return;
        } else if constexpr (end == I && !takes_scratch) {
            run_entry<I>(plan, params, in, out, ws, batch);
        } else if constexpr (end == I) {
            layer<I>::forward(locate(plan.src[I], plan.src_offset[I], in, out, ws, batch),
                              locate(plan.dst[I], plan.dst_offset[I], in, out, ws, batch), params + param_offset[I],
                              batch, part, scratch);
        } else {
            T* src = locate(plan.src[I], plan.src_offset[I], in, out, ws, batch);
            T* dst = locate(plan.dst[end], plan.dst_offset[end], in, out, ws, batch);
            const T* w = params + param_offset[I];
            using last = layer<end>;
            if constexpr (last::elementwise && takes_scratch) { // conv2d + activation
                layer<I>::forward_fused(src, dst, w, batch, last::op, part, scratch);
            } else if constexpr (last::elementwise) { // conv2d or dense + activation
                layer<I>::forward_fused(src, dst, w, batch, last::op);
            } else if constexpr (end == I + 1) { // conv2d + pool
                layer<I>::template forward_pooled<last::geometry, last::kind>(src, dst, w, batch, {}, part);
            } else { // conv2d + activation + pool
                layer<I>::template forward_pooled<last::geometry, last::kind>(src, dst, w, batch, layer<I + 1>::op,
                                                                               part);
            }
        }
    }
};

/// A network of float: the common case.
template <class Input, class... Layers>
using network = basic_network<float, Input, Layers...>;

} // namespace ctnn
