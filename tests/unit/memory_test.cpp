// net::forward allocates nothing. This executable replaces the global operator new and
// delete (every form) with counting versions over malloc/free, then runs forward on
// caller-owned parameters and workspaces (ctnn::workspace, ctnn::static_workspace,
// ctnn::model) for every test net and several batch sizes, and asserts that the count
// does not move. A sanity test first shows the counter does count.
#include "test_nets.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

namespace counting {

std::atomic<std::size_t> allocations{0};
std::atomic<std::size_t> deallocations{0};

void* allocate(std::size_t n, std::size_t align) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (n == 0) n = 1;
    void* p = align <= alignof(std::max_align_t) ? std::malloc(n)
                                                 : std::aligned_alloc(align, (n + align - 1) / align * align);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

void* allocate_nothrow(std::size_t n, std::size_t align) noexcept {
    try {
        return allocate(n, align);
    } catch (...) {
        return nullptr;
    }
}

void release(void* p) noexcept {
    if (p == nullptr) return;
    deallocations.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}

/// Allocations plus deallocations made by f().
template <class F>
std::size_t heap_calls_during(F&& f) {
    const std::size_t a = allocations.load(), d = deallocations.load();
    f();
    return (allocations.load() - a) + (deallocations.load() - d);
}

} // namespace counting

// clang-format off
void* operator new(std::size_t n) { return counting::allocate(n, 0); }
void* operator new[](std::size_t n) { return counting::allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counting::allocate(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counting::allocate(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counting::allocate_nothrow(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counting::allocate_nothrow(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return counting::allocate_nothrow(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return counting::allocate_nothrow(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { counting::release(p); }
void operator delete[](void* p) noexcept { counting::release(p); }
void operator delete(void* p, std::size_t) noexcept { counting::release(p); }
void operator delete[](void* p, std::size_t) noexcept { counting::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { counting::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counting::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counting::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counting::release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counting::release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counting::release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { counting::release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { counting::release(p); }
// clang-format on

namespace {

using counting::heap_calls_during;

// The counter sees both plain and aligned allocations, so a zero below means something.
TEST(AllocationCounter, CountsHeapCalls) {
    using net = ctnn::unit::lenet;
    EXPECT_EQ(heap_calls_during([] { ctnn::workspace<net> ws(4); }), 2u); // aligned new[] + delete[]
    EXPECT_GE(heap_calls_during([] {
                  std::vector<float> v(100, 1.0f);
                  volatile float sink = v[99];
                  (void)sink;
              }),
              2u);
    EXPECT_GE(heap_calls_during([] { ctnn::model<net> m(1); }), 4u); // parameters and workspace
    std::unique_ptr<net::parameters> p;
    EXPECT_EQ(heap_calls_during([&] { p = std::make_unique<net::parameters>(); }), 1u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.get()) % ctnn::alignment, 0u);
}

template <class Net>
class ZeroAllocation : public ::testing::Test {};
TYPED_TEST_SUITE(ZeroAllocation, ctnn::unit::all_nets);

constexpr std::size_t max_batch = 8;

TYPED_TEST(ZeroAllocation, ForwardWithHeapWorkspace) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    const auto p = ctnn::unit::random_parameters<Net>(1);
    ctnn::workspace<Net> ws(max_batch);
    for (std::size_t batch : {1u, 2u, 7u, 8u}) {
        const auto in = ctnn::test::random_vector<T>(batch * Net::input_size, 2);
        std::vector<T> out(batch * Net::output_size);
        const std::span<const T> in_span(in);
        const std::span<T> out_span(out);
        EXPECT_EQ(heap_calls_during([&] { Net::forward(*p, in_span, out_span, ws); }), 0u) << "batch " << batch;
        // The workspace may be larger than the batch needs.
        EXPECT_EQ(heap_calls_during([&] { Net::forward(*p, in_span, out_span, ws.span()); }), 0u);
    }
}

TYPED_TEST(ZeroAllocation, ForwardWithStaticWorkspace) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    static ctnn::static_workspace<Net, max_batch> ws;
    static typename Net::parameters p;
    const auto values = ctnn::test::random_vector<T>(Net::param_storage, 3);
    for (std::size_t i = 0; i < values.size(); ++i) p.values[i] = values[i];
    for (std::size_t batch : {1u, 3u, 8u}) {
        const auto in = ctnn::test::random_vector<T>(batch * Net::input_size, 4);
        std::vector<T> out(batch * Net::output_size);
        const std::span<const T> in_span(in);
        const std::span<T> out_span(out);
        EXPECT_EQ(heap_calls_during([&] { Net::forward(p, in_span, out_span, ws); }), 0u) << "batch " << batch;
    }
}

TYPED_TEST(ZeroAllocation, ModelForward) {
    using Net = TypeParam;
    using T = typename Net::value_type;
    ctnn::model<Net> m(4);
    const auto in = ctnn::test::random_vector<T>(4 * Net::input_size, 5);
    std::vector<T> out(4 * Net::output_size);
    const std::span<const T> in_span(in);
    const std::span<T> out_span(out);
    EXPECT_EQ(heap_calls_during([&] { m.forward(in_span, out_span); }), 0u);
}

} // namespace
