// net::forward against the bound layers called one by one with buffers of our own, for
// every test net (first or last layer element-wise, single layers, activation chains,
// LeNet, a net with most options): equal results; the input is never written; nothing
// outside the output and the workspace is touched; stale workspace contents (NaN) are
// never read; buffers need no alignment. Also: a batch equals its samples run one by
// one, and float and double LeNets agree.
#include "test_nets.hpp"
#include "unit_util.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace {

using ctnn::unit::chain_forward;
using ctnn::unit::guarded_forward;
using ctnn::unit::random_parameters;

template <class Net>
class NetworkForward : public ::testing::Test {};
TYPED_TEST_SUITE(NetworkForward, ctnn::unit::all_nets);

TYPED_TEST(NetworkForward, EqualsBoundLayersOneByOne) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    const auto p = random_parameters<Net>(10);
    for (std::size_t batch : {1u, 3u}) {
        const auto in = ctnn::test::random_vector<T>(batch * Net::input_size, 20 + static_cast<unsigned>(batch));
        const auto got = guarded_forward(in, batch * Net::output_size, batch * Net::workspace_size,
                                         [&](std::span<const T> x, std::span<T> y, std::span<T> ws) {
                                             Net::forward(*p, x, y, ws);
                                         });
        const auto expected = chain_forward<Net>(*p, in, batch);
        ASSERT_EQ(got.size(), expected.size());
        EXPECT_EQ(got, expected) << "batch " << batch;
        for (T v : got) ASSERT_FALSE(std::isnan(v)) << "a NaN from the workspace leaked into the output";
    }
}

// The caller's input, output and workspace need no alignment: one element off gives the same.
TYPED_TEST(NetworkForward, UnalignedCallerBuffersGiveTheSameResult) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    constexpr std::size_t batch = 3;
    const auto p = random_parameters<Net>(11);
    const auto shifted_in = ctnn::test::random_vector<T>(batch * Net::input_size + 1, 12);
    const std::vector<T> in(shifted_in.begin() + 1, shifted_in.end());
    std::vector<T> expected(batch * Net::output_size), out(batch * Net::output_size + 1),
        ws(batch * Net::workspace_size + 1);
    ctnn::workspace<Net> aligned_ws(batch);
    Net::forward(*p, in, expected, aligned_ws);
    Net::forward(*p, std::span<const T>(shifted_in).subspan(1), std::span<T>(out).subspan(1),
                 std::span<T>(ws).subspan(1));
    EXPECT_EQ(std::vector<T>(out.begin() + 1, out.end()), expected);
}

// The input's negative values survive a first relu (it must not run in place on the input),
// and the outputs are relu'd values of the conv (the last layer wrote the output).
TEST(NetworkForward, ElementwiseFirstAndLastByHand) {
    using net = ctnn::network<ctnn::input<1, 2, 2>, ctnn::relu, ctnn::conv2d<1, 1>, ctnn::leaky_relu<0.5>>;
    net::parameters p;
    p.assign<2, 0>(std::array<float, 1>{2.0f});
    p.assign<2, 1>(std::array<float, 1>{-1.0f});
    const std::vector<float> in{-3, 0, 1, 4};
    std::vector<float> out(4);
    ctnn::static_workspace<net> ws{}; // {}: GCC 12 cannot see that forward writes before it reads
    net::forward(p, in, out, ws);
    EXPECT_EQ(in, (std::vector<float>{-3, 0, 1, 4}));
    // relu: 0 0 1 4; conv: 2x - 1: -1 -1 1 7; leaky 0.5: -0.5 -0.5 1 7.
    EXPECT_EQ(out, (std::vector<float>{-0.5f, -0.5f, 1, 7}));
}

// A batch of 5 gives, per sample, what that sample gives alone (LeNet-like nets).
template <class Net>
void expect_batch_independent() {
    using T = typename Net::value_type;
    constexpr std::size_t batch = 5;
    const auto p = random_parameters<Net>(30);
    const auto in = ctnn::test::random_vector<T>(batch * Net::input_size, 31);
    std::vector<T> out(batch * Net::output_size);
    ctnn::workspace<Net> ws(batch);
    Net::forward(*p, in, out, ws);
    ctnn::static_workspace<Net> one_ws;
    for (std::size_t n = 0; n < batch; ++n) {
        std::vector<T> one(Net::output_size);
        Net::forward(*p, std::span<const T>(in).subspan(n * Net::input_size, Net::input_size), one, one_ws);
        const std::span<const T> slice = std::span<const T>(out).subspan(n * Net::output_size, Net::output_size);
        EXPECT_LE((ctnn::test::max_abs_diff<T, T>(slice, one)), 1e-6 * ctnn::test::scale_of<T>(one)) << "sample " << n;
    }
    // The samples differ, so a mix-up between them would show.
    EXPECT_GT((ctnn::test::max_abs_diff<T, T>(std::span<const T>(out).first(Net::output_size),
                                              std::span<const T>(out).subspan(Net::output_size, Net::output_size))),
              1e-4);
}

TEST(NetworkForward, BatchEqualsSamplesOneByOne) {
    expect_batch_independent<ctnn::unit::lenet>();
    expect_batch_independent<ctnn::unit::lenet_double>();
    expect_batch_independent<ctnn::unit::basic_lenet_logits<float>>();
    expect_batch_independent<ctnn::unit::mixed>();
}

// Same parameters and data in float and double: results agree to float precision.
template <template <class> class Net>
void expect_float_matches_double() {
    using F = Net<float>;
    using D = Net<double>;
    static_assert(F::param_count == D::param_count);
    constexpr std::size_t batch = 3;
    auto pd = std::make_unique<typename D::parameters>();
    auto pf = std::make_unique<typename F::parameters>();
    ctnn::unit::for_each_index<F::entry_count>([&]<std::size_t I>() {
        const auto v = ctnn::test::random_vector<double>(F::template layer<I>::param_count, static_cast<unsigned>(40 + I), -0.2, 0.2);
        std::copy(v.begin(), v.end(), pd->template of<I>().begin());
        std::transform(v.begin(), v.end(), pf->template of<I>().begin(), [](double x) { return static_cast<float>(x); });
    });
    const auto in_d = ctnn::test::random_vector<double>(batch * D::input_size, 50);
    std::vector<float> in_f(in_d.size());
    std::transform(in_d.begin(), in_d.end(), in_f.begin(), [](double x) { return static_cast<float>(x); });
    std::vector<double> out_d(batch * D::output_size);
    std::vector<float> out_f(batch * F::output_size);
    ctnn::workspace<D> ws_d(batch);
    ctnn::workspace<F> ws_f(batch);
    D::forward(*pd, in_d, out_d, ws_d);
    F::forward(*pf, in_f, out_f, ws_f);
    const double scale = ctnn::test::scale_of<double>(out_d);
    EXPECT_LE((ctnn::test::max_abs_diff<float, double>(out_f, out_d)), 1e-5 * scale);
    EXPECT_GT((ctnn::test::max_abs_diff<double, double>(std::span<const double>(out_d).first(D::output_size),
                                                        std::span<const double>(out_d).last(D::output_size))),
              1e-4)
        << "the test data should not be degenerate";
}

TEST(NetworkForward, FloatAgreesWithDouble) {
    expect_float_matches_double<ctnn::unit::basic_lenet>();
    expect_float_matches_double<ctnn::unit::basic_lenet_logits>();
}

// model<Net> runs the same computation as Net::forward on separate storage.
TEST(NetworkForward, ModelEqualsForward) {
    using net = ctnn::unit::mixed;
    ctnn::model<net> m(2);
    const auto p = random_parameters<net>(60);
    m.params() = *p;
    const auto in = ctnn::test::random_vector<float>(2 * net::input_size, 61);
    std::vector<float> a(2 * net::output_size), b(2 * net::output_size);
    m.forward(in, a);
    ctnn::workspace<net> ws(2);
    net::forward(*p, in, b, ws);
    EXPECT_EQ(a, b);
    EXPECT_EQ(m.batch_capacity(), 2u);
}

} // namespace
