// A small fixed thread pool owned by the caller (a training or inference context). The
// calling thread takes part as thread 0. for_each_index(count, f) runs f(k) once for every
// k in [0, count). Thread t first claims its own share, k = t, t + T, t + 2T, ..., so that
// index k runs on the same thread from one call to the next (a training step's layers each
// cut the batch the same way, and a chunk's activations stay in that core's cache); then
// it takes any index still unclaimed, so a worker that a busy machine wakes late holds
// nothing back: the threads that run take its share. Results written per index never
// depend on which thread ran it.
// No allocation per call. An idle thread spins (with a pause hint) for up to spin_time
// before it sleeps on an atomic wait, and is woken only when it sleeps: waking a sleeping
// vCPU costs tens of microseconds on a VM, more than a training step's layers take, so a
// worker that slept between two layers would arrive after the caller had done its share.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace ctnn {

class thread_pool {
  public:
    /// `threads` >= 1 threads in all, the caller included.
    explicit thread_pool(std::size_t threads = 1) : size_(threads == 0 ? 1 : threads) {
        workers_.reserve(size_ - 1);
        for (std::size_t t = 1; t < size_; ++t) workers_.emplace_back([this, t] { work(t); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        stop_.store(true);
        generation_.fetch_add(1);
        generation_.notify_all();
        for (auto& w : workers_) w.join();
    }

    std::size_t size() const noexcept { return size_; }

    /// f(k) for k in [0, count); returns when all are done. f must not throw.
    template <class F>
    void for_each_index(std::size_t count, F&& f) {
        if (size_ == 1 || count <= 1) {
            for (std::size_t k = 0; k < count; ++k) f(k);
            return;
        }
        job_ = &f;
        call_ = [](void* fn, std::size_t k) { (*static_cast<std::remove_reference_t<F>*>(fn))(k); };
        // A claim word holds max_count indices: a longer job goes in rounds.
        for (std::size_t first = 0; first < count; first += max_count) {
            const std::size_t n = count - first < max_count ? count - first : max_count;
            first_ = first;
            count_ = n;
            done_.store(0, std::memory_order_relaxed);
            ++round_;
            // Indices n and up start claimed.
            const std::uint64_t unused = n == max_count ? 0 : ~((std::uint64_t{1} << n) - 1) & 0xffffffffu;
            claim_.store((round_ & 0xffffffffu) << 32 | unused, std::memory_order_release);
            // Dekker with a sleeping worker: it announces itself, then re-checks generation_.
            generation_.fetch_add(1, std::memory_order_seq_cst);
            if (sleeping_.load(std::memory_order_seq_cst) != 0) generation_.notify_all();
            run_claims(0);
            spinner spin;
            for (;;) {
                const std::size_t d = done_.load(std::memory_order_acquire);
                if (d == n) break;
                if (spin.tired()) {
                    caller_sleeping_.store(true, std::memory_order_seq_cst);
                    if (done_.load(std::memory_order_seq_cst) != n) done_.wait(d, std::memory_order_acquire);
                    caller_sleeping_.store(false, std::memory_order_relaxed);
                }
            }
        }
    }

    /// How long an idle thread spins before it sleeps.
    static constexpr std::chrono::microseconds spin_time{500};

  private:
    static constexpr std::size_t max_count = 32;

    /// Spins with a pause hint; tired() once spin_time has passed (the clock is read every
    /// 64 turns), and from then on.
    class spinner {
      public:
        bool tired() noexcept {
            pause();
            if (tired_ || ++turns_ % 64 != 0) return tired_;
            const auto now = std::chrono::steady_clock::now();
            if (turns_ == 64) start_ = now;
            tired_ = now - start_ > spin_time;
            return tired_;
        }

      private:
        static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#elif defined(__aarch64__)
            asm volatile("yield");
#endif
        }
        std::uint64_t turns_ = 0;
        bool tired_ = false;
        std::chrono::steady_clock::time_point start_{};
    };

    /// Thread t claims and runs indices of the current round: its own share first, then
    /// whatever is left. The claim word is round (32 bits) | claimed (one bit per index):
    /// a thread holding a stale word fails its compare-exchange, and one that sees a newer
    /// round stops, so it never runs an index of a round it did not claim from.
    void run_claims(std::size_t t) {
        std::uint64_t c = claim_.load(std::memory_order_acquire);
        const std::uint64_t round = c >> 32;
        for (int pass = 0; pass < 2; ++pass) {
            const std::size_t step = pass == 0 ? size_ : 1;
            for (std::size_t k = pass == 0 ? t : 0; k < max_count; k += step) {
                const std::uint64_t bit = std::uint64_t{1} << k;
                for (;;) {
                    if ((c >> 32) != round) return;
                    if ((c & bit) != 0) break;
                    if (claim_.compare_exchange_weak(c, c | bit, std::memory_order_acq_rel, std::memory_order_acquire)) {
                        const std::size_t n = count_; // read before done_ may let the caller go on
                        call_(job_, first_ + k);
                        if (done_.fetch_add(1, std::memory_order_seq_cst) + 1 == n &&
                            caller_sleeping_.load(std::memory_order_seq_cst))
                            done_.notify_one();
                        c = claim_.load(std::memory_order_acquire);
                        break;
                    }
                }
            }
        }
    }

    void work(std::size_t t) {
        std::uint64_t seen = 0; // generation_ at construction: a round (or stop) before this thread starts still counts
        for (;;) {
            std::uint64_t g = generation_.load(std::memory_order_acquire);
            for (spinner spin; g == seen;) {
                if (spin.tired()) {
                    sleeping_.fetch_add(1, std::memory_order_seq_cst);
                    generation_.wait(g, std::memory_order_seq_cst);
                    sleeping_.fetch_sub(1, std::memory_order_relaxed);
                }
                g = generation_.load(std::memory_order_acquire);
            }
            seen = g;
            if (stop_.load()) return;
            run_claims(t);
        }
    }

    std::size_t size_;
    std::vector<std::thread> workers_;
    std::atomic<std::uint64_t> generation_{0}; // bumped per round: wakes the workers
    std::atomic<std::uint64_t> claim_{0xffffffffu}; // round | claimed bits, see run_claims (round 0: all claimed)
    std::atomic<std::size_t> done_{0};         // indices of the current round finished
    std::atomic<std::size_t> sleeping_{0};     // workers in (or entering) generation_.wait
    std::atomic<bool> caller_sleeping_{false};
    std::atomic<bool> stop_{false};
    std::uint64_t round_ = 0; // the caller's count of rounds (only the caller touches it)
    // Written by the caller before a round is published in claim_, read by a thread only
    // after it claimed an index of that round, which the caller waits for.
    void* job_ = nullptr;
    void (*call_)(void*, std::size_t) = nullptr;
    std::size_t first_ = 0, count_ = 0; // the round's first index and its count
};

namespace detail {
/// Runs f(k) for k in [0, tasks) over the pool, or inline and in order without one (the
/// training passes and the optimizer steps, which take an optional pool).
template <class F>
void for_each_task(thread_pool* pool, std::size_t tasks, F&& f) {
    if (pool != nullptr)
        pool->for_each_index(tasks, f);
    else
        for (std::size_t k = 0; k < tasks; ++k) f(k);
}
} // namespace detail

} // namespace ctnn
