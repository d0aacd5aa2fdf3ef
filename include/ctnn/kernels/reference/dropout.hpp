// Reference inverted dropout. In training each element is kept with probability 1 - p and
// scaled by 1/(1 - p); at inference the layer is the identity. The keep/drop decision is a
// pure function of (seed, step, sample, element), so backward regenerates the mask instead
// of storing it, and the result does not depend on how a batch is split across threads.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ctnn::kernels::reference {

/// splitmix64 finalizer: a well-mixed 64-bit hash.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/// True when element `i` of sample `n` is kept; `threshold` = p * 2^32.
constexpr bool dropout_keep(std::uint64_t seed, std::uint64_t step, std::uint64_t n, std::uint64_t i,
                            std::uint64_t threshold) noexcept {
    const std::uint64_t h = mix64(mix64(mix64(seed ^ 0x64726f706f7574ull) + step) + (n << 32 | (i & 0xffffffffull)));
    return (h >> 32) >= threshold;
}

/// `first_sample` is the batch index of in[0]'s sample, so a slice of a batch draws the same
/// mask as the whole batch would.
template <class T>
void dropout_apply(double p, std::uint64_t seed, std::uint64_t step, std::size_t first_sample, const T* in, T* out,
                   std::size_t size, std::size_t batch) noexcept {
    const auto threshold = static_cast<std::uint64_t>(p * 4294967296.0);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t i = 0; i < size; ++i) {
            const std::size_t at = n * size + i;
            out[at] = dropout_keep(seed, step, first_sample + n, i, threshold) ? in[at] * scale : T(0);
        }
}

} // namespace ctnn::kernels::reference
