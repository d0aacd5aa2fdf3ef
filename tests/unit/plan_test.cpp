// The memory plan and the parameter layout, checked as properties over every test net:
// each entry reads what the previous one wrote, the last writes the caller's output (as does
// a conv2d or dense whose fused activation or pool is the last entry), a conv2d fused with
// its pool stores only the pooled map and never writes what it reads, element-wise layers
// after the first run in place and nothing writes the caller's input, each map lies where
// the previous entry left it and never overlaps the other map its step holds, and the
// workspace is exactly the largest pair a step holds, for the fused plan and for the plain
// one run_unfused() uses; every layer's parameters
// start on ctnn::alignment and tensor<I, K>() lies inside of<I>(). LeNet's sizes are also
// checked against numbers worked out by hand.
#include "test_nets.hpp"
#include "unit_util.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace {

using ctnn::detail::place;

using ctnn::unit::for_each_index;

/// Elements of T in the smallest multiple of ctnn::alignment bytes that holds n elements.
template <class T>
std::size_t aligned_elements(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    return (bytes + ctnn::alignment - 1) / ctnn::alignment * ctnn::alignment / sizeof(T);
}

bool is_buffer(place p) { return p == place::buffer0 || p == place::buffer1; }

template <class Net>
class Plan : public ::testing::Test {};
TYPED_TEST_SUITE(Plan, ctnn::unit::all_nets);

template <class Net>
struct entry_facts {
    std::array<std::size_t, Net::entry_count> size{};
    std::array<bool, Net::entry_count> elementwise{};
    entry_facts() {
        for_each_index<Net::entry_count>([&]<std::size_t I>() {
            size[I] = Net::template layer<I>::out_shape::size;
            elementwise[I] = Net::template layer<I>::elementwise;
        });
    }
};

TYPED_TEST(Plan, EachEntryReadsWhatThePreviousWrote) {
    using Net = TypeParam;
    constexpr auto& p = Net::plan;
    constexpr std::size_t last = Net::entry_count - 1;
    EXPECT_EQ(p.src[1], place::user_input);
    for (std::size_t i = 2; i <= last; ++i) EXPECT_EQ(p.src[i], p.dst[i - 1]) << "entry " << i;
    EXPECT_EQ(p.dst[last], place::user_output);
    for (std::size_t i = 1; i <= last; ++i) {
        EXPECT_NE(p.dst[i], place::user_input) << "entry " << i << " writes the caller's input";
        // Entries i + 1 .. last all run inside entry i's step: the step ends the network.
        bool step_ends_the_net = true;
        for (std::size_t j = i + 1; j <= last; ++j) step_ends_the_net &= Net::fused_into_previous[j];
        if (i < last) {
            // Not stored: the map a fused conv2d computes and pools right away.
            const bool inside_a_step = p.dst[i] == place::not_stored && Net::fused_into_previous[i + 1];
            EXPECT_TRUE(is_buffer(p.dst[i]) || inside_a_step || step_ends_the_net) << "entry " << i;
            EXPECT_NE(p.src[i], place::user_output) << "entry " << i;
        }
        // A fused step reads where its head reads and writes where its last entry writes.
        if (!Net::fused_into_previous[i] && i < last && Net::fused_into_previous[i + 1]) {
            std::size_t end = i + 1;
            while (end < last && Net::fused_into_previous[end + 1]) ++end;
            EXPECT_NE(p.src[i], p.dst[end]) << "the step from entry " << i << " reads and writes the same place";
        }
    }
}

// run_unfused's plan: the same rule with every entry on its own, so every map is stored.
TYPED_TEST(Plan, UnfusedPlanStoresEveryMap) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    constexpr auto& p = Net::unfused_plan;
    constexpr std::size_t last = Net::entry_count - 1;
    const entry_facts<Net> facts;
    const auto plain = ctnn::detail::make_inference_plan<T, Net::entry_count>(facts.size, facts.elementwise);
    EXPECT_EQ(p.src, plain.src);
    EXPECT_EQ(p.dst, plain.dst);
    EXPECT_EQ(p.buffer_size, plain.buffer_size);
    EXPECT_EQ(Net::unfused_workspace_size, plain.per_sample);
    EXPECT_EQ(p.src[1], place::user_input);
    EXPECT_EQ(p.dst[last], place::user_output);
    for (std::size_t i = 1; i <= last; ++i) {
        if (i > 1) {
            EXPECT_EQ(p.src[i], p.dst[i - 1]) << "entry " << i;
        }
        EXPECT_TRUE(is_buffer(p.dst[i]) || (i == last && p.dst[i] == place::user_output)) << "entry " << i;
        if (!facts.elementwise[i]) {
            EXPECT_NE(p.dst[i], p.src[i]) << "entry " << i;
        }
    }
}

TYPED_TEST(Plan, ElementwiseLayersAfterTheFirstRunInPlace) {
    using Net = TypeParam;
    constexpr auto& p = Net::plan;
    constexpr std::size_t last = Net::entry_count - 1;
    const entry_facts<Net> facts;
    for (std::size_t i = 1; i < last; ++i) {
        if (facts.elementwise[i] && i > 1) {
            EXPECT_EQ(p.dst[i], p.src[i]) << "entry " << i << " should run in place";
        } else {
            EXPECT_NE(p.dst[i], p.src[i]) << "entry " << i << " must not overwrite its input";
        }
    }
}

/// Checks plan p (of Net) places its maps soundly: each buffer map lies inside the
/// per-sample area, aligned, where the previous entry left it; the two maps a step holds
/// never overlap, for any batch; the area is exactly the largest such pair.
template <class Net>
void expect_maps_placed(const ctnn::detail::inference_plan<Net::entry_count>& p) {
    using T = typename Net::value_type;
    const entry_facts<Net> facts;
    constexpr std::size_t last = Net::entry_count - 1;
    std::array<std::size_t, 2> largest{};
    for (std::size_t i = 1; i <= last; ++i) {
        if (is_buffer(p.dst[i])) {
            const std::size_t b = p.dst[i] == place::buffer0 ? 0 : 1;
            largest[b] = std::max(largest[b], facts.size[i]);
            EXPECT_EQ(p.dst_offset[i] * sizeof(T) % ctnn::alignment, 0u) << "entry " << i;
            EXPECT_LE(p.dst_offset[i] + facts.size[i], p.per_sample) << "entry " << i;
            if (p.dst[i] == place::buffer0) {
                EXPECT_EQ(p.dst_offset[i], 0u) << "entry " << i;
            }
        }
        if (is_buffer(p.src[i]) && i > 1) {
            EXPECT_EQ(p.src_offset[i], p.dst_offset[i - 1]) << "entry " << i << " reads elsewhere than entry "
                                                             << i - 1 << " wrote";
        }
    }
    EXPECT_EQ(p.buffer_size[0], largest[0]);
    EXPECT_EQ(p.buffer_size[1], largest[1]);
    // Steps: the pair a step holds, its source (entry head - 1's map) and its destination.
    std::size_t largest_pair = 0;
    for (std::size_t head = 1; head <= last;) {
        std::size_t end = head;
        while (end < last && p.fused[end + 1]) ++end;
        const place src = p.src[head], dst = p.dst[end];
        std::size_t pair = 0;
        if (is_buffer(src) && is_buffer(dst) && src != dst) {
            pair = aligned_elements<T>(facts.size[head - 1]) + aligned_elements<T>(facts.size[end]);
            for (std::size_t n : {1u, 2u, 5u}) {
                const std::size_t s0 = n * p.src_offset[head], s1 = s0 + n * facts.size[head - 1];
                const std::size_t d0 = n * p.dst_offset[end], d1 = d0 + n * facts.size[end];
                EXPECT_TRUE(s1 <= d0 || d1 <= s0) << "the step from entry " << head << " overlaps its source and "
                                                  << "destination at batch " << n;
                EXPECT_LE(std::max(s1, d1), n * p.per_sample) << "step from entry " << head << ", batch " << n;
            }
        } else if (is_buffer(src)) {
            pair = aligned_elements<T>(facts.size[head - 1]);
        } else if (is_buffer(dst)) {
            pair = aligned_elements<T>(facts.size[end]);
        }
        largest_pair = std::max(largest_pair, pair);
        head = end + 1;
    }
    EXPECT_EQ(p.per_sample, largest_pair);
    EXPECT_LE(p.per_sample, aligned_elements<T>(p.buffer_size[0]) + aligned_elements<T>(p.buffer_size[1]));
}

TYPED_TEST(Plan, MapsArePlacedSoundlyAndTheAreaIsTheLargestPair) {
    expect_maps_placed<TypeParam>(TypeParam::plan);
    expect_maps_placed<TypeParam>(TypeParam::unfused_plan);
}

TYPED_TEST(Plan, WorkspaceIsWhatThePlanNeeds) {
    using Net = TypeParam;
    EXPECT_EQ(Net::workspace_size, Net::plan.per_sample + Net::scratch_size);
    EXPECT_EQ(Net::scratch_size % (ctnn::alignment / sizeof(typename Net::value_type)), 0u);
    EXPECT_EQ(Net::unfused_workspace_size, Net::unfused_plan.per_sample);
    // Fusing never costs room for maps (the scratch area comes on top).
    EXPECT_LE(Net::plan.per_sample, Net::unfused_workspace_size);
    EXPECT_EQ(Net::workspace_bytes, Net::workspace_size * sizeof(typename Net::value_type));
    EXPECT_EQ(Net::workspace_bytes % ctnn::alignment, 0u);
}

TYPED_TEST(Plan, ParameterBlocksStartAligned) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    std::size_t total = 0;
    for_each_index<Net::entry_count>([&]<std::size_t I>() {
        using L = typename Net::template layer<I>;
        EXPECT_EQ(Net::layer_param_count[I], L::param_count);
        EXPECT_EQ(Net::param_offset[I] * sizeof(T) % ctnn::alignment, 0u) << "entry " << I;
        if constexpr (I + 1 < Net::entry_count) {
            EXPECT_LE(Net::param_offset[I] + L::param_count, Net::param_offset[I + 1]) << "entry " << I;
        }
        EXPECT_LE(Net::param_offset[I] + L::param_count, Net::param_storage) << "entry " << I;
        total += L::param_count;
    });
    EXPECT_EQ(Net::param_count, total);
    EXPECT_EQ(Net::param_bytes, Net::param_storage * sizeof(T));
    EXPECT_EQ(Net::param_bytes % ctnn::alignment, 0u);
    EXPECT_LT(Net::param_storage, Net::param_count + Net::entry_count * ctnn::alignment / sizeof(T) + 1)
        << "more than one alignment gap per layer";
}

TYPED_TEST(Plan, ParametersStructIsAlignedAndTrivial) {
    using Net = TypeParam;
    using P = typename Net::parameters;
    static_assert(std::is_trivially_copyable_v<P>);
    static_assert(alignof(P) == ctnn::alignment);
    EXPECT_GE(sizeof(P), Net::param_bytes);
    const auto heap = ctnn::unit::random_parameters<Net>(1);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(heap->values.data()) % ctnn::alignment, 0u);
    static P in_static_storage;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(in_static_storage.values.data()) % ctnn::alignment, 0u);
    for (auto v : in_static_storage.values) ASSERT_EQ(v, 0) << "parameters start at zero";
}

TYPED_TEST(Plan, TensorsLieInsideTheirLayersSlice) {
    using Net = TypeParam;
    auto p = ctnn::unit::random_parameters<Net>(2);
    const auto& cp = *p;
    for_each_index<Net::entry_count>([&]<std::size_t I>() {
        using L = typename Net::template layer<I>;
        const auto slice = p->template of<I>();
        EXPECT_EQ(slice.data(), p->values.data() + Net::param_offset[I]) << "entry " << I;
        EXPECT_EQ(slice.size(), L::param_count);
        EXPECT_EQ(cp.template of<I>().data(), slice.data());
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(slice.data()) % ctnn::alignment, 0u) << "entry " << I;
        std::size_t next = 0;
        for_each_index<L::tensors.size()>([&]<std::size_t K>() {
            const auto t = p->template tensor<I, K>();
            EXPECT_EQ(t.size(), L::tensors[K].size);
            EXPECT_EQ(t.data(), slice.data() + L::tensors[K].offset) << "entry " << I << " tensor " << K;
            EXPECT_GE(t.data(), slice.data());
            EXPECT_LE(t.data() + t.size(), slice.data() + slice.size());
            EXPECT_EQ(L::tensors[K].offset, next) << "tensors are contiguous, in order";
            std::size_t dims = 1;
            for (std::size_t d = 0; d < L::tensors[K].rank; ++d) dims *= L::tensors[K].dims[d];
            EXPECT_EQ(dims, L::tensors[K].size) << "dims multiply to the size";
            next += L::tensors[K].size;
        });
        EXPECT_EQ(next, L::param_count) << "the tensors cover the slice";
    });
}

/// Every value of `values` is 0, except [begin, begin + count), which holds 1, 2, 3, ...
template <class T>
void expect_only_range_written(std::span<const T> values, std::size_t begin, std::size_t count) {
    for (std::size_t i = 0; i < values.size(); ++i) {
        const bool inside = i >= begin && i < begin + count;
        ASSERT_EQ(values[i], inside ? static_cast<T>(i - begin + 1) : T(0)) << "at " << i;
    }
}

// assign<I, K> writes exactly tensor K of entry I.
TYPED_TEST(Plan, AssignWritesOnlyItsTensor) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    auto p = std::make_unique<typename Net::parameters>();
    for_each_index<Net::entry_count>([&]<std::size_t I>() {
        using L = typename Net::template layer<I>;
        for_each_index<L::tensors.size()>([&]<std::size_t K>() {
            std::fill(p->values.begin(), p->values.end(), T(0));
            std::array<T, L::tensors[K].size> v{};
            for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(i + 1);
            p->template assign<I, K>(v);
            SCOPED_TRACE(testing::Message() << "entry " << I << " tensor " << K);
            expect_only_range_written<T>(p->values, Net::param_offset[I] + L::tensors[K].offset, v.size());
        });
    });
}

// LeNet by hand (float, 64-byte alignment = 16 floats): the parameter slices round 156,
// 2416, 48120, 10164 and 850 up to 160, 2416, 48128, 10176, 864.
// Fused: conv + relu + pool -> buffer 0 (1176; the 4704 of conv1 are never stored), conv +
// relu + pool -> buffer 1 (400), flatten in place, dense + relu -> 0 (120), dense + relu -> 1
// (84), dense -> 0 (10), softmax -> output; buffers 1176 (1184 aligned) and 400.
// Unfused (run_unfused): 4704 -> buffer 0, 1176 -> 1, 1600 -> 0, 400 -> 1, 120 -> 0, 84 -> 1,
// 10 -> 0, softmax -> output; buffers 4704 and 1176 (1184 aligned).
TEST(PlanByHand, Lenet) {
    using ctnn::unit::lenet;
    using ctnn::unit::lenet_double;
    using ctnn::unit::pools_fuse;
    if constexpr (ctnn::alignment == 64) {
        static_assert(lenet::param_count == 61706);
        static_assert(lenet::param_offset[1] == 0);
        static_assert(lenet::param_offset[4] == 160);
        static_assert(lenet::param_offset[8] == 160 + 2416);
        static_assert(lenet::param_offset[10] == 160 + 2416 + 48128);
        static_assert(lenet::param_offset[12] == 160 + 2416 + 48128 + 10176);
        static_assert(lenet::param_storage == 61744);
        static_assert(lenet::unfused_plan.buffer_size[0] == 4704 && lenet::unfused_plan.buffer_size[1] == 1176);
        static_assert(lenet::unfused_workspace_size == 4704 + 1184);
        static_assert(lenet_double::unfused_workspace_size == 4704 + 1176);
        static_assert(!pools_fuse || (lenet::plan.buffer_size[0] == 1176 && lenet::plan.buffer_size[1] == 400));
        static_assert(!pools_fuse || lenet::workspace_size == 1184 + 400);
        static_assert(!pools_fuse || lenet_double::workspace_size == 1176 + 400);
        static_assert(lenet_double::param_storage == 160 + 2416 + 48120 + 10168 + 856);
    }
    using enum place;
    const std::array<place, 14> unfused_src{user_input, user_input, buffer0, buffer0, buffer1, buffer0, buffer0,
                                            buffer1,    buffer1,    buffer0, buffer0, buffer1, buffer1, buffer0};
    const std::array<place, 14> unfused_dst{user_input, buffer0, buffer0, buffer1, buffer0, buffer0, buffer1,
                                            buffer1,    buffer0, buffer0, buffer1, buffer1, buffer0, user_output};
    const std::array<place, 14> fused_src{user_input, user_input, not_stored, not_stored, buffer0,
                                          not_stored, not_stored, buffer1,    buffer1,    buffer0,
                                          buffer0,    buffer1,    buffer1,    buffer0};
    const std::array<place, 14> fused_dst{user_input, not_stored, not_stored, buffer0, not_stored,
                                          not_stored, buffer1,    buffer1,    buffer0, buffer0,
                                          buffer1,    buffer1,    buffer0,    user_output};
    for (std::size_t i = 1; i < 14; ++i) {
        EXPECT_EQ(lenet::unfused_plan.src[i], unfused_src[i]) << "entry " << i;
        EXPECT_EQ(lenet::unfused_plan.dst[i], unfused_dst[i]) << "entry " << i;
        if (pools_fuse) {
            EXPECT_EQ(lenet::plan.src[i], fused_src[i]) << "entry " << i;
            EXPECT_EQ(lenet::plan.dst[i], fused_dst[i]) << "entry " << i;
        }
    }
}

// A single layer reads the input and writes the output: no workspace at all.
TEST(PlanByHand, SingleLayerNeedsNoWorkspace) {
    EXPECT_EQ(ctnn::unit::single_conv::workspace_size, 0u);
    EXPECT_EQ(ctnn::unit::single_relu::workspace_size, 0u);
    EXPECT_EQ(ctnn::unit::single_softmax::plan.src[1], place::user_input);
    EXPECT_EQ(ctnn::unit::single_softmax::plan.dst[1], place::user_output);
}

// The first element-wise layer copies the input into the workspace; the rest stay there.
TEST(PlanByHand, ActivationsOnly) {
    using net = ctnn::unit::activations_only;
    using enum place;
    EXPECT_EQ(net::plan.dst[1], buffer0);
    EXPECT_EQ(net::plan.dst[2], buffer0);
    EXPECT_EQ(net::plan.dst[3], buffer0);
    EXPECT_EQ(net::plan.dst[4], user_output);
    EXPECT_EQ(net::plan.buffer_size[0], 18u);
    EXPECT_EQ(net::plan.buffer_size[1], 0u);
    EXPECT_EQ(net::workspace_size, aligned_elements<float>(18));
}

} // namespace
