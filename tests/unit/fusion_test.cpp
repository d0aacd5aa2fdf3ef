// Inference fusion of a conv2d or dense with the activation right after it: which entries
// fuse (relu, leaky_relu, clip/relu6, identity; not sigmoid, elu; only the first of two
// activations in a row), the plan around a fused pair (first layer reading the caller's
// input, last pair writing the caller's output, in place in a buffer), the workspace worked
// out by hand, and the results: forward() bit for bit what run_unfused() and the bound
// layers one by one give, and close to the scalar reference kernels, for batches 1 and 5,
// float and double. The cases cover every conv kernel family (direct along the width,
// direct along the channels, GEMM for 1x1) and the dense kernel.
#include "test_nets.hpp"
#include "unit_util.hpp"

#include <ctnn_test_util.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace {

using ctnn::detail::place;
using ctnn::unit::for_each_index;

/// Elements of T in the smallest multiple of ctnn::alignment bytes that holds n elements.
template <class T>
std::size_t aligned(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    return (bytes + ctnn::alignment - 1) / ctnn::alignment * ctnn::alignment / sizeof(T);
}

/// N flags, true at the given entries.
template <std::size_t N>
std::array<bool, N> entries(std::initializer_list<std::size_t> set) {
    std::array<bool, N> a{};
    for (std::size_t i : set) a[i] = true;
    return a;
}

// Each case: a network over T, the entries that must be fused, and the workspace per
// sample worked out by hand from the plan's rule.

/// conv -> buffer 0 (4 x 12 x 12), pool -> buffer 1 (144, flatten in place), dense -> buffer 0.
template <class T>
struct lenet_like {
    using net = ctnn::basic_network<T, ctnn::input<1, 12, 12>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::max_pool2d<2>, ctnn::flatten, ctnn::dense<16>, ctnn::relu, ctnn::dense<5>>;
    static auto fused() { return entries<8>({2, 6}); }
    static std::size_t workspace() { return aligned<T>(576) + aligned<T>(144); }
};

template <class T>
struct conv_leaky_relu {
    using net = ctnn::basic_network<T, ctnn::input<3, 8, 8>, ctnn::conv2d<5, 3>, ctnn::leaky_relu<0.1>,
                                    ctnn::max_pool2d<2>>;
    static auto fused() { return entries<4>({2}); }
    static std::size_t workspace() { return aligned<T>(180); }
};

template <class T>
struct conv_relu6 {
    using net = ctnn::basic_network<T, ctnn::input<2, 9, 9>, ctnn::conv2d<4, 3, ctnn::stride<2>>, ctnn::relu6,
                                    ctnn::flatten, ctnn::dense<3>>;
    static auto fused() { return entries<5>({2}); }
    static std::size_t workspace() { return aligned<T>(64); }
};

/// The last pair writes the caller's output: the second conv needs no buffer (unfused: 384 more).
template <class T>
struct conv_relu_last {
    using net = ctnn::basic_network<T, ctnn::input<2, 8, 8>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::conv2d<6, 3, ctnn::pad<1>>, ctnn::relu>;
    static auto fused() { return entries<5>({2, 4}); }
    static std::size_t workspace() { return aligned<T>(256); }
};

/// The only pair reads the caller's input and writes the caller's output: no workspace.
template <class T>
struct conv_relu_only {
    using net = ctnn::basic_network<T, ctnn::input<3, 6, 6>, ctnn::conv2d<5, 3, ctnn::pad<1>>, ctnn::relu>;
    static auto fused() { return entries<3>({2}); }
    static std::size_t workspace() { return 0; }
};

/// dense + relu first (reads the caller's input); dense + identity last.
template <class T>
struct dense_relu_first {
    using net = ctnn::basic_network<T, ctnn::input<20>, ctnn::dense<12>, ctnn::relu, ctnn::dense<4>, ctnn::identity>;
    static auto fused() { return entries<5>({2, 4}); }
    static std::size_t workspace() { return aligned<T>(12); }
};

/// sigmoid and elu have no epilogue: nothing fuses, the plan is the plain one.
template <class T>
struct conv_sigmoid {
    using net = ctnn::basic_network<T, ctnn::input<2, 6, 6>, ctnn::conv2d<3, 3>, ctnn::sigmoid, ctnn::flatten,
                                    ctnn::dense<2>, ctnn::elu<>>;
    static auto fused() { return entries<6>({}); }
    static std::size_t workspace() { return aligned<T>(48) + aligned<T>(2); }
};

/// 1x1, stride 1, unpadded: the GEMM kernel.
template <class T>
struct pointwise_relu {
    using net = ctnn::basic_network<T, ctnn::input<8, 5, 5>, ctnn::conv2d<16, 1>, ctnn::relu, ctnn::flatten,
                                    ctnn::dense<3>>;
    static auto fused() { return entries<5>({2}); }
    static std::size_t workspace() { return aligned<T>(400); }
};

/// Output rows of 3, narrow next to the vector: the direct kernel along the channels.
template <class T>
struct by_channels_relu {
    using net = ctnn::basic_network<T, ctnn::input<16, 3, 3>, ctnn::conv2d<32, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::conv2d<8, 3, ctnn::pad<1>>, ctnn::leaky_relu<0.05>>;
    static auto fused() { return entries<5>({2, 4}); }
    static std::size_t workspace() { return aligned<T>(288); }
};

/// Two activations in a row, twice: only the first of each fuses; the last relu reads
/// the buffer its dense (fused with the relu before) wrote.
template <class T>
struct two_in_a_row {
    using net = ctnn::basic_network<T, ctnn::input<2, 6, 6>, ctnn::conv2d<3, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::leaky_relu<0.2>, ctnn::max_pool2d<2>, ctnn::flatten, ctnn::dense<4>,
                                    ctnn::relu, ctnn::relu>;
    static auto fused() { return entries<9>({2, 7}); }
    static std::size_t workspace() { return aligned<T>(108) + aligned<T>(27); }
};

using cases = ::testing::Types<lenet_like<float>, lenet_like<double>, conv_leaky_relu<float>, conv_leaky_relu<double>,
                               conv_relu6<float>, conv_relu6<double>, conv_relu_last<float>, conv_relu_last<double>,
                               conv_relu_only<float>, conv_relu_only<double>, dense_relu_first<float>,
                               dense_relu_first<double>, conv_sigmoid<float>, conv_sigmoid<double>,
                               pointwise_relu<float>, pointwise_relu<double>, by_channels_relu<float>,
                               by_channels_relu<double>, two_in_a_row<float>, two_in_a_row<double>>;

template <class Case>
class Fusion : public ::testing::Test {};
TYPED_TEST_SUITE(Fusion, cases);

TYPED_TEST(Fusion, FusesExactlyTheExpectedEntries) {
    using Net = typename TypeParam::net;
    EXPECT_EQ(Net::fused_into_previous, TypeParam::fused());
    EXPECT_EQ(Net::plan.fused, TypeParam::fused());
}

TYPED_TEST(Fusion, WorkspaceIsWhatTheFusedPlanNeeds) {
    using Net = typename TypeParam::net;
    EXPECT_EQ(Net::workspace_size, TypeParam::workspace());
}

// Each entry reads what the one before it left; a fused entry is planned in place where
// its conv2d or dense wrote; the last entry leaves the result in the caller's output and
// nothing writes the caller's input.
TYPED_TEST(Fusion, PlanPutsAFusedEntryWhereItsPairWrote) {
    using Net = typename TypeParam::net;
    constexpr auto& p = Net::plan;
    constexpr std::size_t last = Net::entry_count - 1;
    EXPECT_EQ(p.src[1], place::user_input);
    EXPECT_EQ(p.dst[last], place::user_output);
    for (std::size_t i = 1; i <= last; ++i) {
        if (i > 1) {
            EXPECT_EQ(p.src[i], p.dst[i - 1]) << "entry " << i;
        }
        EXPECT_NE(p.dst[i], place::user_input) << "entry " << i;
        if (Net::fused_into_previous[i]) {
            EXPECT_EQ(p.dst[i], p.src[i]) << "fused entry " << i;
        }
        const bool pair_ends_the_net = i + 1 == last && Net::fused_into_previous[last];
        if (i < last && !pair_ends_the_net) {
            EXPECT_TRUE(p.dst[i] == place::buffer0 || p.dst[i] == place::buffer1) << "entry " << i;
        }
    }
}

/// Runs `run(params, in, out, workspace, batch)` with the workspace (exactly batch *
/// workspace_size, full of NaN) and the output each between guard cells; checks the guards.
template <class Net, class Run>
std::vector<typename Net::value_type> guarded_run(Run run, const typename Net::parameters& p,
                                                  const std::vector<typename Net::value_type>& in, std::size_t batch) {
    using T = typename Net::value_type;
    constexpr std::size_t guard = 64;
    constexpr T sentinel = T(-12345.5);
    const std::size_t ws_size = batch * Net::workspace_size, out_size = batch * Net::output_size;
    std::vector<T> ws(ws_size + 2 * guard, sentinel), out(out_size + 2 * guard, sentinel);
    std::fill_n(ws.begin() + guard, ws_size, std::numeric_limits<T>::quiet_NaN());
    std::fill_n(out.begin() + guard, out_size, std::numeric_limits<T>::quiet_NaN());
    const std::vector<T> in_copy = in;
    run(p, in, std::span<T>(out).subspan(guard, out_size), std::span<T>(ws).subspan(guard, ws_size));
    EXPECT_EQ(in, in_copy) << "the input was written";
    for (std::size_t i = 0; i < guard; ++i) {
        EXPECT_EQ(ws[i], sentinel) << "workspace underrun at " << i;
        EXPECT_EQ(ws[guard + ws_size + i], sentinel) << "workspace overrun at " << i;
        EXPECT_EQ(out[i], sentinel) << "output underrun at " << i;
        EXPECT_EQ(out[guard + out_size + i], sentinel) << "output overrun at " << i;
    }
    std::vector<T> result(out.begin() + guard, out.begin() + static_cast<std::ptrdiff_t>(guard + out_size));
    for (T v : result) EXPECT_FALSE(std::isnan(v)) << "an output left unwritten, or a stale NaN read";
    return result;
}

/// Same bytes (so -0 differs from +0, and NaN payloads count).
template <class T>
void expect_same_bits(const std::vector<T>& got, const std::vector<T>& expected, const char* what) {
    ASSERT_EQ(got.size(), expected.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (std::memcmp(&got[i], &expected[i], sizeof(T)) != 0) {
            ADD_FAILURE() << what << ": first difference at " << i << ": " << got[i] << " vs " << expected[i];
            return;
        }
}

/// The network computed with the scalar reference kernels only, layer by layer.
template <class Net>
std::vector<typename Net::value_type> reference_forward(const typename Net::parameters& p,
                                                        const std::vector<typename Net::value_type>& in,
                                                        std::size_t batch) {
    using T = typename Net::value_type;
    namespace ref = ctnn::kernels::reference;
    std::vector<T> current = in;
    for_each_index<Net::entry_count - 1>([&]<std::size_t J>() {
        constexpr std::size_t I = J + 1;
        using L = typename Net::template layer<I>;
        std::vector<T> next(batch * L::out_shape::size);
        const T* w = p.values.data() + Net::param_offset[I];
        if constexpr (L::name == "conv2d")
            ref::conv2d_forward(L::geometry, current.data(), w, L::geometry.bias ? w + L::weight_size : nullptr,
                                next.data(), batch);
        else if constexpr (L::name == "dense")
            ref::dense_forward(L::geometry, current.data(), w, L::bias ? w + L::weight_size : nullptr, next.data(),
                               batch);
        else if constexpr (L::name == "max_pool2d")
            ref::pool2d_forward<ctnn::pool_kind::max>(L::geometry, current.data(), next.data(), batch);
        else if constexpr (L::name == "flatten")
            next = current;
        else if constexpr (requires { typename L::op_type; })
            ref::elementwise_forward(L::op, current.data(), next.data(), next.size());
        else
            static_assert(sizeof(L) == 0, "reference_forward: add this layer");
        current = std::move(next);
    });
    return current;
}

TYPED_TEST(Fusion, ForwardIsBitIdenticalToTheUnfusedPath) {
    using Net = typename TypeParam::net;
    using T = typename Net::value_type;
    using params_t = typename Net::parameters;
    const auto p = ctnn::unit::random_parameters<Net>(40, 0.5);
    for (std::size_t batch : {1u, 5u}) {
        SCOPED_TRACE(testing::Message() << "batch " << batch);
        const auto in = ctnn::test::random_vector<T>(batch * Net::input_size, 41 + static_cast<unsigned>(batch));
        const auto fused = guarded_run<Net>(
            [](const params_t& q, std::span<const T> x, std::span<T> y, std::span<T> ws) { Net::forward(q, x, y, ws); },
            *p, in, batch);
        const auto unfused = guarded_run<Net>(
            [batch](const params_t& q, std::span<const T> x, std::span<T> y, std::span<T> ws) {
                Net::run_unfused(q.values.data(), x.data(), y.data(), ws.data(), batch);
            },
            *p, in, batch);
        expect_same_bits(fused, unfused, "forward vs run_unfused");
        expect_same_bits(fused, ctnn::unit::chain_forward<Net>(*p, in, batch), "forward vs the layers one by one");
        const auto reference = reference_forward<Net>(*p, in, batch);
        const std::span<const T> got(fused), want(reference);
        EXPECT_LE((ctnn::test::max_abs_diff<T, T>(got, want)),
                  (std::is_same_v<T, float> ? 1e-4 : 1e-12) * ctnn::test::scale_of<T>(want));
    }
}

TYPED_TEST(Fusion, SummaryNamesEachFusedPair) {
    using Net = typename TypeParam::net;
    std::ostringstream os;
    Net::summary(os);
    std::istringstream lines(os.str());
    std::string line;
    for (std::size_t i = 0; i < Net::entry_count; ++i) {
        ASSERT_TRUE(std::getline(lines, line));
        if (Net::fused_into_previous[i]) {
            const std::string note =
                ", fused into " + std::to_string(i - 1) + " " + std::string(Net::layer_names[i - 1]);
            EXPECT_TRUE(line.ends_with(note)) << line;
        } else {
            EXPECT_EQ(line.find("fused"), std::string::npos) << line;
        }
    }
}

// The shapes above reach the kernel families they are meant to (without
// CTNN_REFERENCE_KERNELS): a fused epilogue in each.
template <class L>
constexpr ctnn::conv_kernel kernel_of =
    ctnn::kernels::simd::conv2d_forward_kernel<L::geometry, typename L::value_type, ctnn::conv_kernel::automatic>();

template <class T>
void expect_kernel_families() {
    using ctnn::conv_kernel;
    using lenet_conv = typename lenet_like<T>::net::template layer<1>;
    using pointwise = typename pointwise_relu<T>::net::template layer<1>;
    using narrow = typename by_channels_relu<T>::net::template layer<1>;
    EXPECT_EQ(kernel_of<lenet_conv>, conv_kernel::direct);
    EXPECT_FALSE((ctnn::kernels::simd::conv2d_direct_by_channels<lenet_conv::geometry, T>));
    EXPECT_EQ(kernel_of<pointwise>, conv_kernel::gemm);
    EXPECT_EQ(kernel_of<narrow>, conv_kernel::direct);
    EXPECT_TRUE((ctnn::kernels::simd::conv2d_direct_by_channels<narrow::geometry, T>));
}

TEST(FusionKernels, CasesReachEveryConvKernelFamily) {
    if constexpr (CTNN_REFERENCE_KERNELS) {
        GTEST_SKIP() << "built with the reference kernels";
    } else {
        expect_kernel_families<float>();
        expect_kernel_families<double>();
    }
}

// relu6 clips at both ends inside the kernel: large weights push outputs past 6 and below 0.
TEST(FusionByHand, Relu6ClipsBothEnds) {
    using net = ctnn::network<ctnn::input<2, 9, 9>, ctnn::conv2d<4, 3, ctnn::stride<2>>, ctnn::relu6>;
    static_assert(net::fused_into_previous[2] && net::workspace_size == 0);
    const auto p = ctnn::unit::random_parameters<net>(50, 2.0);
    constexpr std::size_t batch = 3;
    const auto in = ctnn::test::random_vector<float>(batch * net::input_size, 51, -3.0f, 3.0f);
    std::vector<float> out(batch * net::output_size), unfused(out.size());
    net::forward(*p, in, out, std::span<float>{});
    net::run_unfused(p->values.data(), in.data(), unfused.data(), nullptr, batch);
    expect_same_bits(out, unfused, "relu6");
    EXPECT_EQ(*std::min_element(out.begin(), out.end()), 0.0f);
    EXPECT_EQ(*std::max_element(out.begin(), out.end()), 6.0f);
    EXPECT_TRUE(std::any_of(out.begin(), out.end(), [](float v) { return v > 0.0f && v < 6.0f; }));
}

// conv2d<1, 1> with weight 2, bias -1, then leaky_relu<0.5>, written straight into the output.
TEST(FusionByHand, LeakyReluLastWritesTheOutput) {
    using net = ctnn::network<ctnn::input<1, 2, 2>, ctnn::conv2d<1, 1>, ctnn::leaky_relu<0.5>>;
    static_assert(net::fused_into_previous[2] && net::workspace_size == 0);
    static_assert(net::plan.dst[1] == place::user_output && net::plan.src[2] == place::user_output);
    net::parameters p;
    p.assign<1, 0>(std::array<float, 1>{2.0f});
    p.assign<1, 1>(std::array<float, 1>{-1.0f});
    const std::vector<float> in{-3, 0, 1, 4};
    std::vector<float> out(4);
    net::forward(p, in, out, std::span<float>{});
    EXPECT_EQ(out, (std::vector<float>{-3.5f, -0.5f, 1, 7}));
}

// The README's LeNet, as docs/layers.md shows its summary.
TEST(FusionByHand, ReadmeLenetSummaryAsDocumented) {
    using ctnn::unit::lenet;
    std::ostringstream os;
    lenet::summary(os);
    const std::string entries_text = "0 input (1 x 28 x 28) 0 params\n"
                                     "1 conv2d (6 x 28 x 28) 156 params\n"
                                     "2 relu (6 x 28 x 28) 0 params, fused into 1 conv2d\n"
                                     "3 max_pool2d (6 x 14 x 14) 0 params\n"
                                     "4 conv2d (16 x 10 x 10) 2416 params\n"
                                     "5 relu (16 x 10 x 10) 0 params, fused into 4 conv2d\n"
                                     "6 max_pool2d (16 x 5 x 5) 0 params\n"
                                     "7 flatten (400) 0 params\n"
                                     "8 dense (120) 48120 params\n"
                                     "9 relu (120) 0 params, fused into 8 dense\n"
                                     "10 dense (84) 10164 params\n"
                                     "11 relu (84) 0 params, fused into 10 dense\n"
                                     "12 dense (10) 850 params\n"
                                     "13 softmax (10) 0 params\n";
    EXPECT_TRUE(os.str().starts_with(entries_text)) << os.str();
    if constexpr (ctnn::alignment == 64) {
        EXPECT_EQ(os.str(), entries_text + "total 61706 params (246976 bytes), workspace 23552 bytes per sample\n");
    }
    EXPECT_EQ(lenet::fused_into_previous, entries<14>({2, 5, 9, 11}));
}

} // namespace
