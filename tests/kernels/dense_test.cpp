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

} // namespace
} // namespace ctnn::test
