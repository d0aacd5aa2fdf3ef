// Pooling SIMD kernels against the reference, bit for bit: 2x2 stride-2 shapes with every
// output-width tail and odd input sizes (floor mode), random data, data full of ties,
// infinities and NaN; plus shapes that fall back to the reference.
#include <ctnn/kernels/reference/pool2d.hpp>

#include <limits>

#include "kernel_test_util.hpp"

namespace ctnn::test {
namespace {

template <class Pool, std::size_t C, std::size_t H, std::size_t W, std::size_t Batch>
struct pool_case {
    template <class T>
    using layer = typename Pool::template bind<T, ctnn::shape<C, H, W>, 1>;
    static constexpr std::size_t batch = Batch;
};

/// Random values, or values from a small set with ties, +-inf and NaN.
template <class T>
std::vector<T> pool_input(std::size_t n, unsigned seed, bool special) {
    auto v = random_vector<T>(n, seed);
    if (special) {
        const T set[] = {T(0), T(1), T(-1), std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity(),
                         std::numeric_limits<T>::quiet_NaN(), T(1), T(0)};
        for (std::size_t i = 0; i < n; ++i) {
            const auto pick = static_cast<std::size_t>((v[i] + T(1)) * T(4)) % 8;
            v[i] = set[pick];
        }
    }
    return v;
}

template <class Case, class T, bool Special>
void expect_pool_case() {
    using L = typename Case::template layer<T>;
    constexpr pool2d_geometry g = L::geometry;
    constexpr pool_kind kind = L::name == "max_pool2d" ? pool_kind::max : pool_kind::average;
    const std::size_t batch = Case::batch;
    SCOPED_TRACE(std::to_string(g.channels) + "x" + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) +
                 (Special ? ", ties, infinities and NaN" : ""));
    const auto in = pool_input<T>(batch * g.in_size(), static_cast<unsigned>(g.in_size()), Special);
    std::vector<T> want(batch * g.out_size());
    kernels::reference::pool2d_forward<kind>(g, in.data(), want.data(), batch);
    guarded<T> got(batch * g.out_size(), T(777));
    L::forward(in.data(), got.get(), nullptr, batch);
    EXPECT_TRUE(same_bits(got.values(), want)) << "forward";
    EXPECT_TRUE(got.guards_intact());

    const auto dout = random_vector<T>(batch * g.out_size(), 5);
    std::vector<T> want_din(batch * g.in_size());
    kernels::reference::pool2d_backward<kind>(g, in.data(), dout.data(), want_din.data(), batch);
    guarded<T> din(batch * g.in_size(), T(55));
    L::backward(in.data(), nullptr, dout.data(), din.get(), nullptr, nullptr, batch);
    EXPECT_TRUE(same_bits(din.values(), want_din)) << "backward";
    EXPECT_TRUE(din.guards_intact());
}

template <class Case>
class PoolKernel : public ::testing::Test {};

using pool_cases = ::testing::Types<
    pool_case<ctnn::max_pool2d<2>, 6, 28, 28, 2>, pool_case<ctnn::avg_pool2d<2>, 6, 28, 28, 2>,
    pool_case<ctnn::max_pool2d<2>, 16, 10, 10, 3>, pool_case<ctnn::max_pool2d<2>, 3, 2, 2, 1>,
    pool_case<ctnn::max_pool2d<2, ctnn::floor_mode>, 2, 7, 13, 2>,
    pool_case<ctnn::avg_pool2d<2, ctnn::floor_mode>, 5, 9, 35, 1>,
    pool_case<ctnn::max_pool2d<2>, 1, 4, 64, 3>, pool_case<ctnn::avg_pool2d<2>, 2, 6, 66, 2>,
    pool_case<ctnn::max_pool2d<2, ctnn::floor_mode>, 3, 5, 33, 4>,
    pool_case<ctnn::avg_pool2d<2, ctnn::count_exclude_pad>, 4, 8, 18, 1>,
    // Not 2x2 stride 2: the reference runs; still the layer's result.
    pool_case<ctnn::max_pool2d<3, ctnn::stride<2>, ctnn::pad<1>, ctnn::ceil_mode>, 2, 9, 9, 2>,
    pool_case<ctnn::avg_pool2d<2, ctnn::ceil_mode>, 2, 5, 7, 1>>;
TYPED_TEST_SUITE(PoolKernel, pool_cases);
TYPED_TEST(PoolKernel, FloatMatchesReference) {
    expect_pool_case<TypeParam, float, false>();
    expect_pool_case<TypeParam, float, true>();
}
TYPED_TEST(PoolKernel, DoubleMatchesReference) {
    expect_pool_case<TypeParam, double, false>();
    expect_pool_case<TypeParam, double, true>();
}

TEST(PoolKernel, FastPathCoversLeNet) {
    using L = ctnn::max_pool2d<2>::bind<float, ctnn::shape<6, 28, 28>, 1>;
    static_assert(kernels::simd::pool2d_is_2x2_stride2<L::geometry>);
    using M = ctnn::max_pool2d<3, ctnn::stride<2>, ctnn::pad<1>, ctnn::ceil_mode>::bind<float, ctnn::shape<2, 9, 9>, 1>;
    static_assert(!kernels::simd::pool2d_is_2x2_stride2<M::geometry>);
    SUCCEED();
}

} // namespace
} // namespace ctnn::test
