// SIMD conv2d against the reference, forward and backward, for one list of shapes. Each
// test file instantiates it with one slice of conv_cases.inc, so the slices compile in
// parallel.
#pragma once

#include <ctnn/kernels/reference/conv2d.hpp>
#include <ctnn/kernels/simd/conv2d.hpp>

#include <cstring>

#include "kernel_test_util.hpp"

namespace ctnn::test {

template <std::size_t C, std::size_t H, std::size_t W, class Conv, std::size_t Batch>
struct conv_case {
    template <class T>
    using layer = typename Conv::template bind<T, ctnn::shape<C, H, W>, 1>;
    static constexpr std::size_t batch = Batch;
    static constexpr unsigned seed = static_cast<unsigned>(C * 131 + H * 17 + W * 7 + Batch);
};

/// The forward kernel Choice (or the automatic one) equals the reference.
template <class T, class L, conv_kernel Choice>
void expect_forward(std::size_t batch, unsigned seed) {
    constexpr conv2d_geometry g = L::geometry;
    const auto in = random_vector<T>(batch * g.in_size(), seed);
    const auto params = random_vector<T>(L::param_count, seed + 1);
    const T* bias = g.bias ? params.data() + L::weight_size : nullptr;
    std::vector<T> want(batch * g.out_size());
    kernels::reference::conv2d_forward(g, in.data(), params.data(), bias, want.data(), batch);
    guarded<T> got(batch * g.out_size(), T(777));
    kernels::simd::conv2d_forward<g, Choice>(in.data(), params.data(), bias, got.get(), batch);
    EXPECT_TRUE(close_to_reference(got.values(), want, "forward"));
    EXPECT_TRUE(got.guards_intact()) << "forward wrote past the output";
}

/// The output cut into 2, 3 or 7 parts (output_part: rows, or output channels for a 1x1
/// conv), each computed on its own, gives the bits of the whole; more parts than rows
/// leave some empty.
template <class T, class L>
void expect_forward_parts(std::size_t batch, unsigned seed) {
    constexpr conv2d_geometry g = L::geometry;
    const auto in = random_vector<T>(batch * g.in_size(), seed);
    const auto params = random_vector<T>(L::param_count, seed + 1);
    const T* bias = g.bias ? params.data() + L::weight_size : nullptr;
    const kernels::reference::relu_op relu;
    std::vector<T> whole(batch * g.out_size());
    kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in.data(), params.data(), bias, whole.data(), batch, relu);
    for (const std::size_t count : {2u, 3u, 7u}) {
        guarded<T> got(batch * g.out_size(), T(777));
        for (std::size_t k = 0; k < count; ++k)
            kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in.data(), params.data(), bias, got.get(), batch,
                                                                     relu, {k, count});
        EXPECT_EQ(0, std::memcmp(got.values().data(), whole.data(), whole.size() * sizeof(T)))
            << count << " output parts differ from the whole";
        EXPECT_TRUE(got.guards_intact()) << count << " output parts wrote past the output";
    }
}

/// The kernels that take scratch give the bits of conv2d_direct without it, and write
/// only their scratch and output: conv2d_direct_flat (on every shape, whatever the cost
/// model prefers; with its bands and in bands of one register block), conv2d_direct with
/// the padded image in scratch, and conv2d_forward with conv2d_forward_scratch elements
/// against conv2d_forward without.
template <class T, class L>
void expect_forward_scratch(std::size_t batch, unsigned seed) {
    constexpr conv2d_geometry g = L::geometry;
    using direct = kernels::simd::conv2d_direct<g, T>;
    using flat = kernels::simd::conv2d_direct_flat<g, T>;
    const auto in = random_vector<T>(batch * g.in_size(), seed);
    const auto params = random_vector<T>(L::param_count, seed + 1);
    const T* bias = g.bias ? params.data() + L::weight_size : nullptr;
    const kernels::reference::leaky_relu_op leaky{T(0.125)};
    const auto same_bits = [&](const std::vector<T>& want, guarded<T>& got, guarded<T>& scratch, const char* what) {
        EXPECT_EQ(0, std::memcmp(got.values().data(), want.data(), want.size() * sizeof(T)))
            << what << " differs from conv2d_direct without scratch";
        EXPECT_TRUE(got.guards_intact()) << what << " wrote past the output";
        EXPECT_TRUE(scratch.guards_intact()) << what << " wrote past its scratch";
    };
    if constexpr (direct::fits) {
        std::vector<T> want(batch * g.out_size());
        direct::run(in.data(), params.data(), bias, want.data(), batch, leaky);
        {
            guarded<T> scratch(flat::scratch_size, T(555)), got(batch * g.out_size(), T(777));
            flat::run(in.data(), params.data(), bias, got.get(), batch, leaky, scratch.get());
            same_bits(want, got, scratch, "conv2d_direct_flat");
        }
        {
            using banded = kernels::simd::conv2d_direct_flat<g, T, kernels::simd::default_arch, 0>;
            guarded<T> scratch(banded::scratch_size, T(555)), got(batch * g.out_size(), T(777));
            banded::run(in.data(), params.data(), bias, got.get(), batch, leaky, scratch.get());
            same_bits(want, got, scratch, "conv2d_direct_flat in bands of one register block");
        }
        {
            guarded<T> scratch(direct::image_size, T(555)), got(batch * g.out_size(), T(777));
            direct::run(in.data(), params.data(), bias, got.get(), batch, leaky, {}, scratch.get());
            same_bits(want, got, scratch, "conv2d_direct with its image in scratch");
        }
    }
    constexpr std::size_t size = kernels::simd::conv2d_forward_scratch<g, T, conv_kernel::automatic>;
    if constexpr (size != 0) {
        std::vector<T> want(batch * g.out_size());
        kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in.data(), params.data(), bias, want.data(), batch,
                                                                 leaky);
        guarded<T> scratch(size, T(555)), got(batch * g.out_size(), T(777));
        kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in.data(), params.data(), bias, got.get(), batch,
                                                                 leaky, {}, scratch.get());
        same_bits(want, got, scratch, "conv2d_forward with scratch");
    }
}

/// One forward kernel struct K (K::run) equals the reference.
template <class T, class L, class K>
void expect_forward_kernel(std::size_t batch, unsigned seed, const char* name) {
    constexpr conv2d_geometry g = L::geometry;
    const auto in = random_vector<T>(batch * g.in_size(), seed);
    const auto params = random_vector<T>(L::param_count, seed + 1);
    const T* bias = g.bias ? params.data() + L::weight_size : nullptr;
    std::vector<T> want(batch * g.out_size());
    kernels::reference::conv2d_forward(g, in.data(), params.data(), bias, want.data(), batch);
    guarded<T> got(batch * g.out_size(), T(777));
    K::run(in.data(), params.data(), bias, got.get(), batch);
    EXPECT_TRUE(close_to_reference(got.values(), want, name));
    EXPECT_TRUE(got.guards_intact()) << name << " wrote past the output";
}

/// A backward pass equals the reference: din overwritten, gradients added. run(in, params,
/// dout, din, grads, scratch) runs it, with scratch_size elements of scratch.
template <class T, class L, class Run>
void expect_backward_by(std::size_t batch, unsigned seed, bool with_din, std::size_t scratch_size, Run run) {
    constexpr conv2d_geometry g = L::geometry;
    const auto in = random_vector<T>(batch * g.in_size(), seed);
    const auto params = random_vector<T>(L::param_count, seed + 1);
    const auto dout = random_vector<T>(batch * g.out_size(), seed + 2);
    const auto grads0 = random_vector<T>(L::param_count, seed + 3);

    std::vector<T> want_din(batch * g.in_size(), T(55)), want_grads = grads0;
    kernels::reference::conv2d_backward(g, in.data(), params.data(), dout.data(), with_din ? want_din.data() : nullptr,
                                        want_grads.data(), g.bias ? want_grads.data() + L::weight_size : nullptr,
                                        batch);
    guarded<T> din(batch * g.in_size(), T(55)), grads(grads0), scratch(scratch_size, T(99));
    run(in.data(), params.data(), dout.data(), with_din ? din.get() : nullptr, grads.get(), scratch.get());
    EXPECT_TRUE(close_to_reference(grads.values(), want_grads, "weight and bias gradients"));
    EXPECT_TRUE(close_to_reference(din.values(), want_din, with_din ? "input gradient" : "untouched input gradient"));
    EXPECT_TRUE(din.guards_intact() && grads.guards_intact() && scratch.guards_intact())
        << "backward wrote past a buffer";
}

/// The layer's backward (with scratch) equals the reference.
template <class T, class L>
void expect_backward(std::size_t batch, unsigned seed, bool with_din) {
    expect_backward_by<T, L>(batch, seed, with_din, L::scratch_size,
                             [&](const T* in, const T* params, const T* dout, T* din, T* grads, T* scratch) {
                                 L::backward(in, nullptr, dout, din, params, grads, batch, scratch);
                             });
}

/// The backward kernel with its weight gradient forced to Method (where it applies)
/// equals the reference, with and without din.
template <class T, class L, kernels::simd::conv_weight_gradient Method>
void expect_backward_method(std::size_t batch, unsigned seed, const char* name) {
    constexpr conv2d_geometry g = L::geometry;
    using K = kernels::simd::conv2d_backward_gemm<g, T, kernels::simd::default_arch, Method>;
    using automatic = kernels::simd::conv2d_backward_gemm<g, T>;
    // The method the cost model picks runs in expect_backward; one that does not apply
    // falls back to it.
    if constexpr (K::method == Method && automatic::method != Method) {
        SCOPED_TRACE(name);
        for (const bool with_din : {true, false})
            expect_backward_by<T, L>(batch, seed, with_din, K::scratch_size,
                                     [&](const T* in, const T* params, const T* dout, T* din, T* grads, T* scratch) {
                                         K::run(in, params, dout, din, grads, g.bias ? grads + L::weight_size : nullptr,
                                                batch, scratch);
                                     });
    }
}

/// A 2x2 stride-2 pool fused into the conv (with an activation) gives the bits of the conv
/// with the activation, then the pool; both kinds, on whichever direct kernel runs the shape.
template <class T, class L>
void expect_pooled(std::size_t batch, unsigned seed) {
    constexpr conv2d_geometry g = L::geometry;
    if constexpr (g.out_h >= 2 && g.out_w >= 2) {
        constexpr pool2d_geometry pg{g.out_c, g.out_h, g.out_w, g.out_h / 2, g.out_w / 2, 2, 2, 2, 2, 0, 0, 0, 0,
                                     1,       1,       false};
        if constexpr (kernels::simd::conv2d_pool_fusable<g, T, conv_kernel::automatic, pg>) {
            const auto in = random_vector<T>(batch * g.in_size(), seed);
            const auto params = random_vector<T>(L::param_count, seed + 1);
            const T* bias = g.bias ? params.data() + L::weight_size : nullptr;
            std::vector<T> mid(batch * g.out_size()), want(batch * pg.out_size());
            const kernels::reference::leaky_relu_op leaky{0.125};
            auto check = [&]<pool_kind Kind>(const auto& op, const char* what) {
                kernels::simd::conv2d_forward<g, conv_kernel::automatic>(in.data(), params.data(), bias, mid.data(),
                                                                         batch, op);
                kernels::simd::pool2d_forward<pg, Kind>(mid.data(), want.data(), batch);
                guarded<T> got(batch * pg.out_size(), T(777));
                kernels::simd::conv2d_pool_forward<g, conv_kernel::automatic, pg, Kind>(in.data(), params.data(), bias,
                                                                                        got.get(), batch, op);
                EXPECT_EQ(0, std::memcmp(got.values().data(), want.data(), want.size() * sizeof(T)))
                    << what << ": fused conv and pool differ from the two run one after the other";
                EXPECT_TRUE(got.guards_intact()) << what << " wrote past the output";
                // In 3 parts (rows of the pooled output), each on its own.
                guarded<T> parts(batch * pg.out_size(), T(777));
                for (std::size_t k = 0; k < 3; ++k)
                    kernels::simd::conv2d_pool_forward<g, conv_kernel::automatic, pg, Kind>(
                        in.data(), params.data(), bias, parts.get(), batch, op, {k, 3});
                EXPECT_EQ(0, std::memcmp(parts.values().data(), want.data(), want.size() * sizeof(T)))
                    << what << ": 3 output parts differ from the whole";
                EXPECT_TRUE(parts.guards_intact()) << what << " in parts wrote past the output";
            };
            check.template operator()<pool_kind::max>(kernels::reference::relu_op{}, "conv + relu + max pool");
            check.template operator()<pool_kind::average>(leaky, "conv + leaky_relu + avg pool");
            check.template operator()<pool_kind::max>(kernels::reference::identity_op{}, "conv + max pool");
        }
    }
}

template <class Case, class T>
void expect_conv_case() {
    using L = typename Case::template layer<T>;
    constexpr conv2d_geometry g = L::geometry;
    SCOPED_TRACE(std::string(std::is_same_v<T, float> ? "float" : "double") + ", " + std::to_string(g.in_c) + "x" +
                 std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + " -> " + std::to_string(g.out_c) + "x" +
                 std::to_string(g.out_h) + "x" + std::to_string(g.out_w) + ", kernel " + std::to_string(g.kernel_h) +
                 "x" + std::to_string(g.kernel_w) + ", batch " + std::to_string(Case::batch));
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
