// output_part: one of `count` parts of a layer's output that threads compute side by side
// (output tiles of a large image). A kernel that takes one says how it cuts its output
// (kernels/simd/conv2d.hpp: rows, or output channels for a 1x1 conv); part {0, 1} is the
// whole. Every output value is computed as it is whole, so the parts give the same bits.
#pragma once

#include <cstddef>

namespace ctnn {

struct output_part {
    std::size_t index = 0, count = 1;
    /// [first, last) of n items: as even as they can be.
    constexpr std::size_t first(std::size_t n) const noexcept { return n * index / count; }
    constexpr std::size_t last(std::size_t n) const noexcept { return n * (index + 1) / count; }
};

} // namespace ctnn
