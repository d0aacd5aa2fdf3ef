// Inference fusion: a conv2d or dense with the activation right after it, and a conv2d
// (with or without such an activation) with the 2x2 stride-2 max_pool2d or avg_pool2d after
// it. Which entries fuse (relu, leaky_relu, clip/relu6, identity; not sigmoid, elu; only the
// first of two activations in a row; a pool only when conv2d_pool_fusable holds: not a 3x3
// window, a stride of 1, padding, a ceil-mode window past the conv's map, or the 1x1 GEMM
// kernel), the plan around each fused step (first layers reading the caller's input, last
// steps writing the caller's output, a conv2d + pool never reading and writing the same
// buffer), the workspace worked out by hand, and the results: forward() bit for bit what
// run_unfused() (with its own, plain plan) and the bound layers one by one give, and close
// to the scalar reference kernels, for batches 1 and 5, float and double. The workspace is
// exactly sized, full of NaN and between guard cells, so a step writing the wrong place, or
// reading a map the fused kernel never wrote, fails. The cases cover every conv kernel
// family (direct along the width, direct along the channels, GEMM for 1x1) and the dense
// kernel; which direct kernel a shape gets depends on the vector width (these unit tests
// build for the compiler's baseline, SSE2 on x86-64), see CasesReachEveryConvKernelFamily.
#include "test_nets.hpp"
#include "unit_util.hpp"

#include <ctnn_test_util.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace {

using ctnn::detail::place;
using ctnn::unit::for_each_index;
using ctnn::unit::guarded_forward;

/// Elements of T in the smallest multiple of ctnn::alignment bytes that holds n elements.
template <class T>
std::size_t aligned(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    return (bytes + ctnn::alignment - 1) / ctnn::alignment * ctnn::alignment / sizeof(T);
}

using ctnn::unit::pools_fuse;

/// N flags, true at the entries of `set`, and at those of `pooled` when pools fuse.
template <std::size_t N>
std::array<bool, N> entries(std::initializer_list<std::size_t> set, std::initializer_list<std::size_t> pooled = {}) {
    std::array<bool, N> a{};
    for (std::size_t i : set) a[i] = true;
    if (pools_fuse)
        for (std::size_t i : pooled) a[i] = true;
    return a;
}

/// With pools fused, `fused`; else `pairs_only`.
inline std::size_t when_pools_fuse(std::size_t fused, std::size_t pairs_only) {
    return pools_fuse ? fused : pairs_only;
}

// Each case: a network over T, the entries that must be fused, and the workspace per
// sample worked out by hand from the plan's rule (and what it is with pairs only).

/// conv + relu + pool -> buffer 0 (4 x 6 x 6; flatten in place), dense + relu -> buffer 1,
/// dense -> the output. Pairs only: conv -> buffer 0 (4 x 12 x 12), pool -> buffer 1 (144).
template <class T>
struct lenet_like {
    using net = ctnn::basic_network<T, ctnn::input<1, 12, 12>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::max_pool2d<2>, ctnn::flatten, ctnn::dense<16>, ctnn::relu, ctnn::dense<5>>;
    static auto fused() { return entries<8>({2, 6}, {3}); }
    static std::size_t workspace() {
        return when_pools_fuse(aligned<T>(144) + aligned<T>(16), aligned<T>(576) + aligned<T>(144));
    }
};

/// The README's LeNet: two conv + relu + max_pool triples (the first reads the caller's
/// input), then buffers of 6 x 14 x 14 and 16 x 5 x 5 instead of 6 x 28 x 28 and 6 x 14 x 14.
template <class T>
struct lenet {
    using net = ctnn::unit::basic_lenet<T>;
    static auto fused() { return entries<14>({2, 5, 9, 11}, {3, 6}); }
    static std::size_t workspace() {
        return when_pools_fuse(aligned<T>(1176) + aligned<T>(400), aligned<T>(4704) + aligned<T>(1176));
    }
};

/// The whole net is one conv + leaky_relu + max_pool step: it reads the caller's input and
/// writes the caller's output, so no workspace (pairs only: 5 x 6 x 6).
template <class T>
struct conv_leaky_relu {
    using net = ctnn::basic_network<T, ctnn::input<3, 8, 8>, ctnn::conv2d<5, 3>, ctnn::leaky_relu<0.1>,
                                    ctnn::max_pool2d<2>>;
    static auto fused() { return entries<4>({2}, {3}); }
    static std::size_t workspace() { return when_pools_fuse(0, aligned<T>(180)); }
};

/// conv + max_pool with no activation between: the kernel pools with the identity op.
template <class T>
struct conv_pool {
    using net = ctnn::basic_network<T, ctnn::input<3, 8, 8>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::max_pool2d<2>,
                                    ctnn::flatten, ctnn::dense<5>>;
    static auto fused() { return entries<5>({}, {2}); }
    static std::size_t workspace() { return when_pools_fuse(aligned<T>(64), aligned<T>(256) + aligned<T>(64)); }
};

/// conv + leaky_relu + avg_pool2d.
template <class T>
struct conv_leaky_avg_pool {
    using net = ctnn::basic_network<T, ctnn::input<2, 10, 10>, ctnn::conv2d<5, 3>, ctnn::leaky_relu<0.1>,
                                    ctnn::avg_pool2d<2>, ctnn::flatten, ctnn::dense<3>>;
    static auto fused() { return entries<6>({2}, {3}); }
    static std::size_t workspace() { return when_pools_fuse(aligned<T>(80), aligned<T>(320) + aligned<T>(80)); }
};

/// A conv + relu pair into buffer 0, then a triple that reads it and ends the network: the
/// pool's result goes straight to the caller's output (pairs only: 6 x 8 x 8 in buffer 1).
template <class T>
struct triple_last {
    using net = ctnn::basic_network<T, ctnn::input<2, 8, 8>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::conv2d<6, 3, ctnn::pad<1>>, ctnn::relu, ctnn::max_pool2d<2>>;
    static auto fused() { return entries<6>({2, 4}, {5}); }
    static std::size_t workspace() { return when_pools_fuse(aligned<T>(256), aligned<T>(256) + aligned<T>(384)); }
};

/// A 9 x 9 map pooled in floor mode: the kernel never computes the last conv row.
template <class T>
struct odd_map_floor {
    using net = ctnn::basic_network<T, ctnn::input<3, 9, 9>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::max_pool2d<2, ctnn::floor_mode>, ctnn::conv2d<3, 3, ctnn::pad<1>>,
                                    ctnn::relu>;
    static auto fused() { return entries<6>({2, 5}, {3}); }
    static std::size_t workspace() { return when_pools_fuse(aligned<T>(64), aligned<T>(324) + aligned<T>(64)); }
};

/// LeNet's second conv reading the caller's input: 16 x 10 x 10 rows of 10 are narrow, so
/// the direct kernel along the channels pools (for float on SSE2, AVX2 and AVX-512; for
/// double from AVX2 on: in the SSE2 unit build the double case runs along the width).
template <class T>
struct by_channels_pool {
    using net = ctnn::basic_network<T, ctnn::input<6, 14, 14>, ctnn::conv2d<16, 5>, ctnn::relu, ctnn::max_pool2d<2>,
                                    ctnn::flatten, ctnn::dense<10>>;
    static auto fused() { return entries<6>({2}, {3}); }
    static std::size_t workspace() { return when_pools_fuse(aligned<T>(400), aligned<T>(1600) + aligned<T>(400)); }
};

/// A 3 x 3 pool does not fuse: conv + relu fuse, the pool runs on its own.
template <class T>
struct pool3_apart {
    using net = ctnn::basic_network<T, ctnn::input<3, 9, 9>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::max_pool2d<3>, ctnn::flatten, ctnn::dense<2>>;
    static auto fused() { return entries<6>({2}); }
    static std::size_t workspace() { return aligned<T>(324) + aligned<T>(36); }
};

/// Nor does a 2 x 2 pool with stride 1.
template <class T>
struct stride1_pool_apart {
    using net = ctnn::basic_network<T, ctnn::input<3, 8, 8>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::max_pool2d<2, ctnn::stride<1>>, ctnn::flatten, ctnn::dense<2>>;
    static auto fused() { return entries<6>({2}); }
    static std::size_t workspace() { return aligned<T>(256) + aligned<T>(196); }
};

/// Nor a padded one (an avg_pool2d, with its padding counted).
template <class T>
struct padded_pool_apart {
    using net = ctnn::basic_network<T, ctnn::input<3, 8, 8>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::avg_pool2d<2, ctnn::pad<1>>, ctnn::flatten, ctnn::dense<2>>;
    static auto fused() { return entries<6>({2}); }
    static std::size_t workspace() { return aligned<T>(256) + aligned<T>(100); }
};

/// Nor a ceil-mode pool whose last windows reach past the 9 x 9 map.
template <class T>
struct ceil_pool_apart {
    using net = ctnn::basic_network<T, ctnn::input<3, 10, 10>, ctnn::conv2d<4, 2>, ctnn::relu,
                                    ctnn::max_pool2d<2, ctnn::ceil_mode>, ctnn::flatten, ctnn::dense<2>>;
    static auto fused() { return entries<6>({2}); }
    static std::size_t workspace() { return aligned<T>(324) + aligned<T>(100); }
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

/// 1x1, stride 1, unpadded: the GEMM kernel; it applies the relu but does not pool, so the
/// pool after it runs on its own.
template <class T>
struct pointwise_relu {
    using net = ctnn::basic_network<T, ctnn::input<8, 6, 6>, ctnn::conv2d<16, 1>, ctnn::relu, ctnn::max_pool2d<2>,
                                    ctnn::flatten, ctnn::dense<3>>;
    static auto fused() { return entries<6>({2}); }
    static std::size_t workspace() { return aligned<T>(576) + aligned<T>(144); }
};

/// Output rows of 3, narrow next to the vector: the direct kernel along the channels.
template <class T>
struct by_channels_relu {
    using net = ctnn::basic_network<T, ctnn::input<16, 3, 3>, ctnn::conv2d<32, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::conv2d<8, 3, ctnn::pad<1>>, ctnn::leaky_relu<0.05>>;
    static auto fused() { return entries<5>({2, 4}); }
    static std::size_t workspace() { return aligned<T>(288); }
};

/// Two activations in a row, twice: only the first of each fuses (so the pool after the
/// second does not); the last relu reads the buffer its dense (fused with the relu before)
/// wrote.
template <class T>
struct two_in_a_row {
    using net = ctnn::basic_network<T, ctnn::input<2, 6, 6>, ctnn::conv2d<3, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::leaky_relu<0.2>, ctnn::max_pool2d<2>, ctnn::flatten, ctnn::dense<4>,
                                    ctnn::relu, ctnn::relu>;
    static auto fused() { return entries<9>({2, 7}); }
    static std::size_t workspace() { return aligned<T>(108) + aligned<T>(27); }
};

/// Maps that grow again after the pool: the fused conv + pool shifts every later map to
/// the other buffer, so with two fixed buffers the 16 x 16 x 16 map and the 64 x 8 x 8 one
/// would land in different buffers (8192 per sample, more than the 5120 of pairs only).
/// With maps at the two ends of one area the largest pair a step holds decides: 4096 + 256.
template <class T>
struct grows_after_pool {
    using net = ctnn::basic_network<T, ctnn::input<1, 16, 16>, ctnn::conv2d<16, 3, ctnn::pad<1>>, ctnn::relu,
                                    ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu, ctnn::max_pool2d<2>,
                                    ctnn::conv2d<4, 1>, ctnn::conv2d<64, 1>, ctnn::flatten, ctnn::dense<2>>;
    static auto fused() { return entries<10>({2, 4}, {5}); }
    static std::size_t workspace() {
        return when_pools_fuse(aligned<T>(4096) + aligned<T>(256), aligned<T>(4096) + aligned<T>(1024));
    }
};

template <template <class> class... Case>
using both_types = ::testing::Types<Case<float>..., Case<double>...>;

using cases = both_types<lenet_like, lenet, conv_leaky_relu, conv_pool, conv_leaky_avg_pool, triple_last, odd_map_floor,
                         by_channels_pool, pool3_apart, stride1_pool_apart, padded_pool_apart, ceil_pool_apart,
                         conv_relu6, conv_relu_last, conv_relu_only, dense_relu_first, conv_sigmoid, pointwise_relu,
                         by_channels_relu, two_in_a_row, grows_after_pool>;

template <class Case>
class Fusion : public ::testing::Test {};
TYPED_TEST_SUITE(Fusion, cases);

TYPED_TEST(Fusion, FusesExactlyTheExpectedEntries) {
    using Net = typename TypeParam::net;
    EXPECT_EQ(Net::fused_into_previous, TypeParam::fused());
    EXPECT_EQ(Net::plan.fused, TypeParam::fused());
    // fused_into: a fused entry names the entry before it that is not fused (its step's head,
    // a conv2d or dense); the others name themselves.
    std::size_t head = 0;
    for (std::size_t i = 0; i < Net::entry_count; ++i) {
        if (!Net::fused_into_previous[i]) head = i;
        EXPECT_EQ(Net::fused_into[i], head) << "entry " << i;
        if (Net::fused_into_previous[i]) {
            EXPECT_TRUE(Net::layer_names[head] == "conv2d" || Net::layer_names[head] == "dense") << "entry " << i;
        }
    }
}

TYPED_TEST(Fusion, WorkspaceIsWhatTheFusedPlanNeeds) {
    using Net = typename TypeParam::net;
    EXPECT_EQ(Net::workspace_size, TypeParam::workspace());
    EXPECT_EQ(Net::workspace_size, Net::plan.per_sample + Net::scratch_size);
    EXPECT_EQ(Net::unfused_workspace_size, Net::unfused_plan.per_sample);
    // Not a law (the later maps of a conv2d + pool trade buffers), but true of every case here.
    EXPECT_GE(Net::unfused_workspace_size, Net::plan.per_sample);
}

/// The last entry of the step entry `head` begins.
template <class Net>
std::size_t step_end(std::size_t head) {
    while (head + 1 < Net::entry_count && Net::fused_into_previous[head + 1]) ++head;
    return head;
}

bool is_buffer(place p) { return p == place::buffer0 || p == place::buffer1; }

// Each entry reads what the one before it left; nothing writes the caller's input; the last
// entry leaves the result in the caller's output. A step (a head and the entries fused into
// it) writes somewhere other than what it reads: the caller's output when it ends the net,
// else a buffer. Inside a step, a fused activation is planned in place where its conv2d or
// dense wrote, and a fused pool reads a map that is never stored (nor is the activation
// before it).
TYPED_TEST(Fusion, PlanRunsEachStepFromItsSourceToItsDestination) {
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
    }
    for (std::size_t head = 1; head <= last; head = step_end<Net>(head) + 1) {
        const std::size_t end = step_end<Net>(head);
        SCOPED_TRACE(testing::Message() << "step " << head << ".." << end);
        EXPECT_NE(p.src[head], place::not_stored);
        if (end == last) {
            EXPECT_EQ(p.dst[end], place::user_output);
        } else {
            EXPECT_TRUE(is_buffer(p.dst[end]));
        }
        if (end > head) {
            EXPECT_NE(p.dst[end], p.src[head]) << "a fused step reads and writes the same place";
        }
        const bool pooled = Net::layer_names[end] == "max_pool2d" || Net::layer_names[end] == "avg_pool2d";
        for (std::size_t i = head; i < end; ++i) {
            if (pooled) {
                EXPECT_EQ(p.dst[i], place::not_stored) << "entry " << i << ": the map before a fused pool";
            } else {
                EXPECT_EQ(p.dst[i], p.dst[end]) << "entry " << i << ": a fused activation runs in place";
            }
        }
    }
}

// run_unfused's plan: every entry on its own, each conv2d, dense or pool into a place other
// than its source, every map stored.
TYPED_TEST(Fusion, UnfusedPlanIsThePlainPlan) {
    using Net = typename TypeParam::net;
    constexpr auto& p = Net::unfused_plan;
    constexpr std::size_t last = Net::entry_count - 1;
    EXPECT_EQ(p.fused, (std::array<bool, Net::entry_count>{}));
    EXPECT_EQ(p.src[1], place::user_input);
    EXPECT_EQ(p.dst[last], place::user_output);
    for_each_index<Net::entry_count - 1>([&]<std::size_t J>() {
        constexpr std::size_t I = J + 1;
        if constexpr (I > 1) {
            EXPECT_EQ(p.src[I], p.dst[I - 1]) << "entry " << I;
        }
        EXPECT_NE(p.dst[I], place::not_stored) << "entry " << I;
        EXPECT_NE(p.dst[I], place::user_input) << "entry " << I;
        if constexpr (!Net::template layer<I>::elementwise) {
            EXPECT_NE(p.dst[I], p.src[I]) << "entry " << I;
        }
    });
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
        else if constexpr (L::name == "avg_pool2d")
            ref::pool2d_forward<ctnn::pool_kind::average>(L::geometry, current.data(), next.data(), batch);
        else if constexpr (L::name == "flatten")
            next = current;
        else if constexpr (L::name == "softmax")
            ref::softmax_forward(current.data(), next.data(), L::out_shape::size, batch);
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
    const auto p = ctnn::unit::random_parameters<Net>(40, 0.5);
    for (std::size_t batch : {1u, 5u}) {
        SCOPED_TRACE(testing::Message() << "batch " << batch);
        const auto in = ctnn::test::random_vector<T>(batch * Net::input_size, 41 + static_cast<unsigned>(batch));
        const auto fused = guarded_forward(in, batch * Net::output_size, batch * Net::workspace_size,
                                           [&](std::span<const T> x, std::span<T> y, std::span<T> ws) {
                                               Net::forward(*p, x, y, ws);
                                           });
        const auto unfused = guarded_forward(in, batch * Net::output_size, batch * Net::unfused_workspace_size,
                                             [&](std::span<const T> x, std::span<T> y, std::span<T> ws) {
                                                 Net::run_unfused(p->values.data(), x.data(), y.data(), ws.data(), batch);
                                             });
        expect_same_bits(fused, unfused, "forward vs run_unfused");
        expect_same_bits(fused, ctnn::unit::chain_forward<Net>(*p, in, batch), "forward vs the layers one by one");
        const auto reference = reference_forward<Net>(*p, in, batch);
        const std::span<const T> got(fused), want(reference);
        EXPECT_LE((ctnn::test::max_abs_diff<T, T>(got, want)),
                  (std::is_same_v<T, float> ? 1e-4 : 1e-12) * ctnn::test::scale_of<T>(want));
    }
}

TYPED_TEST(Fusion, SummaryNamesEachFusedEntry) {
    using Net = typename TypeParam::net;
    std::ostringstream os;
    Net::summary(os);
    std::istringstream lines(os.str());
    std::string line;
    for (std::size_t i = 0; i < Net::entry_count; ++i) {
        ASSERT_TRUE(std::getline(lines, line));
        if (Net::fused_into_previous[i]) {
            const std::size_t head = Net::fused_into[i];
            const std::string note = ", fused into " + std::to_string(head) + " " + std::string(Net::layer_names[head]);
            EXPECT_TRUE(line.ends_with(note)) << line;
        } else {
            EXPECT_EQ(line.find("fused"), std::string::npos) << line;
        }
    }
}

// The shapes above reach the kernel families they are meant to (without
// CTNN_REFERENCE_KERNELS): a fused epilogue or pool in each.
template <class L>
constexpr ctnn::conv_kernel kernel_of =
    ctnn::kernels::simd::conv2d_forward_kernel<L::geometry, typename L::value_type, ctnn::conv_kernel::automatic>();

template <class L>
constexpr bool by_channels = ctnn::kernels::simd::conv2d_direct_by_channels<L::geometry, typename L::value_type>;

/// Whether conv2d entry I of Net pools in its kernel the pool at entry P.
template <class Net, std::size_t I, std::size_t P>
constexpr bool pools_in_kernel =
    ctnn::kernels::simd::conv2d_pool_fusable<Net::template layer<I>::geometry, typename Net::value_type,
                                             ctnn::conv_kernel::automatic, Net::template layer<P>::geometry>;

template <class T>
void expect_kernel_families() {
    using ctnn::conv_kernel;
    using lenet_conv = typename lenet_like<T>::net::template layer<1>;
    using pointwise = typename pointwise_relu<T>::net::template layer<1>;
    using narrow = typename by_channels_relu<T>::net::template layer<1>;
    using narrow_pooled = typename by_channels_pool<T>::net::template layer<1>;
    EXPECT_EQ(kernel_of<lenet_conv>, conv_kernel::direct);
    EXPECT_FALSE(by_channels<lenet_conv>);
    EXPECT_EQ(kernel_of<pointwise>, conv_kernel::gemm);
    EXPECT_EQ(kernel_of<narrow>, conv_kernel::direct);
    EXPECT_TRUE(by_channels<narrow>);
    EXPECT_EQ(kernel_of<narrow_pooled>, conv_kernel::direct);
    if constexpr (std::is_same_v<T, float>) {
        EXPECT_TRUE(by_channels<narrow_pooled>) << "every x86 vector holds 4 floats or more";
    }
    // Along the width and along the channels both pool; the fallbacks do not.
    EXPECT_TRUE((pools_in_kernel<typename lenet_like<T>::net, 1, 3>));
    EXPECT_TRUE((pools_in_kernel<typename lenet<T>::net, 4, 6>));
    EXPECT_TRUE((pools_in_kernel<typename by_channels_pool<T>::net, 1, 3>));
    EXPECT_TRUE((pools_in_kernel<typename conv_pool<T>::net, 1, 2>));
    EXPECT_TRUE((pools_in_kernel<typename odd_map_floor<T>::net, 1, 3>));
    EXPECT_FALSE((pools_in_kernel<typename pool3_apart<T>::net, 1, 3>));
    EXPECT_FALSE((pools_in_kernel<typename stride1_pool_apart<T>::net, 1, 3>));
    EXPECT_FALSE((pools_in_kernel<typename padded_pool_apart<T>::net, 1, 3>));
    EXPECT_FALSE((pools_in_kernel<typename ceil_pool_apart<T>::net, 1, 3>));
    EXPECT_FALSE((pools_in_kernel<typename pointwise_relu<T>::net, 1, 3>));
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
    std::vector<float> out(batch * net::output_size), unfused(out.size()), ws(batch * net::unfused_workspace_size);
    net::forward(*p, in, out, std::span<float>{});
    net::run_unfused(p->values.data(), in.data(), unfused.data(), ws.data(), batch);
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

// A 2x2 conv that picks its top-left tap, bias -10, leaky_relu<0.5>, 2x2 average pool, on
// 0..24 as a 5 x 5 image: the 4 x 4 map x + 5y - 10 never exists; only its four window
// means reach the output, and no workspace is needed (forward gets none).
TEST(FusionByHand, ConvLeakyReluAvgPoolWritesOnlyThePooledMap) {
    using net = ctnn::network<ctnn::input<1, 5, 5>, ctnn::conv2d<1, 2>, ctnn::leaky_relu<0.5>, ctnn::avg_pool2d<2>>;
    if constexpr (!pools_fuse) {
        GTEST_SKIP() << "built with the reference kernels";
    } else {
        static_assert(!pools_fuse ||
                      (net::fused_into_previous[2] && net::fused_into_previous[3] && net::fused_into[3] == 1));
        static_assert(!pools_fuse || (net::workspace_size == 0 && net::unfused_workspace_size > 0));
        static_assert(!pools_fuse || (net::plan.dst[1] == place::not_stored && net::plan.dst[3] == place::user_output));
        net::parameters p;
        p.assign<1, 0>(std::array<float, 4>{1, 0, 0, 0});
        p.assign<1, 1>(std::array<float, 1>{-10.0f});
        const std::vector<float> in = ctnn::unit::iota<float>(25, 0);
        std::vector<float> out(4);
        net::forward(p, in, out, std::span<float>{});
        // (-5 - 4.5 - 2.5 - 2) / 4, (-4 - 3.5 - 1.5 - 1) / 4, (0 + 1 + 5 + 6) / 4, (2 + 3 + 7 + 8) / 4
        EXPECT_EQ(out, (std::vector<float>{-3.5f, -2.5f, 3, 5}));
    }
}

// The README's LeNet, as docs/layers.md shows its summary.
TEST(FusionByHand, ReadmeLenetSummaryAsDocumented) {
    using ctnn::unit::lenet;
    if constexpr (!pools_fuse) {
        GTEST_SKIP() << "built with the reference kernels: the pools run on their own";
    } else {
        std::ostringstream os;
        lenet::summary(os);
        const std::string entries_text = "0 input (1 x 28 x 28) 0 params\n"
                                         "1 conv2d (6 x 28 x 28) 156 params\n"
                                         "2 relu (6 x 28 x 28) 0 params, fused into 1 conv2d\n"
                                         "3 max_pool2d (6 x 14 x 14) 0 params, fused into 1 conv2d\n"
                                         "4 conv2d (16 x 10 x 10) 2416 params\n"
                                         "5 relu (16 x 10 x 10) 0 params, fused into 4 conv2d\n"
                                         "6 max_pool2d (16 x 5 x 5) 0 params, fused into 4 conv2d\n"
                                         "7 flatten (400) 0 params\n"
                                         "8 dense (120) 48120 params\n"
                                         "9 relu (120) 0 params, fused into 8 dense\n"
                                         "10 dense (84) 10164 params\n"
                                         "11 relu (84) 0 params, fused into 10 dense\n"
                                         "12 dense (10) 850 params\n"
                                         "13 softmax (10) 0 params\n";
        EXPECT_TRUE(os.str().starts_with(entries_text)) << os.str();
        if constexpr (ctnn::alignment == 64) {
            EXPECT_EQ(os.str(), entries_text + "total 61706 params (246976 bytes), workspace 6336 bytes per sample\n");
        }
        EXPECT_EQ(lenet::fused_into_previous, entries<14>({2, 3, 5, 6, 9, 11}));
        EXPECT_EQ(lenet::fused_into, (std::array<std::size_t, 14>{0, 1, 1, 1, 4, 4, 4, 7, 8, 8, 10, 10, 12, 13}));
        // 6 x 14 x 14 and 16 x 5 x 5 (1176 and 400 floats; 1176 rounds up to 1184) instead of
        // the 6 x 28 x 28 and 6 x 14 x 14 the unfused plan needs.
        if constexpr (ctnn::alignment == 64) {
            static_assert(!pools_fuse ||
                          (lenet::workspace_size == 1184 + 400 && lenet::unfused_workspace_size == 4704 + 1184));
        }
    }
}

} // namespace
