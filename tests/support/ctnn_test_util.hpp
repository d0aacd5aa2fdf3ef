// Helpers shared by ctnn's tests: seeded random data and error measures.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <span>
#include <vector>

namespace ctnn::test {

/// n values uniform in [lo, hi), the same for the same seed on every machine.
template <class T>
std::vector<T> random_vector(std::size_t n, unsigned seed, T lo = T(-1), T hi = T(1)) {
    std::mt19937 gen(seed);
    std::vector<T> v(n);
    for (auto& x : v) {
        // Not std::uniform_real_distribution: its output differs between standard libraries.
        const double u = static_cast<double>(gen()) / 4294967296.0;
        x = static_cast<T>(lo + (hi - lo) * u);
    }
    return v;
}

/// Largest |a - b|.
template <class A, class B>
double max_abs_diff(std::span<const A> a, std::span<const B> b) {
    double worst = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        worst = std::max(worst, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    return worst;
}

/// Largest |v|, at least 1 (so a tolerance relative to it never shrinks below absolute).
template <class A>
double scale_of(std::span<const A> v) {
    double s = 1;
    for (auto x : v) s = std::max(s, std::abs(static_cast<double>(x)));
    return s;
}

} // namespace ctnn::test
