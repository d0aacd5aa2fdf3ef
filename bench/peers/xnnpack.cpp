// XNNPACK on ctnn's benchmark cases, one thread (no pthreadpool: a null pool runs on the
// caller's thread).
//
// XNNPACK's operators are NHWC: the cases run in NHWC (the same sizes), with kernels in
// its OHWI layout, operators created and set up once outside the timed loop, and only
// xnn_run_operator timed. LeNet's input has one channel, so its NHWC input is the
// caller's NCHW input as is; relu is fused into conv and dense by their output clamp, as
// XNNPACK users do; the flatten of NHWC 16x5x5 is a different (but equally valid)
// ordering of the first dense layer's weights. No train64: XNNPACK has no backward pass.
#include "cases.hpp"

#include <xnnpack.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using ctnn_bench::random_values;
constexpr float inf = std::numeric_limits<float>::infinity();

void check(xnn_status s, const char* what) {
    if (s != xnn_status_success) throw std::runtime_error(std::string("XNNPACK: ") + what + " failed, status " + std::to_string(int(s)));
}

/// An operator that deletes itself.
struct op {
    xnn_operator_t h = nullptr;
    op() = default;
    op(const op&) = delete;
    op& operator=(const op&) = delete;
    ~op() {
        if (h) xnn_delete_operator(h);
    }
    void run() { xnn_run_operator(h, nullptr); }
};

struct conv_op : op {
    std::vector<float> kernel, bias;
    conv_op(int c, int k, int kh, int stride, int pad, bool relu, std::uint32_t seed) {
        const float scale = 1.0f / float(c * kh * kh);
        kernel = random_values(std::size_t(k) * kh * kh * c, seed, -scale, scale); // OHWI
        bias = random_values(std::size_t(k), seed + 1, -0.1f, 0.1f);
        check(xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, kh, kh, stride, stride, 1, 1, 1, c, k, c, k,
                                                kernel.data(), bias.data(), relu ? 0.0f : -inf, inf, 0, &h),
              "create convolution");
    }
    void setup(int n, int hh, int ww, const float* in, float* out) {
        check(xnn_setup_convolution2d_nhwc_f32(h, n, hh, ww, in, out, nullptr), "setup convolution");
    }
};

struct pool_op : op {
    pool_op(bool max, int c, int window, int stride) {
        if (max)
            check(xnn_create_max_pooling2d_nhwc_f32(0, 0, 0, 0, window, window, stride, stride, 1, 1, c, c, c, -inf, inf,
                                                    0, &h),
                  "create max pooling");
        else
            check(xnn_create_average_pooling2d_nhwc_f32(0, 0, 0, 0, window, window, stride, stride, c, c, c, -inf, inf, 0,
                                                        &h),
                  "create average pooling");
        max_ = max;
    }
    void setup(int n, int hh, int ww, const float* in, float* out) {
        if (max_)
            check(xnn_setup_max_pooling2d_nhwc_f32(h, n, hh, ww, in, out, nullptr), "setup max pooling");
        else
            check(xnn_setup_average_pooling2d_nhwc_f32(h, n, hh, ww, in, out, nullptr), "setup average pooling");
    }
    bool max_ = true;
};

struct dense_op : op {
    std::vector<float> kernel, bias;
    dense_op(int in, int out, bool relu, std::uint32_t seed) {
        const float scale = 1.0f / float(in);
        kernel = random_values(std::size_t(in) * out, seed, -scale, scale);
        bias = random_values(std::size_t(out), seed + 1, -0.1f, 0.1f);
        check(xnn_create_fully_connected_nc_f32(in, out, in, out, kernel.data(), bias.data(), relu ? 0.0f : -inf, inf, 0,
                                                &h),
              "create fully connected");
    }
    void setup(int n, const float* in, float* out) {
        check(xnn_setup_fully_connected_nc_f32(h, n, in, out, nullptr), "setup fully connected");
    }
};

void conv(benchmark::State& state, const ctnn_bench::conv_case& c) {
    const auto in = random_values(std::size_t(c.n) * c.h * c.w * c.c, 3);
    std::vector<float> out(std::size_t(c.n) * c.oh() * c.ow() * c.k);
    conv_op o(c.c, c.k, c.kh, c.stride, c.pad, false, 7);
    o.setup(c.n, c.h, c.w, in.data(), out.data());
    o.run(); // warm-up
    for (auto _ : state) {
        o.run();
        benchmark::ClobberMemory();
    }
    ctnn_bench::set_conv_counters(state, c.macs());
}

void pool(benchmark::State& state, const ctnn_bench::pool_case& p) {
    const auto in = random_values(std::size_t(p.n) * p.h * p.w * p.c, 3);
    std::vector<float> out(std::size_t(p.n) * p.oh() * p.ow() * p.c);
    pool_op o(p.max, p.c, p.window, p.stride);
    o.setup(p.n, p.h, p.w, in.data(), out.data());
    o.run(); // warm-up
    for (auto _ : state) {
        o.run();
        benchmark::ClobberMemory();
    }
    ctnn_bench::set_pool_counters(state, p);
}

void net(benchmark::State& state, int n) {
    namespace L = ctnn_bench::lenet;
    const auto in = random_values(std::size_t(n) * L::in_h * L::in_w * L::in_c, 11, 0.0f, 1.0f);
    std::vector<float> a1(std::size_t(n) * 28 * 28 * L::c1), p1(std::size_t(n) * 14 * 14 * L::c1),
        a2(std::size_t(n) * 10 * 10 * L::c2), p2(std::size_t(n) * L::flat), f1(std::size_t(n) * L::f1),
        f2(std::size_t(n) * L::f2), f3(std::size_t(n) * L::classes), out(std::size_t(n) * L::classes);
    conv_op conv1(L::in_c, L::c1, L::k, 1, 2, true, 21), conv2(L::c1, L::c2, L::k, 1, 0, true, 22);
    pool_op pool1(true, L::c1, 2, 2), pool2(true, L::c2, 2, 2);
    dense_op fc1(L::flat, L::f1, true, 23), fc2(L::f1, L::f2, true, 24), fc3(L::f2, L::classes, false, 25);
    op softmax;
    check(xnn_create_softmax_nc_f32(L::classes, L::classes, L::classes, 0, &softmax.h), "create softmax");
    conv1.setup(n, 28, 28, in.data(), a1.data());
    pool1.setup(n, 28, 28, a1.data(), p1.data());
    conv2.setup(n, 14, 14, p1.data(), a2.data());
    pool2.setup(n, 10, 10, a2.data(), p2.data());
    fc1.setup(n, p2.data(), f1.data());
    fc2.setup(n, f1.data(), f2.data());
    fc3.setup(n, f2.data(), f3.data());
    check(xnn_setup_softmax_nc_f32(softmax.h, n, f3.data(), out.data(), nullptr), "setup softmax");
    auto once = [&] {
        conv1.run();
        pool1.run();
        conv2.run();
        pool2.run();
        fc1.run();
        fc2.run();
        fc3.run();
        softmax.run();
    };
    once(); // warm-up
    for (auto _ : state) {
        once();
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * n);
}

} // namespace

int main(int argc, char** argv) {
    if (xnn_initialize(nullptr) != xnn_status_success) {
        std::fprintf(stderr, "XNNPACK: xnn_initialize failed (unsupported CPU?)\n");
        return 1;
    }
    benchmark::AddCustomContext("xnnpack_threads", "1 (null pthreadpool)");
    for (const auto& c : ctnn_bench::conv_cases) ctnn_bench::add(c.id, "xnnpack", [c](benchmark::State& s) { conv(s, c); });
    for (const auto& p : ctnn_bench::pool_cases) ctnn_bench::add(p.id, "xnnpack", [p](benchmark::State& s) { pool(s, p); });
    ctnn_bench::add("net1", "xnnpack", [](benchmark::State& s) { net(s, 1); });
    ctnn_bench::add("net64", "xnnpack", [](benchmark::State& s) { net(s, 64); });

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    xnn_deinitialize();
    return 0;
}
