// Shared by the SIMD-kernel tests: seeded data, the comparisons against the reference
// (tolerance relative to the reference's scale, or the same bits), guard cells that catch a kernel writing
// past its output, and the arch tags each kernel is run with besides default_arch.
#pragma once

#include <ctnn/ctnn.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "ctnn_test_util.hpp"

namespace ctnn::test {

/// |got - want| <= tol * max(1, max |want|): 1e-5 in float, 1e-12 in double.
template <class T>
inline constexpr double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;

template <class T>
::testing::AssertionResult close_to_reference(const std::vector<T>& got, const std::vector<T>& want,
                                              const std::string& what) {
    if (got.size() != want.size()) return ::testing::AssertionFailure() << what << ": sizes differ";
    const double scale = scale_of<T>(want);
    double worst = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double d = std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
        if (!(d <= worst)) { // NaN counts as worst
            worst = d;
            at = i;
        }
    }
    if (worst <= tolerance<T> * scale) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": worst error " << worst << " at element " << at << " (got "
                                         << got[at] << ", want " << want[at] << "), limit " << tolerance<T> * scale;
}

/// The same bits, but that a NaN matches any NaN: which of two NaN operands a sum passes on,
/// and so the sign of a NaN from inf - inf carried through it, IEEE 754 leaves open, and
/// compilers swap the operands of an add (clang does in the reference's scalar sums).
template <class T>
bool same_bits(const std::vector<T>& got, const std::vector<T>& want) {
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0 && !(std::isnan(got[i]) && std::isnan(want[i])))
            return false;
    return true;
}

/// A buffer of n values followed by guard cells holding a sentinel.
template <class T>
struct guarded {
    static constexpr std::size_t guard = 67;
    static constexpr T sentinel = T(-1234.5);
    std::vector<T> data;
    std::size_t n;
    explicit guarded(std::size_t count, T fill = T(0)) : data(count + guard, sentinel), n(count) {
        std::fill_n(data.begin(), count, fill);
    }
    guarded(const std::vector<T>& v) : data(v), n(v.size()) { data.resize(n + guard, sentinel); }
    T* get() noexcept { return data.data(); }
    std::vector<T> values() const { return {data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n)}; }
    bool guards_intact() const {
        for (std::size_t i = n; i < data.size(); ++i)
            if (data[i] != sentinel) return false;
        return true;
    }
};

} // namespace ctnn::test
