// ctnn and oneDNN in one process, their calls interleaved: the ratio of the two on a machine
// whose speed changes from one minute to the next. The separate executables (ctnn_bench,
// ctnn_bench_onednn) run a minute or two apart, so a slow spell of the shared host can land
// on one and not the other; here every repetition alternates blocks of ~2 ms of each, ctnn
// first in one and oneDNN first in the next, so a slow spell costs both alike.
//
// Rows "<case>/ab-onednn" for every case both implement (c1..c6, p1, p2, net1, net64), set up
// as ctnn_bench and ctnn_bench_onednn set them up (bench/cases.hpp's runners,
// onednn_layers.hpp: oneDNN's own blocked layouts, primitives made once). Counters, over the
// calling thread's CPU time: ctnn_us and onednn_us per call, and speedup = oneDNN's time over
// ctnn's (above 1: ctnn is faster). bench/run runs it with the others; bench/peers/report.py
// tabulates the medians.
#include "../cases.hpp"
#include "onednn_layers.hpp"

#include <cstdlib>
#include <ctime>
#include <string>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace {

namespace cb = ctnn::bench;
namespace ob = ctnn_bench::onednn;

double thread_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// Seconds for `calls` calls of f.
template <class F>
double time_calls(F& f, int calls) {
    const double t0 = thread_seconds();
    for (int i = 0; i < calls; ++i) f();
    return thread_seconds() - t0;
}

/// One row: every iteration runs a block of ctnn calls and a block of as many oneDNN calls,
/// in alternating order; the counters are the totals' per-call times and their ratio.
template <class Ctnn, class OneDnn>
void ab(benchmark::State& state, Ctnn& ctnn, OneDnn& onednn) {
    for (int i = 0; i < 3; ++i) { // warm-up: first touches, oneDNN's lazy initialization
        ctnn();
        onednn();
    }
    const double once = std::min(time_calls(ctnn, 1), time_calls(onednn, 1));
    static const double block_seconds = [] {
        const char* ms = std::getenv("CTNN_AB_BLOCK_MS");
        return (ms ? std::atof(ms) : 2.0) * 1e-3;
    }();
    const int calls = std::max(1, static_cast<int>(block_seconds / std::max(once, 1e-9)));
    double tc = 0, to = 0;
    bool ctnn_first = true;
    for (auto _ : state) {
        if (ctnn_first) {
            tc += time_calls(ctnn, calls);
            to += time_calls(onednn, calls);
        } else {
            to += time_calls(onednn, calls);
            tc += time_calls(ctnn, calls);
        }
        ctnn_first = !ctnn_first;
    }
    const double n = static_cast<double>(state.iterations()) * calls;
    state.counters["ctnn_us"] = 1e6 * tc / n;
    state.counters["onednn_us"] = 1e6 * to / n;
    state.counters["speedup"] = tc > 0 ? to / tc : 0;
    state.counters["calls_per_block"] = calls;
}

template <class Ctnn, class OneDnn, class... Args>
void add(const char* id, Args... onednn_args) {
    benchmark::RegisterBenchmark((std::string(id) + "/ab-onednn").c_str(),
                                 [=](benchmark::State& s) {
                                     Ctnn ctnn;
                                     OneDnn onednn(onednn_args...);
                                     auto run_onednn = [&] { onednn.run(); };
                                     ab(s, ctnn, run_onednn);
                                     s.SetLabel(onednn.label());
                                 })
        ->Unit(benchmark::kMicrosecond);
}

/// ctnn's LeNet-5 at a fixed batch (inference_run takes it at run time).
template <std::size_t Batch>
struct lenet_run : cb::inference_run<cb::lenet> {
    lenet_run() : cb::inference_run<cb::lenet>(Batch) {}
};
template <int Batch>
struct onednn_lenet : ob::lenet_net {
    onednn_lenet() : ob::lenet_net(Batch) {}
};

// The two case lists must agree: bench/cases.hpp (ctnn) and bench/peers/cases.hpp (peers).
constexpr bool same(const cb::conv_problem& a, const ctnn_bench::conv_case& b) {
    return int(a.batch) == b.n && int(a.in_c) == b.c && int(a.in_h) == b.h && int(a.in_w) == b.w && int(a.out_c) == b.k &&
           int(a.kernel) == b.kh && int(a.kernel) == b.kw && int(a.stride) == b.stride && int(a.pad) == b.pad;
}
static_assert(same(cb::c1, ctnn_bench::conv_cases[0]) && same(cb::c2, ctnn_bench::conv_cases[1]) &&
              same(cb::c3, ctnn_bench::conv_cases[2]) && same(cb::c4, ctnn_bench::conv_cases[3]) &&
              same(cb::c5, ctnn_bench::conv_cases[4]) && same(cb::c6, ctnn_bench::conv_cases[5]));
static_assert(int(cb::p1.channels) == ctnn_bench::pool_cases[0].c && ctnn_bench::pool_cases[0].max &&
              int(cb::p2.channels) == ctnn_bench::pool_cases[1].c && !ctnn_bench::pool_cases[1].max);

} // namespace

int main(int argc, char** argv) {
#if defined(_OPENMP)
    omp_set_num_threads(1);
#endif
    const auto& cc = ctnn_bench::conv_cases;
    add<cb::conv_run<cb::c1>, ob::blocked_conv>("c1", cc[0]);
    add<cb::conv_run<cb::c2>, ob::blocked_conv>("c2", cc[1]);
    add<cb::conv_run<cb::c3>, ob::blocked_conv>("c3", cc[2]);
    add<cb::conv_run<cb::c4>, ob::blocked_conv>("c4", cc[3]);
    add<cb::conv_run<cb::c5>, ob::blocked_conv>("c5", cc[4]);
    add<cb::conv_run<cb::c6>, ob::blocked_conv>("c6", cc[5]);
    add<cb::pool_run<cb::p1, ctnn::max_pool2d<2>>, ob::blocked_pool>("p1", ctnn_bench::pool_cases[0]);
    add<cb::pool_run<cb::p2, ctnn::avg_pool2d<2>>, ob::blocked_pool>("p2", ctnn_bench::pool_cases[1]);
    add<lenet_run<1>, onednn_lenet<1>>("net1");
    add<lenet_run<64>, onednn_lenet<64>>("net64");

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
