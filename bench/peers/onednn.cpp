// oneDNN (2.x) on ctnn's benchmark cases, one thread.
//
// Every primitive is created once, outside the timed loop, with format_tag::any for
// src/weights/dst so oneDNN picks its preferred (blocked) layouts; weights are reordered
// once. Names:
//   <conv>/onednn       the convolution primitive alone, src and dst already in its layouts
//                       (what it costs inside a oneDNN network);
//   <conv>/onednn-nchw  plain NCHW in and out: reorders around the primitive, timed;
//   p1, p2 /onednn      pooling on the layout oneDNN's 3x3 convolution produces;
//   net1, net64/onednn  LeNet-5 as a chain of primitives (conv+relu and dense+relu fused by
//                       post-ops), from the caller's plain NCHW input to plain N x 10
//                       probabilities; the input reorder (if oneDNN wants one) is timed.
// The label of each benchmark names the implementations oneDNN chose.
#include "onednn_layers.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace {

using namespace ctnn_bench::onednn; // and dnnl's names, which it uses

void conv_blocked(benchmark::State& state, const ctnn_bench::conv_case& c) {
    blocked_conv conv(c);
    conv.run(); // warm-up: first calls initialize lazily
    for (auto _ : state) conv.run();
    ctnn_bench::set_conv_counters(state, c.macs());
    state.SetLabel(conv.label());
}

void conv_nchw(benchmark::State& state, const ctnn_bench::conv_case& c) {
    const memory::dims sdims{c.n, c.c, c.h, c.w}, ddims{c.n, c.k, c.oh(), c.ow()};
    conv_layer conv({sdims, dt::f32, tag::any}, c.k, c.kh, c.stride, c.pad, false, 7);
    memory user_src({sdims, dt::f32, tag::nchw}, E().eng), user_dst({ddims, dt::f32, tag::nchw}, E().eng);
    const auto values = random_values(std::size_t(c.n) * c.c * c.h * c.w, 3);
    std::copy(values.begin(), values.end(), static_cast<float*>(user_src.get_data_handle()));
    maybe_reorder in(user_src, conv.pd.src_desc());
    const bool out_reorder = conv.dst.get_desc() != user_dst.get_desc();
    reorder out_prim = out_reorder ? reorder(conv.dst, user_dst) : reorder();
    auto once = [&] {
        in.run();
        conv.run(in.out);
        if (out_reorder) out_prim.execute(E().s, conv.dst, user_dst);
        E().s.wait();
    };
    once(); // warm-up
    for (auto _ : state) once();
    ctnn_bench::set_conv_counters(state, c.macs());
    state.SetLabel(impl(conv.pd) + (in.needed() ? " +reorder in" : "") + (out_reorder ? " +reorder out" : ""));
}

void pool(benchmark::State& state, const ctnn_bench::pool_case& p) {
    blocked_pool pl(p);
    pl.run(); // warm-up
    for (auto _ : state) pl.run();
    ctnn_bench::set_pool_counters(state, p);
    state.SetLabel(pl.label());
}

void net(benchmark::State& state, int n) {
    lenet_net net(n);
    net.run(); // warm-up: oneDNN's gemm initializes on its first call (tens of ms)
    for (auto _ : state) net.run();
    state.SetItemsProcessed(state.iterations() * n);
    state.SetLabel(net.label());
}

} // namespace

int main(int argc, char** argv) {
#if defined(_OPENMP)
    omp_set_num_threads(1);
#endif
    const auto* v = dnnl::version();
    benchmark::AddCustomContext("onednn_version",
                                std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
    benchmark::AddCustomContext("onednn_cpu_runtime", v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other");
#if defined(_OPENMP)
    benchmark::AddCustomContext("onednn_threads", std::to_string(omp_get_max_threads()));
#endif
    for (const auto& c : ctnn_bench::conv_cases) {
        ctnn_bench::add(c.id, "onednn", [c](benchmark::State& s) { conv_blocked(s, c); });
        ctnn_bench::add(c.id, "onednn-nchw", [c](benchmark::State& s) { conv_nchw(s, c); });
    }
    for (const auto& p : ctnn_bench::pool_cases) ctnn_bench::add(p.id, "onednn", [p](benchmark::State& s) { pool(s, p); });
    ctnn_bench::add("net1", "onednn", [](benchmark::State& s) { net(s, 1); });
    ctnn_bench::add("net64", "onednn", [](benchmark::State& s) { net(s, 64); });

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
