// SIMD conv2d against the reference, forward and backward, for one list of shapes. Each
// test file instantiates it with one slice of conv_cases.inc, so the slices compile in
// parallel.
#pragma once

#include <ctnn/kernels/reference/conv2d.hpp>
#include <ctnn/kernels/simd/conv2d.hpp>

#include "kernel_test_util.hpp"

namespace ctnn::test {

template <std::size_t C, std::size_t H, std::size_t W, class Conv, std::size_t Batch>
struct conv_case {
    template <class T>
    using layer = typename Conv::template bind<T, ctnn::shape<C, H, W>, 1>;
    static constexpr std::size_t batch = Batch;
    static constexpr unsigned seed = static_cast<unsigned>(C * 131 + H * 17 + W * 7 + Batch);
};

// The checks are compiled once per element type, with the layer's sizes at run time; each
// kernel they run adds only the small function that calls it (conv_run and its kin). The
// sweep's build is most of CI's time, and most of that was these checks, compiled again for
// every shape.

/// A non-owning reference to a callable, which outlives it.
template <class Sig>
class fn_ref;
template <class R, class... A>
class fn_ref<R(A...)> {
    const void* f_;
    R (*call_)(const void*, A...);

public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, fn_ref> && std::is_invocable_r_v<R, const F&, A...>)
    fn_ref(const F& f) noexcept // NOLINT(google-explicit-constructor): passed as a lambda
        : f_(std::addressof(f)), call_([](const void* p, A... a) -> R { return (*static_cast<const F*>(p))(a...); }) {}
    R operator()(A... a) const { return call_(f_, a...); }
};

/// What the checks need to know of a conv layer.
struct conv_layer_info {
    conv2d_geometry g;
    std::size_t param_count, weight_size;
};
template <class L>
inline constexpr conv_layer_info info_of{L::geometry, L::param_count, L::weight_size};

/// A layer's seeded input, weights and bias (the bias points into params).
template <class T>
struct conv_inputs {
    std::vector<T> in, params;
    const T* bias;
    conv_inputs(const conv_layer_info& l, std::size_t batch, unsigned seed)
        : in(random_vector<T>(batch * l.g.in_size(), seed)), params(random_vector<T>(l.param_count, seed + 1)),
          bias(l.g.bias ? params.data() + l.weight_size : nullptr) {}
    conv_inputs(const conv_inputs&) = delete;
    conv_inputs& operator=(const conv_inputs&) = delete;
};

/// run(in, params, bias, out, batch): a forward pass; _part: of one output_part; _scratch:
/// with scratch.
template <class T>
using conv_run = fn_ref<void(const T*, const T*, const T*, T*, std::size_t)>;
template <class T>
using conv_run_part = fn_ref<void(const T*, const T*, const T*, T*, std::size_t, output_part)>;
template <class T>
using conv_run_scratch = fn_ref<void(const T*, const T*, const T*, T*, std::size_t, T*)>;

/// A forward pass equals the reference, and writes nothing past its output.
template <class T>
void check_forward(const conv_layer_info& l, std::size_t batch, unsigned seed, conv_run<T> run, const char* name) {
    const conv_inputs<T> x(l, batch, seed);
    std::vector<T> want(batch * l.g.out_size());
    kernels::reference::conv2d_forward(l.g, x.in.data(), x.params.data(), x.bias, want.data(), batch);
    guarded<T> got(batch * l.g.out_size(), T(777));
    run(x.in.data(), x.params.data(), x.bias, got.get(), batch);
    EXPECT_TRUE(close_to_reference(got.values(), want, name));
    EXPECT_TRUE(got.guards_intact()) << name << " wrote past the output";
}

/// The output cut into 2, 3 or 7 parts, each computed on its own, gives the bits of the
/// whole; more parts than the kernel cuts leave some empty.
template <class T>
void check_parts(const conv_layer_info& l, std::size_t batch, unsigned seed, conv_run_part<T> run) {
    const conv_inputs<T> x(l, batch, seed);
    std::vector<T> whole(batch * l.g.out_size());
    run(x.in.data(), x.params.data(), x.bias, whole.data(), batch, {});
    for (const std::size_t count : {2u, 3u, 7u}) {
        guarded<T> got(batch * l.g.out_size(), T(777));
        for (std::size_t k = 0; k < count; ++k) run(x.in.data(), x.params.data(), x.bias, got.get(), batch, {k, count});
        EXPECT_TRUE(same_bits(got.values(), whole)) << count << " output parts differ from the whole";
        EXPECT_TRUE(got.guards_intact()) << count << " output parts wrote past the output";
    }
}

/// The output of run on the layer's seeded inputs.
template <class T>
std::vector<T> conv_output(const conv_layer_info& l, std::size_t batch, unsigned seed, conv_run<T> run) {
    const conv_inputs<T> x(l, batch, seed);
    std::vector<T> out(batch * l.g.out_size());
    run(x.in.data(), x.params.data(), x.bias, out.data(), batch);
    return out;
}

/// A kernel with scratch_size elements of scratch gives the bits want (made by want_name
/// from the same inputs), and writes only its scratch and output.
template <class T>
void check_scratch(const conv_layer_info& l, std::size_t batch, unsigned seed, const std::vector<T>& want,
                   const char* want_name, conv_run_scratch<T> run, std::size_t scratch_size, const char* name) {
    const conv_inputs<T> x(l, batch, seed);
    guarded<T> scratch(scratch_size, T(555)), got(batch * l.g.out_size(), T(777));
    run(x.in.data(), x.params.data(), x.bias, got.get(), batch, scratch.get());
    EXPECT_TRUE(same_bits(got.values(), want)) << name << " differs from " << want_name;
    EXPECT_TRUE(got.guards_intact()) << name << " wrote past the output";
    EXPECT_TRUE(scratch.guards_intact()) << name << " wrote past its scratch";
}

/// A conv fused with a pool gives the bits of conv, then pool (pool(mid, out, batch);
/// pooled_size elements per sample), whole and in 3 parts.
template <class T>
void check_pooled(const conv_layer_info& l, std::size_t pooled_size, std::size_t batch, unsigned seed,
                  conv_run<T> conv, fn_ref<void(const T*, T*, std::size_t)> pool, conv_run_part<T> fused,
                  const char* what) {
    const conv_inputs<T> x(l, batch, seed);
    std::vector<T> mid(batch * l.g.out_size()), want(batch * pooled_size);
    conv(x.in.data(), x.params.data(), x.bias, mid.data(), batch);
    pool(mid.data(), want.data(), batch);
    guarded<T> got(batch * pooled_size, T(777));
    fused(x.in.data(), x.params.data(), x.bias, got.get(), batch, {});
    EXPECT_TRUE(same_bits(got.values(), want)) << what << ": fused conv and pool differ from the two run one after the other";
    EXPECT_TRUE(got.guards_intact()) << what << " wrote past the output";
    guarded<T> parts(batch * pooled_size, T(777));
    for (std::size_t k = 0; k < 3; ++k) fused(x.in.data(), x.params.data(), x.bias, parts.get(), batch, {k, 3});
    EXPECT_TRUE(same_bits(parts.values(), want)) << what << ": 3 output parts differ from the whole";
    EXPECT_TRUE(parts.guards_intact()) << what << " in parts wrote past the output";
}

/// A backward pass equals the reference: din overwritten, gradients added. run(in, params,
/// dout, din, grads, scratch) runs it, with scratch_size elements of scratch.
template <class T>
void check_backward(const conv_layer_info& l, std::size_t batch, unsigned seed, bool with_din,
                    std::size_t scratch_size, fn_ref<void(const T*, const T*, const T*, T*, T*, T*)> run) {
    const conv2d_geometry& g = l.g;
    const conv_inputs<T> x(l, batch, seed);
    const auto dout = random_vector<T>(batch * g.out_size(), seed + 2);
    const auto grads0 = random_vector<T>(l.param_count, seed + 3);

    std::vector<T> want_din(batch * g.in_size(), T(55)), want_grads = grads0;
    kernels::reference::conv2d_backward(g, x.in.data(), x.params.data(), dout.data(),
                                        with_din ? want_din.data() : nullptr, want_grads.data(),
                                        g.bias ? want_grads.data() + l.weight_size : nullptr, batch);
    guarded<T> din(batch * g.in_size(), T(55)), grads(grads0), scratch(scratch_size, T(99));
    run(x.in.data(), x.params.data(), dout.data(), with_din ? din.get() : nullptr, grads.get(), scratch.get());
    EXPECT_TRUE(close_to_reference(grads.values(), want_grads, "weight and bias gradients"));
    EXPECT_TRUE(close_to_reference(din.values(), want_din, with_din ? "input gradient" : "untouched input gradient"));
    EXPECT_TRUE(din.guards_intact() && grads.guards_intact() && scratch.guards_intact())
        << "backward wrote past a buffer";
}

/// The forward kernel Choice (or the automatic one) equals the reference.
template <class T, class L, conv_kernel Choice>
void expect_forward(std::size_t batch, unsigned seed) {
    static constexpr conv2d_geometry g = L::geometry;
    check_forward<T>(info_of<L>, batch, seed, [](const T* in, const T* params, const T* bias, T* out, std::size_t n) {
        kernels::simd::conv2d_forward<g, Choice>(in, params, bias, out, n);
    }, "forward");
}

/// One forward kernel struct K (K::run) equals the reference.
template <class T, class L, class K>
void expect_forward_kernel(std::size_t batch, unsigned seed, const char* name) {
    check_forward<T>(info_of<L>, batch, seed, [](const T* in, const T* params, const T* bias, T* out, std::size_t n) {
        K::run(in, params, bias, out, n);
    }, name);
}

/// The activation the checks run: leaky_relu, whose negative side still reaches the output.
inline constexpr kernels::reference::leaky_relu_op test_leaky{0.125};

/// An activation of kind Op: test_leaky, or relu and the others as they are.
template <class Op>
constexpr Op test_op() {
    if constexpr (std::is_same_v<Op, kernels::reference::leaky_relu_op>)
        return test_leaky;
    else
        return Op{};
}

/// The automatic forward kernel in 2, 3 or 7 output parts (output_part: rows, or output
/// channels for a 1x1 conv) gives the bits of the whole.
template <class T, class L>
void expect_forward_parts(std::size_t batch, unsigned seed) {
    static constexpr conv2d_geometry g = L::geometry;
    check_parts<T>(info_of<L>, batch, seed,
                   [](const T* in, const T* params, const T* bias, T* out, std::size_t n, output_part part) {
                       kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in, params, bias, out, n,
                                                                                test_leaky, part);
                   });
}

/// The kernels that take scratch give the bits of conv2d_direct without it, and write
/// only their scratch and output: conv2d_direct_flat (on every shape, whatever the cost
/// model prefers; with its bands and in bands of one register block), conv2d_direct with
/// the padded image in scratch, and conv2d_forward with conv2d_forward_scratch elements
/// against conv2d_forward without.
template <class T, class L>
void expect_forward_scratch(std::size_t batch, unsigned seed) {
    static constexpr conv2d_geometry g = L::geometry;
    static constexpr conv_layer_info l = info_of<L>;
    using direct = kernels::simd::conv2d_direct<g, T>;
    using flat = kernels::simd::conv2d_direct_flat<g, T>;
    using banded = kernels::simd::conv2d_direct_flat<g, T, kernels::simd::default_arch, 0>;
    if constexpr (direct::fits) {
        const auto want = conv_output<T>(l, batch, seed, [](const T* in, const T* params, const T* bias, T* out,
                                                            std::size_t n) {
            direct::run(in, params, bias, out, n, test_leaky);
        });
        check_scratch<T>(l, batch, seed, want, "conv2d_direct without scratch",
                         [](const T* in, const T* params, const T* bias, T* out, std::size_t n, T* scratch) {
                             flat::run(in, params, bias, out, n, test_leaky, scratch);
                         },
                         flat::scratch_size, "conv2d_direct_flat");
        check_scratch<T>(l, batch, seed, want, "conv2d_direct without scratch",
                         [](const T* in, const T* params, const T* bias, T* out, std::size_t n, T* scratch) {
                             banded::run(in, params, bias, out, n, test_leaky, scratch);
                         },
                         banded::scratch_size, "conv2d_direct_flat in bands of one register block");
        check_scratch<T>(l, batch, seed, want, "conv2d_direct without scratch",
                         [](const T* in, const T* params, const T* bias, T* out, std::size_t n, T* scratch) {
                             direct::run(in, params, bias, out, n, test_leaky, {}, scratch);
                         },
                         direct::image_size, "conv2d_direct with its image in scratch");
    }
    constexpr std::size_t size = kernels::simd::conv2d_forward_scratch<g, T, conv_kernel::automatic>;
    if constexpr (size != 0)
        check_scratch<T>(
            l, batch, seed,
            conv_output<T>(l, batch, seed,
                           [](const T* in, const T* params, const T* bias, T* out, std::size_t n) {
                               kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in, params, bias, out, n,
                                                                                        test_leaky);
                           }),
            "conv2d_forward without scratch",
            [](const T* in, const T* params, const T* bias, T* out, std::size_t n, T* scratch) {
                kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in, params, bias, out, n, test_leaky, {},
                                                                         scratch);
            },
            size, "conv2d_forward with scratch");
}

/// The layer's backward (with scratch) equals the reference.
template <class T, class L>
void expect_backward(std::size_t batch, unsigned seed, bool with_din) {
    check_backward<T>(info_of<L>, batch, seed, with_din, L::scratch_size,
                      [batch](const T* in, const T* params, const T* dout, T* din, T* grads, T* scratch) {
                          L::backward(in, nullptr, dout, din, params, grads, batch, scratch);
                      });
}

/// The backward kernel with its weight gradient forced to Method (where it applies)
/// equals the reference, with and without din.
template <class T, class L, kernels::simd::conv_weight_gradient Method>
void expect_backward_method(std::size_t batch, unsigned seed, const char* name) {
    static constexpr conv2d_geometry g = L::geometry;
    using K = kernels::simd::conv2d_backward_gemm<g, T, kernels::simd::default_arch, Method>;
    using automatic = kernels::simd::conv2d_backward_gemm<g, T>;
    // The method the cost model picks runs in expect_backward; one that does not apply
    // falls back to it.
    if constexpr (K::method == Method && automatic::method != Method) {
        SCOPED_TRACE(name);
        const auto run = [batch](const T* in, const T* params, const T* dout, T* din, T* grads, T* scratch) {
            K::run(in, params, dout, din, grads, g.bias ? grads + L::weight_size : nullptr, batch, scratch);
        };
        for (const bool with_din : {true, false})
            check_backward<T>(info_of<L>, batch, seed, with_din, K::scratch_size, run);
    }
}

/// A 2x2 stride-2 pool fused into the conv (with an activation) gives the bits of the conv
/// with the activation, then the pool; both kinds, on whichever direct kernel runs the shape.
template <class T, class L>
void expect_pooled(std::size_t batch, unsigned seed) {
    static constexpr conv2d_geometry g = L::geometry;
    if constexpr (g.out_h >= 2 && g.out_w >= 2) {
        static constexpr pool2d_geometry pg{g.out_c, g.out_h, g.out_w, g.out_h / 2, g.out_w / 2, 2, 2, 2, 2, 0, 0, 0, 0,
                                     1,       1,       false};
        if constexpr (kernels::simd::conv2d_pool_fusable<g, T, conv_kernel::automatic, pg>) {
            // Max after relu; average after leaky_relu, whose negative values also reach it.
            const auto check = [&]<pool_kind Kind, class Op>(const char* what) {
                check_pooled<T>(
                    info_of<L>, pg.out_size(), batch, seed,
                    [](const T* in, const T* params, const T* bias, T* out, std::size_t n) {
                        kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in, params, bias, out, n, test_op<Op>());
                    },
                    [](const T* mid, T* out, std::size_t n) { kernels::simd::pool2d_forward<pg, Kind>(mid, out, n); },
                    [](const T* in, const T* params, const T* bias, T* out, std::size_t n, output_part part) {
                        kernels::simd::conv2d_pool_forward<g, conv_kernel::automatic, pg, Kind>(in, params, bias, out, n,
                                                                                                test_op<Op>(), part);
                    },
                    what);
            };
            check.template operator()<pool_kind::max, kernels::reference::relu_op>("conv + relu + max pool");
            check.template operator()<pool_kind::average, kernels::reference::leaky_relu_op>(
                "conv + leaky_relu + avg pool");
        }
    }
}

/// "float, 3x28x28 -> 6x28x28, kernel 5x5, batch 3"
inline std::string describe(const conv2d_geometry& g, bool is_float, std::size_t batch) {
    return std::string(is_float ? "float" : "double") + ", " + std::to_string(g.in_c) + "x" + std::to_string(g.in_h) +
           "x" + std::to_string(g.in_w) + " -> " + std::to_string(g.out_c) + "x" + std::to_string(g.out_h) + "x" +
           std::to_string(g.out_w) + ", kernel " + std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) +
           ", batch " + std::to_string(batch);
}

template <class Case, class T>
void expect_conv_case() {
    using L = typename Case::template layer<T>;
    static constexpr conv2d_geometry g = L::geometry;
    SCOPED_TRACE(describe(g, std::is_same_v<T, float>, Case::batch));
    constexpr conv_kernel chosen = kernels::simd::conv2d_forward_kernel<g, T, conv_kernel::automatic>();
    EXPECT_EQ(chosen, kernels::simd::conv2d_is_pointwise<g> ? conv_kernel::gemm : conv_kernel::direct);
    expect_forward<T, L, conv_kernel::automatic>(Case::batch, Case::seed);
    expect_forward<T, L, conv_kernel::direct>(Case::batch, Case::seed + 10);
    // Both direct kernels, whichever the cost model prefers.
    expect_forward_kernel<T, L, kernels::simd::conv2d_direct<g, T>>(Case::batch, Case::seed + 60, "direct, by width");
    if constexpr (kernels::simd::conv2d_direct_channels<g, T>::fits)
        expect_forward_kernel<T, L, kernels::simd::conv2d_direct_channels<g, T>>(Case::batch, Case::seed + 70,
                                                                                "direct, by channels");
    if constexpr (kernels::simd::conv2d_is_pointwise<g>) expect_forward<T, L, conv_kernel::gemm>(Case::batch, Case::seed + 20);
    expect_pooled<T, L>(Case::batch, Case::seed + 80);
    expect_forward_parts<T, L>(Case::batch, Case::seed + 120);
    expect_forward_scratch<T, L>(Case::batch, Case::seed + 130);
    expect_backward<T, L>(Case::batch, Case::seed + 30, true);
    expect_backward<T, L>(Case::batch, Case::seed + 40, false);
    // Every weight-gradient method, whichever the cost model prefers.
    using kernels::simd::conv_weight_gradient;
    expect_backward_method<T, L, conv_weight_gradient::direct>(Case::batch, Case::seed + 90, "dW direct");
    expect_backward_method<T, L, conv_weight_gradient::along_channels>(Case::batch, Case::seed + 100,
                                                                       "dW along channels");
    expect_backward_method<T, L, conv_weight_gradient::dot_products>(Case::batch, Case::seed + 110, "dW dot products");
    // One sample alone gives what it gives inside the batch.
    expect_forward<T, L, conv_kernel::automatic>(1, Case::seed + 50);
}

template <class Case>
class ConvKernel : public ::testing::Test {};

} // namespace ctnn::test

// The double half is left out with CTNN_KERNEL_TEST_FLOAT_ONLY (tests/kernels/CMakeLists.txt).
#ifdef CTNN_KERNEL_TEST_FLOAT_ONLY
#define CTNN_CONV_KERNEL_TEST_DOUBLE
#else
#define CTNN_CONV_KERNEL_TEST_DOUBLE                                                                                   \
    TYPED_TEST(ConvKernel, DoubleMatchesReference) { expect_conv_case<TypeParam, double>(); }
#endif

#define CTNN_CONV_KERNEL_TESTS(cases)                                                                                 \
    using conv_cases = ::testing::Types<cases>;                                                                        \
    TYPED_TEST_SUITE(ConvKernel, conv_cases);                                                                          \
    TYPED_TEST(ConvKernel, FloatMatchesReference) { expect_conv_case<TypeParam, float>(); }                           \
    CTNN_CONV_KERNEL_TEST_DOUBLE
