// Dense (the reference kernel, and the layer's forward against it) against hand-computed numbers (PyTorch's Linear layout: weight
// [out, in] row-major, then bias), with and without bias, per sample of a batch; flatten in
// NCHW order feeding a dense. Float and double.
#include "unit_util.hpp"

#include <ctnn_test_util.hpp>

#include <cstddef>
#include <vector>

namespace {

using ctnn::unit::bound;
using ctnn::unit::expect_values;
using ctnn::unit::iota;
using ctnn::unit::run_layer;
using ctnn::unit::values;

/// The reference kernel's output on L's geometry, after checking that L's forward agrees.
template <class L, class T>
std::vector<T> run_dense(const std::vector<T>& in, const std::vector<T>& params, std::size_t batch = 1) {
    std::vector<T> reference(batch * L::out_shape::size);
    ctnn::kernels::reference::dense_forward(L::geometry, in.data(), params.data(),
                                            L::geometry.bias ? params.data() + L::weight_size : nullptr,
                                            reference.data(), batch);
    return ctnn::unit::same_as_reference(reference, run_layer<L>(in, params, batch));
}

template <class T>
class DenseReference : public ::testing::Test {};
TYPED_TEST_SUITE(DenseReference, ctnn::unit::value_types);

TYPED_TEST(DenseReference, WithBias) {
    using T = TypeParam;
    using L = bound<ctnn::dense<2>, T, 3>;
    const auto params = values<T>({1, 2, 3, 4, 5, 6, 0.5, -1}); // W = [[1,2,3],[4,5,6]], b = [0.5, -1]
    expect_values(run_dense<L>(values<T>({1, -1, 2}), params), {5.5, 10});
}

TYPED_TEST(DenseReference, WithoutBias) {
    using T = TypeParam;
    using L = bound<ctnn::dense<2, ctnn::no_bias>, T, 3>;
    expect_values(run_dense<L>(values<T>({1, -1, 2}), values<T>({1, 2, 3, 4, 5, 6})), {5, 11});
}

TYPED_TEST(DenseReference, BatchUsesTheSameWeightsPerSample) {
    using T = TypeParam;
    using L = bound<ctnn::dense<2>, T, 3>;
    const auto params = values<T>({1, 2, 3, 4, 5, 6, 0.5, -1});
    expect_values(run_dense<L>(values<T>({1, -1, 2, 0, 0, 1, 0, 0, 0}), params, 3), {5.5, 10, 3.5, 5, 0.5, -1});
}

// Row o of the weight belongs to output o: a one-hot weight row copies one input.
TYPED_TEST(DenseReference, WeightIsOutByIn) {
    using T = TypeParam;
    using L = bound<ctnn::dense<3, ctnn::no_bias>, T, 4>;
    const auto params = values<T>({0, 0, 0, 1, //
                                   1, 0, 0, 0, //
                                   0, 0, 1, 0});
    expect_values(run_dense<L>(values<T>({10, 20, 30, 40}), params), {40, 10, 30});
}

TYPED_TEST(DenseReference, SingleOutputIsADotProduct) {
    using T = TypeParam;
    using L = bound<ctnn::dense<1>, T, 5>;
    const auto x = ctnn::test::random_vector<T>(5, 11);
    const auto p = ctnn::test::random_vector<T>(6, 12);
    double dot = static_cast<double>(p[5]);
    for (std::size_t i = 0; i < 5; ++i) dot += static_cast<double>(p[i]) * static_cast<double>(x[i]);
    expect_values(run_dense<L>(x, p), {dot}, 10);
}

// flatten keeps NCHW order (torch.flatten(x, 1)): element (c, y, x) lands at c*H*W + y*W + x.
TYPED_TEST(DenseReference, FlattenKeepsNchwOrder) {
    using T = TypeParam;
    using F = bound<ctnn::flatten, T, 2, 2, 3>;
    const auto in = iota<T>(24);
    EXPECT_EQ(run_layer<F>(in, {}, 2), in);
    // A dense after flatten picking feature (c=1, y=0, x=2) = index 1*6 + 0*3 + 2 = 8.
    using D = bound<ctnn::dense<1, ctnn::no_bias>, T, 12>;
    std::vector<T> w(12, T(0));
    w[8] = T(1);
    expect_values(run_dense<D>(run_layer<F>(in, {}, 2), w, 2), {9, 21});
}

} // namespace
