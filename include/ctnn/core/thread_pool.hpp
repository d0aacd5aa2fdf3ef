// A small fixed thread pool owned by the caller (a training or inference context). The
// calling thread takes part as thread 0. for_each_index(count, f) runs f(k) for every k in
// [0, count), thread t taking k = t, t + T, t + 2T, ... — a static split, so which thread
// ran an index never matters to results that are written per index. No allocation per
// call; workers spin briefly, then sleep on an atomic wait.
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
        for (std::size_t t = 1; t < size_; ++t) workers_.emplace_back([this, t] { work(t); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        stop_.store(true, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
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
        count_ = count;
        pending_.store(size_ - 1, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        generation_.notify_all();
        run_share(0);
        for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
            if (spin > 4096) {
                const auto left = pending_.load(std::memory_order_acquire);
                if (left != 0) pending_.wait(left, std::memory_order_acquire);
            }
        }
    }

  private:
    void run_share(std::size_t t) {
        for (std::size_t k = t; k < count_; k += size_) call_(job_, k);
    }

    void work(std::size_t t) {
        std::uint64_t seen = 0;
        for (;;) {
            std::uint64_t g = generation_.load(std::memory_order_acquire);
            for (int spin = 0; g == seen; ++spin) {
                if (spin > 4096) generation_.wait(g, std::memory_order_acquire);
                g = generation_.load(std::memory_order_acquire);
            }
            seen = g;
            if (stop_.load(std::memory_order_relaxed)) return;
            run_share(t);
            if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
        }
    }

    std::size_t size_;
    std::vector<std::thread> workers_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<std::size_t> pending_{0};
    std::atomic<bool> stop_{false};
    void* job_ = nullptr;
    void (*call_)(void*, std::size_t) = nullptr;
    std::size_t count_ = 0;
};

} // namespace ctnn
