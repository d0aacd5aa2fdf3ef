// ctnn::shape<Dims...>: the per-sample shape of a tensor, as a type.
// Rank 3 is C x H x W (NCHW without the batch axis, which is a runtime count);
// rank 1 is a flat vector of features.
#pragma once

#include <array>
#include <cstddef>
#include <ostream>

namespace ctnn {

template <std::size_t... Dims>
struct shape {
    static constexpr std::size_t rank = sizeof...(Dims);
    static constexpr std::array<std::size_t, rank> dims{Dims...};
    /// Number of elements in one sample.
    static constexpr std::size_t size = (std::size_t{1} * ... * Dims);

    /// Dimension I (0 = outermost).
    template <std::size_t I>
    static constexpr std::size_t dim() noexcept {
        static_assert(I < rank, "ctnn::shape::dim<I>(): I is not below the rank");
        return dims[I];
    }

    template <std::size_t... Other>
    constexpr bool operator==(shape<Other...>) const noexcept {
        if constexpr (sizeof...(Other) != rank) {
            return false;
        } else {
            return ((Dims == Other) && ...);
        }
    }
};

namespace detail {
template <class S>
struct is_shape : std::false_type {};
template <std::size_t... D>
struct is_shape<shape<D...>> : std::true_type {};
} // namespace detail

/// A type that is some ctnn::shape<...>.
template <class S>
concept any_shape = detail::is_shape<S>::value;

/// Channels, height and width of a rank-3 shape.
template <any_shape S>
    requires(S::rank == 3)
struct chw {
    static constexpr std::size_t c = S::dims[0], h = S::dims[1], w = S::dims[2];
};

template <std::size_t... D>
std::ostream& operator<<(std::ostream& os, shape<D...>) {
    os << '(';
    std::size_t i = 0;
    ((os << (i++ ? " x " : "") << D), ...);
    return os << ')';
}

} // namespace ctnn
