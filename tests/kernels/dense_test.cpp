// dense SIMD kernels against the reference: sizes around every vector width and register
// block, batches from 1 (GEMV) past the row blocking, forward and backward, float and double.
#include <ctnn/kernels/reference/dense.hpp>

#include "kernel_test_util.hpp"

namespace ctnn::test {
namespace {

template <std::size_t In, std::size_t Out, bool Bias, std::size_t Batch>
struct dense_case {
    template <class T>
    using layer = std::conditional_t<Bias, typename ctnn::dense<Out>::template bind<T, ctnn::shape<In>, 1>,
                                     typename ctnn::dense<Out, ctnn::no_bias>::template bind<T, ctnn::shape<In>, 1>>;
    static constexpr std::size_t batch = Batch;
    static constexpr unsigned seed = static_cast<unsigned>(In * 31 + Out * 7 + Batch);
};

template <class Case, class T>
void expect_dense_case() {
    using L = typename Case::template layer<T>;
    constexpr dense_geometry g = L::geometry;
    SCOPED_TRACE(std::to_string(g.in) + " -> " + std::to_string(g.out) + ", batch " + std::to_string(Case::batch));
    for (std::size_t batch : {std::size_t{1}, Case::batch}) {
        const unsigned seed = Case::seed + static_cast<unsigned>(batch);
        const auto in = random_vector<T>(batch * g.in, seed);
        const auto params = random_vector<T>(L::param_count, seed + 1);
        const T* bias = g.bias ? params.data() + L::weight_size : nullptr;
        std::vector<T> want(batch * g.out);
        kernels::reference::dense_forward(g, in.data(), params.data(), bias, want.data(), batch);
        guarded<T> got(batch * g.out, T(777));
        L::forward(in.data(), got.get(), params.data(), batch);
        EXPECT_TRUE(close_to_reference(got.values(), want, "forward"));
        EXPECT_TRUE(got.guards_intact());

        const auto dout = random_vector<T>(batch * g.out, seed + 2);
        const auto grads0 = random_vector<T>(L::param_count, seed + 3);
        for (bool with_din : {true, false}) {
            std::vector<T> want_din(batch * g.in, T(55)), want_grads = grads0;
            kernels::reference::dense_backward(g, in.data(), params.data(), dout.data(),
                                               with_din ? want_din.data() : nullptr, want_grads.data(),
                                               g.bias ? want_grads.data() + L::weight_size : nullptr, batch);
            guarded<T> din(batch * g.in, T(55)), grads(grads0);
            L::backward(in.data(), nullptr, dout.data(), with_din ? din.get() : nullptr, params.data(), grads.get(),
                        batch);
            EXPECT_TRUE(close_to_reference(grads.values(), want_grads, "weight and bias gradients"));
            EXPECT_TRUE(close_to_reference(din.values(), want_din, "input gradient"));
            EXPECT_TRUE(din.guards_intact() && grads.guards_intact());
        }

        // Training threads' split: the pieces write what backward() adds to zeros, and
        // backward_input writes backward()'s din, bit for bit.
        std::vector<T> sum_din(batch * g.in), sum_grads(L::param_count, T(0));
        L::backward(in.data(), nullptr, dout.data(), sum_din.data(), params.data(), sum_grads.data(), batch);
        guarded<T> split_din(batch * g.in, T(55)), split_grads(grads0);
        for (std::size_t piece = 0; piece < L::param_pieces; ++piece)
            L::backward_params(in.data(), nullptr, dout.data(), split_grads.get(), batch, piece);
        L::backward_input(in.data(), nullptr, dout.data(), split_din.get(), params.data(), batch);
        EXPECT_EQ(split_grads.values(), sum_grads) << L::param_pieces << " pieces";
        EXPECT_EQ(split_din.values(), sum_din);
        EXPECT_TRUE(split_din.guards_intact() && split_grads.guards_intact());
    }
}

template <class Case>
class DenseKernel : public ::testing::Test {};

using dense_cases =
    ::testing::Types<dense_case<400, 120, true, 8>, dense_case<120, 84, true, 5>, dense_case<84, 10, true, 9>,
                     dense_case<1, 1, true, 2>, dense_case<3, 7, false, 3>, dense_case<7, 13, true, 4>,
                     dense_case<8, 16, true, 1>, dense_case<9, 17, false, 7>, dense_case<17, 33, true, 13>,
                     dense_case<33, 5, true, 2>, dense_case<64, 64, false, 6>, dense_case<67, 2, true, 11>>;
TYPED_TEST_SUITE(DenseKernel, dense_cases);
TYPED_TEST(DenseKernel, FloatMatchesReference) { expect_dense_case<TypeParam, float>(); }
TYPED_TEST(DenseKernel, DoubleMatchesReference) { expect_dense_case<TypeParam, double>(); }

// gemm_nn copies blocks of B to a panel when M is large (gemm_panel_rows); the pointwise conv
// and the conv backward run it so. C = bias + A x B, A row-major (M x K), B with rows ldb
// apart (wider than N, as an input plane of a conv), C's rows ldc apart.
template <class T, std::size_t N, std::size_t Rows>
std::vector<T> gemm_of(std::size_t M, std::size_t K, const std::vector<T>& a, const std::vector<T>& b,
                       std::size_t ldb, const std::vector<T>& bias) {
    guarded<T> bg(b), c(M * N, T(777));
    kernels::simd::gemm_nn<kernels::simd::default_arch, N, T>::template run<Rows>(
        M, K, a.data(), K, 1, bg.get(), ldb, c.get(), N, kernels::simd::gemm_init::bias, bias.data());
    EXPECT_TRUE(c.guards_intact() && bg.guards_intact());
    return c.values();
}

template <class T, std::size_t N>
void expect_gemm_panels(std::size_t M, std::size_t K, bool panel) {
    using gemm = kernels::simd::gemm_nn<kernels::simd::default_arch, N, T>;
    constexpr std::size_t ldb = N + 3;
    SCOPED_TRACE(std::to_string(M) + " x " + std::to_string(K) + " x " + std::to_string(N));
    ASSERT_EQ(panel, M >= kernels::simd::gemm_panel_rows && K <= gemm::template panel_k<64>);
    const auto a = random_vector<T>(M * K, 1), b = random_vector<T>(K * ldb, 2), bias = random_vector<T>(M, 3);
    std::vector<T> want(M * N);
    for (std::size_t m = 0; m < M; ++m)
        for (std::size_t n = 0; n < N; ++n) {
            double sum = static_cast<double>(bias[m]);
            for (std::size_t k = 0; k < K; ++k) sum += static_cast<double>(a[m * K + k]) * static_cast<double>(b[k * ldb + n]);
            want[m * N + n] = static_cast<T>(sum);
        }
    const auto got = gemm_of<T, N, 64>(M, K, a, b, ldb, bias);
    EXPECT_TRUE(close_to_reference(got, want, "gemm_nn"));
    // Rows 8: no panel. Each C element sums its K products in the same order either way.
    static_assert(gemm::template panels<64> && !gemm::template panels<8>);
    EXPECT_TRUE(same_bits(got, gemm_of<T, N, 8>(M, K, a, b, ldb, bias)));
}

TEST(GemmNN, PanelsOfBGiveTheSameBits) {
    // N = 100: whole blocks in panels, then the row's last (partial) block from B itself.
    expect_gemm_panels<float, 100>(40, 9, true);
    expect_gemm_panels<float, 100>(67, 64, true);
    expect_gemm_panels<double, 100>(33, 17, true);
    expect_gemm_panels<float, 100>(31, 9, false); // too few rows
    expect_gemm_panels<float, 100>(40, 2000, false); // K past the panel
}

} // namespace
} // namespace ctnn::test
