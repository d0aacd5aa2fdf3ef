// Initializers: the generator against its reference vectors, pinned values (the same on
// every platform), statistics of each scheme on large tensors, bounds of the uniform ones,
// reproducibility, biases and batch norm, and the gaps of the block left alone.
#include <ctnn/train/init.hpp>

#include <ctnn/ctnn.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "optim_nets.hpp"

namespace {

using namespace ctnn;

TEST(InitGenerator, MatchesReferenceVectors) {
    std::uint64_t state = 0; // splitmix64.c from seed 0
    EXPECT_EQ(init::splitmix64(state), 0xE220A8397B1DCDAFULL);
    EXPECT_EQ(init::splitmix64(state), 0x6E789E6AA1B965F4ULL);
    auto g = init::generator::from_state({1, 2, 3, 4}); // xoshiro256starstar.c from {1, 2, 3, 4}
    EXPECT_EQ(g(), 11520u);
    EXPECT_EQ(g(), 0u);
    EXPECT_EQ(g(), 1509978240u);
    EXPECT_EQ(g(), 1215971899390074240u);
    init::generator seeded(0); // state from splitmix64(0)
    EXPECT_EQ(seeded(), 0x99EC5F36CB75F2B4ULL);
}

TEST(InitGenerator, StreamsDifferBySeedEntryAndTensor) {
    std::vector<std::uint64_t> firsts;
    for (std::uint64_t seed : {0u, 1u, 2u})
        for (std::size_t entry : {0u, 1u, 2u})
            for (std::size_t tensor : {0u, 1u, 2u}) firsts.push_back(init::stream(seed, entry, tensor)());
    std::ranges::sort(firsts);
    EXPECT_EQ(std::ranges::adjacent_find(firsts), firsts.end());
}

// Values computed independently (Python, same algorithm): any platform must give them.
TEST(InitPinned, NormalAndHeUniform) {
    using net = basic_network<double, input<3>, dense<2>>;
    typename net::parameters p;
    const auto w = p.tensor<1, 0>();
    initialize<net>(p, init::normal{1.0}, 42);
    const std::array<double, 6> normal{-0.0090291572860726668, 1.0325145026029237,  1.5314986767386227,
                                       0.2761207974248962,    -0.23942570428121299, -0.89743105582395255};
    for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(w[i], normal[i], 1e-15) << i;

    initialize<net>(p, init::he_uniform{}, 7);
    const std::array<double, 6> he{0.62168600026044563, 0.45643903586614498, 0.084614586291828831,
                                   -0.58791522509359384, 1.0181353453189097, 1.2534387488782699};
    for (std::size_t i = 0; i < 6; ++i) EXPECT_NEAR(w[i], he[i], 1e-15) << i;
}

struct moments {
    double mean = 0, var = 0, lo = INFINITY, hi = -INFINITY, within_one_sd = 0;
};
template <class T>
moments moments_of(std::span<const T> v) {
    moments m;
    for (T x : v) m.mean += static_cast<double>(x);
    m.mean /= static_cast<double>(v.size());
    for (T x : v) m.var += (static_cast<double>(x) - m.mean) * (static_cast<double>(x) - m.mean);
    m.var /= static_cast<double>(v.size());
    const double sd = std::sqrt(m.var);
    for (T x : v) {
        m.lo = std::min(m.lo, static_cast<double>(x));
        m.hi = std::max(m.hi, static_cast<double>(x));
        m.within_one_sd += std::abs(static_cast<double>(x) - m.mean) <= sd ? 1 : 0;
    }
    m.within_one_sd /= static_cast<double>(v.size());
    return m;
}

// Mean and variance within 5 standard errors of the target (n values, fixed seed).
void expect_normal(const moments& m, double sd, std::size_t n) {
    const double count = static_cast<double>(n);
    EXPECT_NEAR(m.mean, 0.0, 5 * sd / std::sqrt(count));
    EXPECT_NEAR(m.var, sd * sd, 5 * sd * sd * std::sqrt(2 / count));
    EXPECT_NEAR(m.within_one_sd, 0.682689, 5 * std::sqrt(0.6827 * 0.3173 / count)); // normal, not uniform
}
void expect_uniform(const moments& m, double bound, std::size_t n) {
    const double count = static_cast<double>(n);
    EXPECT_GE(m.lo, -bound);
    EXPECT_LE(m.hi, bound);
    EXPECT_LT(m.lo, -0.999 * bound); // fills the range
    EXPECT_GT(m.hi, 0.999 * bound);
    EXPECT_NEAR(m.mean, 0.0, 5 * bound / std::sqrt(3 * count));
    EXPECT_NEAR(m.var, bound * bound / 3, 5 * bound * bound * std::sqrt(4.0 / 45 / count));
}

// dense: fan_in 300, fan_out 400; conv: weight 256 x 4 x 3 x 5, fan_in 60, fan_out 3840.
using big_dense = basic_network<double, input<300>, dense<400>>;
using big_conv = basic_network<float, input<16, 6, 8>, conv2d<256, hw{3, 5}, groups<4>>>;

TEST(InitStatistics, HeNormal) {
    typename big_dense::parameters p;
    initialize<big_dense>(p, init::he_normal{}, 1);
    expect_normal(moments_of<double>(p.tensor<1, 0>()), std::sqrt(2.0 / 300), 120000);
    typename big_dense::parameters q;
    initialize<big_dense>(q, init::he_normal{.negative_slope = 0.2, .mode = init::fan_mode::fan_out}, 1);
    expect_normal(moments_of<double>(q.tensor<1, 0>()), std::sqrt(2.0 / 1.04 / 400), 120000);
}

TEST(InitStatistics, XavierAndPlainNormal) {
    typename big_dense::parameters p;
    initialize<big_dense>(p, init::xavier_normal{.gain = 2}, 2);
    expect_normal(moments_of<double>(p.tensor<1, 0>()), 2 * std::sqrt(2.0 / 700), 120000);
    initialize<big_dense>(p, init::normal{0.01}, 3);
    expect_normal(moments_of<double>(p.tensor<1, 0>()), 0.01, 120000);
}

TEST(InitStatistics, UniformSchemesOnGroupedRectangularConv) {
    typename big_conv::parameters p;
    initialize<big_conv>(p, init::xavier_uniform{}, 4);
    expect_uniform(moments_of<float>(p.tensor<1, 0>()), std::sqrt(6.0 / (60 + 3840)), 15360);
    initialize<big_conv>(p, init::he_uniform{}, 5);
    expect_uniform(moments_of<float>(p.tensor<1, 0>()), std::sqrt(6.0 / 60), 15360);
}

TEST(InitStatistics, ConstantAndZeros) {
    using net = basic_network<double, input<4>, dense<3>>;
    typename net::parameters p;
    initialize<net>(p, init::constant{0.5}, 0);
    for (double x : p.tensor<1, 0>()) EXPECT_EQ(x, 0.5);
    initialize<net>(p, init::zeros{}, 0);
    for (double x : p.tensor<1, 0>()) EXPECT_EQ(x, 0.0);
}

using lenet = network<input<1, 12, 12>, conv2d<3, 5>, relu, max_pool2d<2>, flatten, dense<7>>;

TEST(InitSeeds, SameSeedSameValuesOtherSeedOtherValues) {
    typename lenet::parameters a, b, c;
    initialize<lenet>(a, init::he_normal{}, 11);
    initialize<lenet>(b, init::he_normal{}, 11);
    initialize<lenet>(c, init::he_normal{}, 12);
    EXPECT_EQ(a.values, b.values);
    for (std::size_t k : {0u, 2u}) { // the conv and dense weights
        const network_tensor& w = lenet::tensors[k];
        std::size_t same = 0;
        for (std::size_t i = 0; i < w.tensor.size; ++i) same += a.values[w.offset + i] == c.values[w.offset + i];
        EXPECT_EQ(same, 0u) << "entry " << w.entry;
    }
}

TEST(InitSeeds, EachTensorHasItsOwnStream) {
    // The same layers with one more at the end: the shared ones get the same values.
    using longer = network<input<1, 12, 12>, conv2d<3, 5>, relu, max_pool2d<2>, flatten, dense<7>, relu, dense<4>>;
    typename lenet::parameters a;
    typename longer::parameters b;
    initialize<lenet>(a, init::xavier_uniform{}, 9);
    initialize<longer>(b, init::xavier_uniform{}, 9);
    EXPECT_TRUE(std::equal(a.values.begin(), a.values.end(), b.values.begin()));
    // Two layers of equal shape get different values.
    using twins = basic_network<double, input<6>, dense<6>, dense<6>>;
    typename twins::parameters t;
    initialize<twins>(t, init::normal{}, 9);
    EXPECT_FALSE(std::ranges::equal(t.tensor<1, 0>(), t.tensor<2, 0>()));
}

TEST(InitSeeds, FloatIsDoubleRounded) {
    using net_d = basic_network<double, input<2, 6, 6>, conv2d<3, 3>, flatten, dense<5>>;
    using net_f = basic_network<float, input<2, 6, 6>, conv2d<3, 3>, flatten, dense<5>>;
    typename net_d::parameters d;
    typename net_f::parameters f;
    initialize<net_d>(d, init::he_normal{}, 21);
    initialize<net_f>(f, init::he_normal{}, 21);
    for (std::size_t k = 0; k < net_d::tensors.size(); ++k)
        for (std::size_t i = 0; i < net_d::tensors[k].tensor.size; ++i)
            EXPECT_EQ(f.values[net_f::tensors[k].offset + i], static_cast<float>(d.values[net_d::tensors[k].offset + i]));
}

TEST(InitLayers, BiasesZeroGapsUntouched) {
    using net = test::golden_net<double>;
    typename net::parameters p;
    std::fill(p.values.begin(), p.values.end(), 3.0);
    initialize<net>(p, init::he_uniform{}, 5);
    for (double x : p.tensor<1, 1>()) EXPECT_EQ(x, 0.0);
    for (double x : p.tensor<3, 1>()) EXPECT_EQ(x, 0.0);
    for (double x : p.tensor<3, 0>()) EXPECT_NE(x, 3.0);
    const auto gap = test::gap_mask<net>();
    for (std::size_t i = 0; i < net::param_storage; ++i)
        if (gap[i]) {
            EXPECT_EQ(p.values[i], 3.0) << i;
        }
}

TEST(InitLayers, BatchNormByName) {
    using net = test::fake_bn_net;
    std::array<double, net::param_storage> v;
    v.fill(3.0);
    initialize<net>(v, init::he_normal{}, 5); // the batch norm's rank-1 weight needs no fans
    for (std::size_t i = 0; i < 8; ++i) EXPECT_NE(v[i], 3.0);   // conv weight
    for (std::size_t i = 8; i < 10; ++i) EXPECT_EQ(v[i], 0.0);  // conv bias
    for (std::size_t i = 16; i < 18; ++i) EXPECT_EQ(v[i], 1.0); // weight
    for (std::size_t i = 18; i < 20; ++i) EXPECT_EQ(v[i], 0.0); // bias
    for (std::size_t i = 20; i < 22; ++i) EXPECT_EQ(v[i], 0.0); // running_mean
    for (std::size_t i = 22; i < 24; ++i) EXPECT_EQ(v[i], 1.0); // running_var
    for (std::size_t i : {10u, 15u, 24u, 31u}) EXPECT_EQ(v[i], 3.0);
}

} // namespace
