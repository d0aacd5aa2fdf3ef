// Storage for a network's activations during forward(). Sized for a batch capacity at
// construction (one heap allocation), or inline and fixed (static_workspace) for programs
// that never touch the heap.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <span>

#include "../core/config.hpp"

namespace ctnn {

/// Heap workspace for up to `capacity` samples per forward().
template <class Net>
class workspace {
    using T = typename Net::value_type;
    struct deleter {
        void operator()(T* p) const noexcept { ::operator delete[](p, std::align_val_t{alignment}); }
    };

  public:
    explicit workspace(std::size_t capacity)
        : capacity_(capacity),
          data_(static_cast<T*>(::operator new[](bytes(capacity), std::align_val_t{alignment}))) {}

    std::size_t capacity() const noexcept { return capacity_; }
    std::span<T> span() noexcept { return {data_.get(), capacity_ * Net::workspace_size}; }
    operator std::span<T>() noexcept { return span(); }

  private:
    static std::size_t bytes(std::size_t capacity) noexcept {
        const std::size_t b = capacity * Net::workspace_bytes;
        return b > 0 ? b : alignment;
    }
    std::size_t capacity_;
    std::unique_ptr<T, deleter> data_;
};

/// Workspace for exactly `Capacity` samples, held inline: make it static or a member,
/// not a local of a deep call stack.
template <class Net, std::size_t Capacity = 1>
struct static_workspace {
    using T = typename Net::value_type;
    alignas(alignment) T data[Capacity * Net::workspace_size > 0 ? Capacity * Net::workspace_size : 1]{};

    static constexpr std::size_t capacity() noexcept { return Capacity; }
    std::span<T> span() noexcept { return {data, Capacity * Net::workspace_size}; }
    operator std::span<T>() noexcept { return span(); }
};

} // namespace ctnn
