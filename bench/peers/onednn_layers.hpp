// oneDNN (2.x) pieces of ctnn's benchmarks: one primitive per layer, created once with
// format_tag::any so that oneDNN picks its preferred (blocked) layouts, weights reordered
// once, one stream on one CPU engine. Used by onednn.cpp (oneDNN's rows) and ab_onednn.cpp
// (ctnn and oneDNN interleaved in one process).
#pragma once

#include "cases.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ctnn_bench::onednn {

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;
using ctnn_bench::random_values;

struct env {
    engine eng{engine::kind::cpu, 0};
    stream s{eng};
};
inline env& E() {
    static env e;
    return e;
}

/// A memory of descriptor md filled with `values` given in the plain layout `plain`.
inline memory filled(const memory::desc& md, const memory::dims& dims, tag plain, const std::vector<float>& values) {
    memory user({dims, dt::f32, plain}, E().eng);
    std::copy(values.begin(), values.end(), static_cast<float*>(user.get_data_handle()));
    if (md == user.get_desc()) return user;
    memory m(md, E().eng);
    reorder(user, m).execute(E().s, user, m);
    E().s.wait();
    return m;
}

inline primitive_attr relu_attr(bool relu) {
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

inline std::string impl(const primitive_desc_base& pd) { return pd.impl_info_str(); }

/// A convolution on its own, src and dst in oneDNN's layouts (what it costs inside a oneDNN
/// network): run() is one call, waited for.
struct blocked_conv {
    conv_layer conv;
    memory src;
    explicit blocked_conv(const conv_case& c)
        : conv({{c.n, c.c, c.h, c.w}, dt::f32, tag::any}, c.k, c.kh, c.stride, c.pad, false, 7),
          src(filled(conv.pd.src_desc(), {c.n, c.c, c.h, c.w}, tag::nchw,
                     random_values(std::size_t(c.n) * c.c * c.h * c.w, 3))) {}
    void run() {
        conv.run(src);
        E().s.wait();
    }
    std::string label() const { return impl(conv.pd); }
};

/// A pooling on the layout a oneDNN 3x3 convolution with as many output channels produces.
struct blocked_pool {
    conv_layer producer;
    pool_layer pool;
    memory src;
    explicit blocked_pool(const pool_case& p)
        : producer({{p.n, p.c, p.h, p.w}, dt::f32, tag::any}, p.c, 3, 1, 1, false, 5),
          pool(producer.pd.dst_desc(), p.max, p.window, p.stride),
          src(filled(pool.pd.src_desc(), {p.n, p.c, p.h, p.w}, tag::nchw,
                     random_values(std::size_t(p.n) * p.c * p.h * p.w, 3))) {}
    void run() {
        pool.run(src);
        E().s.wait();
    }
    std::string label() const { return impl(pool.pd); }
};

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

} // namespace ctnn_bench::onednn
