// A small fixed thread pool owned by the caller (a training or inference context). The
// calling thread takes part. for_each_index(count, f) runs f(k) once for every k in
// [0, count): each thread claims the next unclaimed index until none is left, so which
// thread ran an index never matters to results written per index, and a worker that a
// busy machine wakes late costs nothing — the threads that are running take its share.
// No allocation per call; workers spin briefly, then sleep on an atomic wait, and are
// woken only when they sleep.
#pragma once

#include <atomic>
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
        for (std::size_t t = 1; t < size_; ++t) workers_.emplace_back([this] { work(); });
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
        // A claim word counts at most max_count indices: a longer job goes in rounds.
        for (std::size_t first = 0; first < count; first += max_count) {
            const std::size_t n = count - first < max_count ? count - first : max_count;
            first_ = first;
            done_.store(0, std::memory_order_relaxed);
            ++round_;
            claim_.store(round_ << 32 | static_cast<std::uint64_t>(n) << 16, std::memory_order_release);
            // Dekker with a sleeping worker: it announces itself, then re-checks generation_.
            generation_.fetch_add(1, std::memory_order_seq_cst);
            if (sleeping_.load(std::memory_order_seq_cst) != 0) generation_.notify_all();
            run_claims();
            for (int spin = 0;; ++spin) {
                const std::size_t d = done_.load(std::memory_order_acquire);
                if (d == n) break;
                if (spin > 4096) {
                    caller_sleeping_.store(true, std::memory_order_seq_cst);
                    if (done_.load(std::memory_order_seq_cst) != n) done_.wait(d, std::memory_order_acquire);
                    caller_sleeping_.store(false, std::memory_order_relaxed);
                }
            }
        }
    }

  private:
    static constexpr std::size_t max_count = 0xffff;

    /// Claims and runs indices of the current round until none is left. The claim word is
    /// round (32 bits) | count (16) | next (16): a thread holding a stale word fails its
    /// compare-exchange, so it never runs an index of a round it did not claim from.
    void run_claims() {
        std::uint64_t c = claim_.load(std::memory_order_acquire);
        for (;;) {
            const std::size_t n = (c >> 16) & 0xffff, next = c & 0xffff;
            if (next >= n) return;
            if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire))
                continue;
            call_(job_, first_ + next);
            if (done_.fetch_add(1, std::memory_order_seq_cst) + 1 == n && caller_sleeping_.load(std::memory_order_seq_cst))
                done_.notify_one();
            c = claim_.load(std::memory_order_acquire);
        }
    }

    void work() {
        std::uint64_t seen = 0; // generation_ at construction: a round (or stop) before this thread starts still counts
        for (;;) {
            std::uint64_t g = generation_.load(std::memory_order_acquire);
            for (int spin = 0; g == seen; ++spin) {
                if (spin > 4096) {
                    sleeping_.fetch_add(1, std::memory_order_seq_cst);
                    generation_.wait(g, std::memory_order_seq_cst);
                    sleeping_.fetch_sub(1, std::memory_order_relaxed);
                }
                g = generation_.load(std::memory_order_acquire);
            }
            seen = g;
            if (stop_.load()) return;
            run_claims();
        }
    }

    std::size_t size_;
    std::vector<std::thread> workers_;
    std::atomic<std::uint64_t> generation_{0}; // bumped per round: wakes the workers
    std::atomic<std::uint64_t> claim_{0};      // round | count | next, see run_claims
    std::atomic<std::size_t> done_{0};         // indices of the current round finished
    std::atomic<std::size_t> sleeping_{0};     // workers in (or entering) generation_.wait
    std::atomic<bool> caller_sleeping_{false};
    std::atomic<bool> stop_{false};
    std::uint64_t round_ = 0; // the caller's count of rounds (only the caller touches it)
    // Written by the caller before a round is published in claim_, read by a thread only
    // after it claimed an index of that round, which the caller waits for.
    void* job_ = nullptr;
    void (*call_)(void*, std::size_t) = nullptr;
    std::size_t first_ = 0;
};

} // namespace ctnn
