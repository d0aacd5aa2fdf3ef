// ctnn's benchmarks. The same source builds two executables: ctnn_bench (the SIMD kernels,
// cases named <case>/ctnn) and ctnn_bench_reference (CTNN_REFERENCE_KERNELS=1: every layer
// runs the scalar reference kernels, cases named <case>/ctnn-reference).
// Counters (as bench/peers names them): GFLOP/s, 2 x multiply-adds of the convolutions and
// dense layers per second (pooling: one operation per input value; also GB/s, the bytes it
// must read and write); us/sample for the networks. Rates are over CPU time: the machine is
// shared, and every case runs on one thread, except the <case>/ctnn-2threads rows (c3, c4 and
// c5, one image cut into output tiles; c6, net64, train64, the batch cut in chunks; on a
// ctnn::thread_pool of 2; ctnn_bench only): their times and rates are wall time
// (UseRealTime, so Google Benchmark appends /real_time to the name), and bench/peers/report.py
// compares them with the wall time of the one-thread <case>/ctnn rows.
#include <benchmark/benchmark.h>

#include <ctnn/core/thread_pool.hpp>
#include <ctnn/ctnn.hpp>
#include <ctnn/train/engine.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/optimizer.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "cases.hpp"

namespace {

using namespace ctnn::bench;

#if CTNN_REFERENCE_KERNELS
constexpr const char* impl = "ctnn-reference";
#else
constexpr const char* impl = "ctnn";
#endif

void set_rate(benchmark::State& state, double flops_per_iteration) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

template <const conv_problem& P>
void conv(benchmark::State& state) {
    conv_run<P> run;
    run(); // untimed: first touch of the buffers
    for (auto _ : state) {
        run();
        benchmark::DoNotOptimize(run.out.data());
        benchmark::ClobberMemory();
    }
    set_rate(state, conv_run<P>::flops);
}

template <const pool_problem& P, class Pool>
void pool(benchmark::State& state) {
    using R = pool_run<P, Pool>;
    R run;
    run();
    for (auto _ : state) {
        run();
        benchmark::DoNotOptimize(run.out.data());
        benchmark::ClobberMemory();
    }
    set_rate(state, static_cast<double>(P.batch * R::L::in_shape::size));
    state.counters["GB/s"] = benchmark::Counter(
        static_cast<double>(P.batch * (R::L::in_shape::size + R::L::out_shape::size) * sizeof(float)) * 1e-9,
        benchmark::Counter::kIsIterationInvariantRate);
}

/// Net::forward on a batch (inference_run); with threads > 1, on a pool of that many.
template <class Net>
void inference(benchmark::State& state, std::size_t batch, std::size_t threads = 1) {
    inference_run<Net> run(batch, threads);
    run();
    for (auto _ : state) {
        run();
        benchmark::DoNotOptimize(run.out.data());
        benchmark::ClobberMemory();
    }
    set_rate(state, network_flops<Net>(false) * static_cast<double>(batch));
    state.counters["us/sample"] = benchmark::Counter(
        static_cast<double>(batch) * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// The same network run one layer at a time (run_unfused: no conv + relu + pool or dense +
/// relu fusion), with the workspace that path needs: what fusion saves.
template <class Net>
void inference_unfused(benchmark::State& state, std::size_t batch) {
    const auto params = random_parameters<Net>();
    const auto in = random_values(batch * Net::input_size, 4);
    std::vector<float> out(batch * Net::output_size), ws(batch * Net::unfused_workspace_size);
    Net::run_unfused(params->values.data(), in.data(), out.data(), ws.data(), batch);
    for (auto _ : state) {
        Net::run_unfused(params->values.data(), in.data(), out.data(), ws.data(), batch);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    set_rate(state, network_flops<Net>(false) * static_cast<double>(batch));
    state.counters["us/sample"] = benchmark::Counter(
        static_cast<double>(batch) * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// One SGD-momentum step: forward, loss, backward, update. With threads > 1, forward and
/// backward run the batch's chunks on a pool; the update stays on the calling thread.
template <class Net>
void training(benchmark::State& state, std::size_t batch, std::size_t threads = 1) {
    auto params = random_parameters<Net>();
    const auto in = random_values(batch * Net::input_size, 5);
    std::vector<unsigned> labels(batch);
    for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<unsigned>(i % Net::output_size);
    ctnn::training_workspace<Net> ws(batch);
    ctnn::sgd<Net> opt({.learning_rate = 0.01, .momentum = 0.9});
    ctnn::thread_pool threaded(threads);
    ctnn::thread_pool* pool = threads > 1 ? &threaded : nullptr;
    std::uint64_t step = 0;
    auto one_step = [&] {
        const ctnn::train_context ctx{1, step++, 0};
        ctnn::forward_train<Net>(*params, in.data(), batch, ws, ctx, pool);
        ctnn::softmax_cross_entropy::evaluate<Net, unsigned>(ctnn::train_output<Net>(ws, batch, in.data()), labels,
                                                             batch, ws.delta(0));
        ctnn::backward<Net, ctnn::softmax_cross_entropy::start_entry<Net>>(*params, in.data(), batch, ws, ctx, pool);
        opt.step(params->values, ws.gradients(), pool);
    };
    one_step();
    for (auto _ : state) {
        one_step();
        benchmark::ClobberMemory();
    }
    set_rate(state, network_flops<Net>(true) * static_cast<double>(batch));
    state.counters["us/sample"] = benchmark::Counter(
        static_cast<double>(batch) * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

template <class F>
void add(const char* name, F f, const char* as = impl) {
    benchmark::RegisterBenchmark((std::string(name) + "/" + as).c_str(), f)->Unit(benchmark::kMicrosecond);
}

/// A two-thread row, <name>/ctnn-2threads/real_time, in wall time: the calling thread's CPU
/// time would leave out the pool's other thread. Registered right after its one-thread row,
/// so that the two run close together on this shared machine. Not in ctnn_bench_reference.
template <class F>
void add_two_threads(const char* name, F f) {
    if (!CTNN_REFERENCE_KERNELS)
        benchmark::RegisterBenchmark((std::string(name) + "/ctnn-2threads").c_str(), f)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
}

// c6/ctnn-2threads runs c6 as a one-layer network, so that forward() can split its batch;
// c6/ctnn calls the layer itself. The same layer type, so the same kernel and the same work.
// c3, c4 and c5 (one image) likewise, cut into output tiles (network.hpp's step_splits).
template <const auto& Case>
constexpr bool same_layer = std::is_same_v<typename conv_network<Case>::template layer<1>, conv_layer<Case>>;
static_assert(same_layer<c6> && same_layer<c3> && same_layer<c4> && same_layer<c5>,
              "conv_network<c> must hold conv_layer<c>, or c/ctnn-2threads is not c/ctnn on two threads");
static_assert(CTNN_REFERENCE_KERNELS || (conv_network<c3>::step_splits<1> && conv_network<c4>::step_splits<1> &&
                                         conv_network<c5>::step_splits<1>),
              "c3, c4 and c5 must split into output tiles at batch 1");

const bool registered = [] {
    add(c1.name, conv<c1>);
    add(c2.name, conv<c2>);
    add(c3.name, conv<c3>);
    add_two_threads(c3.name, [](benchmark::State& s) { inference<conv_network<c3>>(s, c3.batch, 2); });
    add(c4.name, conv<c4>);
    add_two_threads(c4.name, [](benchmark::State& s) { inference<conv_network<c4>>(s, c4.batch, 2); });
    add(c5.name, conv<c5>);
    add_two_threads(c5.name, [](benchmark::State& s) { inference<conv_network<c5>>(s, c5.batch, 2); });
    add(c6.name, conv<c6>);
    add_two_threads(c6.name, [](benchmark::State& s) { inference<conv_network<c6>>(s, c6.batch, 2); });
    add(p1.name, pool<p1, ctnn::max_pool2d<2>>);
    add(p2.name, pool<p2, ctnn::avg_pool2d<2>>);
    add("net1", [](benchmark::State& s) { inference<lenet>(s, 1); });
    add("net64", [](benchmark::State& s) { inference<lenet>(s, 64); });
    add_two_threads("net64", [](benchmark::State& s) { inference<lenet>(s, 64, 2); });
    if (!CTNN_REFERENCE_KERNELS) {
        add("net1", [](benchmark::State& s) { inference_unfused<lenet>(s, 1); }, "ctnn-unfused");
        add("net64", [](benchmark::State& s) { inference_unfused<lenet>(s, 64); }, "ctnn-unfused");
    }
    add("train64", [](benchmark::State& s) { training<lenet>(s, 64); });
    add_two_threads("train64", [](benchmark::State& s) { training<lenet>(s, 64, 2); });
    return true;
}();

} // namespace

BENCHMARK_MAIN();
