// Library-wide configuration: alignment of every buffer ctnn plans.
#pragma once

#include <cstddef>

#ifndef CTNN_ALIGNMENT
/// Byte alignment of parameter blocks, workspaces and each layer's slice of them.
/// 64 covers one cache line and one AVX-512 register.
#define CTNN_ALIGNMENT 64
#endif

namespace ctnn {

inline constexpr std::size_t alignment = CTNN_ALIGNMENT;

static_assert(alignment > 0 && (alignment & (alignment - 1)) == 0,
              "CTNN_ALIGNMENT must be a power of two");

namespace detail {

/// Smallest multiple of alignment/sizeof(T) elements that holds n elements.
template <class T>
constexpr std::size_t aligned_count(std::size_t n) noexcept {
    constexpr std::size_t step = alignment / sizeof(T) > 0 ? alignment / sizeof(T) : 1;
    return (n + step - 1) / step * step;
}

} // namespace detail
} // namespace ctnn
