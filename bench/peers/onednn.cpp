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
#include "cases.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using ctnn_bench::random_values;

struct env {
    engine eng{engine::kind::cpu, 0};
    stream s{eng};
};
env& E() {
    static env e;
    return e;
}

/// A memory of descriptor md filled with `values` given in the plain layout `plain`.
memory filled(const memory::desc& md, const memory::dims& dims, tag plain, const std::vector<float>& values) {
    memory user({dims, dt::f32, plain}, E().eng);
    std::copy(values.begin(), values.end(), static_cast<float*>(user.get_data_handle()));
    if (md == user.get_desc()) return user;
    memory m(md, E().eng);
    reorder(user, m).execute(E().s, user, m);
    E().s.wait();
    return m;
}

primitive_attr relu_attr(bool relu) {
    primitive_attr attr;
    if (relu) {
        post_ops po;
        po.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
        attr.set_post_ops(po);
    }
    return attr;
}

/// One convolution with its weights (reordered once) and its dst memory.
struct conv_layer {
    convolution_forward::primitive_desc pd;
    convolution_forward prim;
    memory weights, bias, dst;

    conv_layer(const memory::desc& src_md, memory::dim k, memory::dim kh, memory::dim stride, memory::dim pad, bool relu,
               std::uint32_t seed) {
        const auto& d = src_md.dims();
        const memory::dim oh = (d[2] + 2 * pad - kh) / stride + 1, ow = (d[3] + 2 * pad - kh) / stride + 1;
        const memory::dims wdims{k, d[1], kh, kh}, bdims{k}, ddims{d[0], k, oh, ow};
        convolution_forward::desc desc(prop_kind::forward_inference, algorithm::convolution_direct, src_md,
                                       {wdims, dt::f32, tag::any}, {bdims, dt::f32, tag::x},
                                       {ddims, dt::f32, tag::any}, {stride, stride}, {pad, pad}, {pad, pad});
        pd = convolution_forward::primitive_desc(desc, relu_attr(relu), E().eng);
        prim = convolution_forward(pd);
        const float scale = 1.0f / static_cast<float>(d[1] * kh * kh);
        weights = filled(pd.weights_desc(), wdims, tag::oihw, random_values(k * d[1] * kh * kh, seed, -scale, scale));
        bias = filled(pd.bias_desc(), bdims, tag::x, random_values(k, seed + 1, -0.1f, 0.1f));
        dst = memory(pd.dst_desc(), E().eng);
    }
    void run(const memory& src) {
        prim.execute(E().s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
    }
};

struct pool_layer {
    pooling_forward::primitive_desc pd;
    pooling_forward prim;
    memory dst;

    pool_layer(const memory::desc& src_md, bool max, memory::dim window, memory::dim stride) {
        const auto& d = src_md.dims();
        const memory::dims ddims{d[0], d[1], (d[2] - window) / stride + 1, (d[3] - window) / stride + 1};
        pooling_forward::desc desc(prop_kind::forward_inference,
                                   max ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding, src_md,
                                   {ddims, dt::f32, tag::any}, {stride, stride}, {window, window}, {0, 0}, {0, 0});
        pd = pooling_forward::primitive_desc(desc, E().eng);
        prim = pooling_forward(pd);
        dst = memory(pd.dst_desc(), E().eng);
    }
    void run(const memory& src) { prim.execute(E().s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}); }
};

struct dense_layer {
    inner_product_forward::primitive_desc pd;
    inner_product_forward prim;
    memory weights, bias, dst;

    dense_layer(const memory::desc& src_md, memory::dim out, bool relu, std::uint32_t seed) {
        memory::dims wdims = src_md.dims();
        const memory::dim batch = wdims[0];
        wdims[0] = out;
        memory::dim fan_in = 1;
        for (std::size_t i = 1; i < wdims.size(); ++i) fan_in *= wdims[i];
        inner_product_forward::desc desc(prop_kind::forward_inference, src_md, {wdims, dt::f32, tag::any},
                                         {{out}, dt::f32, tag::x}, {{batch, out}, dt::f32, tag::any});
        pd = inner_product_forward::primitive_desc(desc, relu_attr(relu), E().eng);
        prim = inner_product_forward(pd);
        const float scale = 1.0f / static_cast<float>(fan_in);
        weights = filled(pd.weights_desc(), wdims, wdims.size() == 4 ? tag::oihw : tag::oi,
                         random_values(out * fan_in, seed, -scale, scale));
        bias = filled(pd.bias_desc(), {out}, tag::x, random_values(out, seed + 1, -0.1f, 0.1f));
        dst = memory(pd.dst_desc(), E().eng);
    }
    void run(const memory& src) {
        prim.execute(E().s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
    }
};

/// A reorder from `from` to a new memory of descriptor `to`, or nothing if they agree.
struct maybe_reorder {
    memory out;
    std::unique_ptr<reorder> prim;
    const memory* in = nullptr;
    maybe_reorder(const memory& from, const memory::desc& to) : in(&from) {
        if (from.get_desc() == to) {
            out = from;
        } else {
            out = memory(to, E().eng);
            prim = std::make_unique<reorder>(from, out);
        }
    }
    bool needed() const { return prim != nullptr; }
    void run() {
        if (prim) prim->execute(E().s, const_cast<memory&>(*in), out);
    }
};

std::string impl(const primitive_desc_base& pd) { return pd.impl_info_str(); }

void conv_blocked(benchmark::State& state, const ctnn_bench::conv_case& c) {
    const memory::dims sdims{c.n, c.c, c.h, c.w};
    conv_layer conv({sdims, dt::f32, tag::any}, c.k, c.kh, c.stride, c.pad, false, 7);
    const memory src = filled(conv.pd.src_desc(), sdims, tag::nchw, random_values(std::size_t(c.n) * c.c * c.h * c.w, 3));
    conv.run(src); // warm-up: first calls initialize lazily
    E().s.wait();
    for (auto _ : state) {
        conv.run(src);
        E().s.wait();
    }
    ctnn_bench::set_conv_counters(state, c.macs());
    state.SetLabel(impl(conv.pd));
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
    // The layout a oneDNN 3x3 convolution with this many output channels produces.
    conv_layer producer({{p.n, p.c, p.h, p.w}, dt::f32, tag::any}, p.c, 3, 1, 1, false, 5);
    pool_layer pl(producer.pd.dst_desc(), p.max, p.window, p.stride);
    const memory src = filled(pl.pd.src_desc(), {p.n, p.c, p.h, p.w}, tag::nchw,
                              random_values(std::size_t(p.n) * p.c * p.h * p.w, 3));
    pl.run(src); // warm-up
    E().s.wait();
    for (auto _ : state) {
        pl.run(src);
        E().s.wait();
    }
    ctnn_bench::set_pool_counters(state, p);
    state.SetLabel(impl(pl.pd));
}

/// LeNet-5 as a chain of primitives.
struct lenet_net {
    memory user_in, user_out;
    std::unique_ptr<maybe_reorder> in;
    std::unique_ptr<conv_layer> conv1, conv2;
    std::unique_ptr<pool_layer> pool1, pool2;
    std::unique_ptr<maybe_reorder> mid1, mid2; // between pool and the next layer, if layouts differ
    std::unique_ptr<dense_layer> fc1, fc2, fc3;
    softmax_v2_forward::primitive_desc sm_pd;
    softmax_v2_forward sm;
    int reorders = 0;

    explicit lenet_net(memory::dim n) {
        namespace L = ctnn_bench::lenet;
        const memory::dims idims{n, L::in_c, L::in_h, L::in_w};
        user_in = memory({idims, dt::f32, tag::nchw}, E().eng);
        const auto values = random_values(std::size_t(n) * L::in_c * L::in_h * L::in_w, 11, 0.0f, 1.0f);
        std::copy(values.begin(), values.end(), static_cast<float*>(user_in.get_data_handle()));
        conv1 = std::make_unique<conv_layer>(memory::desc(idims, dt::f32, tag::any), L::c1, L::k, 1, 2, true, 21);
        in = std::make_unique<maybe_reorder>(user_in, conv1->pd.src_desc());
        pool1 = std::make_unique<pool_layer>(conv1->pd.dst_desc(), true, 2, 2);
        conv2 = std::make_unique<conv_layer>(memory::desc(pool1->pd.dst_desc().dims(), dt::f32, tag::any), L::c2, L::k,
                                             1, 0, true, 22);
        mid1 = std::make_unique<maybe_reorder>(pool1->dst, conv2->pd.src_desc());
        pool2 = std::make_unique<pool_layer>(conv2->pd.dst_desc(), true, 2, 2);
        // fc1 reads pool2's layout as it is (with src "any", oneDNN 2.6 picks plain nchw and a
        // gemm-based inner product that is slower than its brgemm on the blocked layout).
        fc1 = std::make_unique<dense_layer>(pool2->pd.dst_desc(), L::f1, true, 23);
        mid2 = std::make_unique<maybe_reorder>(pool2->dst, fc1->pd.src_desc());
        fc2 = std::make_unique<dense_layer>(fc1->pd.dst_desc(), L::f2, true, 24);
        fc3 = std::make_unique<dense_layer>(fc2->pd.dst_desc(), L::classes, false, 25);
        user_out = memory({{n, L::classes}, dt::f32, tag::nc}, E().eng);
        softmax_v2_forward::desc sd(prop_kind::forward_inference, algorithm::softmax_accurate, fc3->pd.dst_desc(),
                                    user_out.get_desc(), 1);
        sm_pd = softmax_v2_forward::primitive_desc(sd, E().eng);
        sm = softmax_v2_forward(sm_pd);
        reorders = int(in->needed()) + int(mid1->needed()) + int(mid2->needed());
    }
    void run() {
        in->run();
        conv1->run(in->out);
        pool1->run(conv1->dst);
        mid1->run();
        conv2->run(mid1->out);
        pool2->run(conv2->dst);
        mid2->run();
        fc1->run(mid2->out);
        fc2->run(fc1->dst);
        fc3->run(fc2->dst);
        sm.execute(E().s, {{DNNL_ARG_SRC, fc3->dst}, {DNNL_ARG_DST, user_out}});
        E().s.wait();
    }
    std::string label() const {
        return "conv1 " + impl(conv1->pd) + (in->needed() ? " (input reordered from nchw, timed)" : " (nchw input used as is)") +
               "; conv2 " + impl(conv2->pd) + "; fc1 " + impl(fc1->pd) + "; pool " + impl(pool1->pd) +
               "; reorders in loop: " + std::to_string(reorders);
    }
};

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
