// Structural value types usable as template arguments on g++ 12 and clang 14:
// ctnn::hw (a height/width pair that a single number converts to) and ctnn::real
// (a double stored by its bits, since clang 14 takes no floating-point template arguments).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace ctnn {

/// Height and width of a kernel, window, stride, dilation or padding.
/// `5` means 5 x 5; `ctnn::hw{3, 5}` means 3 rows by 5 columns.
struct hw {
    std::size_t h, w;
    constexpr hw(std::size_t both) noexcept : h(both), w(both) {}
    constexpr hw(std::size_t height, std::size_t width) noexcept : h(height), w(width) {}
    constexpr bool operator==(const hw&) const = default;
};

/// A real number as a template argument: `ctnn::leaky_relu<0.2>`.
struct real {
    std::uint64_t bits;
    constexpr real(double v) noexcept : bits(std::bit_cast<std::uint64_t>(v)) {}
    constexpr double value() const noexcept { return std::bit_cast<double>(bits); }
    constexpr operator double() const noexcept { return value(); }
    constexpr bool operator==(const real&) const = default;
};

} // namespace ctnn
