// Helpers for the unit tests: run one bound layer on plain vectors, run a network's bound
// layers one by one with buffers of our own (the oracle for the memory plan), run a forward
// between guard cells, catch an exception's message, compare against hand-computed numbers.
#pragma once

#include <ctnn/ctnn.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ctnn::unit {

/// A conv2d pools in its kernel with the SIMD kernels, never with CTNN_REFERENCE_KERNELS
/// (no direct kernel); every conv2d + pool in these tests fuses on SSE2, AVX2 and AVX-512.
inline constexpr bool pools_fuse = !CTNN_REFERENCE_KERNELS;

/// f.template operator()<I>() for I = 0 .. N-1, in order.
template <std::size_t N, class F>
void for_each_index(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) { (f.template operator()<I>(), ...); }(std::make_index_sequence<N>{});
}

/// Layer L bound to T and input shape D..., as entry 1 of a network.
template <class L, class T, std::size_t... D>
using bound = typename L::template bind<T, ctnn::shape<D...>, 1>;

/// Bound layer B's forward on `batch` samples; out-of-place, into a fresh vector.
template <class B>
std::vector<typename B::value_type> run_layer(const std::vector<typename B::value_type>& in,
                                              const std::vector<typename B::value_type>& params,
                                              std::size_t batch = 1) {
    EXPECT_EQ(in.size(), batch * B::in_shape::size) << "test bug: wrong input size";
    EXPECT_EQ(params.size(), B::param_count) << "test bug: wrong parameter count";
    std::vector<typename B::value_type> out(batch * B::out_shape::size);
    B::forward(in.data(), out.data(), params.empty() ? nullptr : params.data(), batch);
    return out;
}

/// Expects `layer` to equal `reference` within tolerance, NaN matching NaN; returns `reference`.
template <class T>
std::vector<T> same_as_reference(const std::vector<T>& reference, const std::vector<T>& layer) {
    EXPECT_EQ(layer.size(), reference.size());
    for (std::size_t i = 0; i < std::min(layer.size(), reference.size()); ++i) {
        const double r = static_cast<double>(reference[i]), l = static_cast<double>(layer[i]);
        if (std::isnan(r) || std::isnan(l) || std::isinf(r) || std::isinf(l)) {
            EXPECT_TRUE((std::isnan(r) && std::isnan(l)) || r == l) << "layer " << l << " vs reference " << r << " at " << i;
        } else {
            EXPECT_NEAR(l, r, 10 * (std::is_same_v<T, float> ? 1e-5 : 1e-12) * std::max(1.0, std::abs(r)))
                << "layer forward differs from the reference kernel at " << i;
        }
    }
    return reference;
}

/// Net's entries 1..N-1 called one after another, each from its own fresh buffer into a
/// fresh buffer, with parameters from `p.of<I>()`.
template <class Net>
std::vector<typename Net::value_type> chain_forward(const typename Net::parameters& p,
                                                    const std::vector<typename Net::value_type>& in,
                                                    std::size_t batch) {
    using T = typename Net::value_type;
    std::vector<T> current = in;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                using L = typename Net::template layer<I + 1>;
                std::vector<T> next(batch * L::out_shape::size);
                L::forward(current.data(), next.data(), p.template of<I + 1>().data(), batch);
                current = std::move(next);
            }(),
            ...);
    }(std::make_index_sequence<Net::entry_count - 1>{});
    return current;
}

/// Runs `run(in, out, workspace)` on spans: `in`, an output of out_size elements and a
/// workspace of ws_size elements, the output and the workspace each full of NaN and between
/// guard cells. Checks the guards on both sides of both, that the input is unchanged and that
/// no output is left NaN; returns the output.
template <class T, class Run>
std::vector<T> guarded_forward(const std::vector<T>& in, std::size_t out_size, std::size_t ws_size, Run&& run) {
    constexpr std::size_t guard = 64;
    constexpr T sentinel = T(-12345.5);
    std::vector<T> ws(ws_size + 2 * guard, sentinel), out(out_size + 2 * guard, sentinel);
    std::fill_n(ws.begin() + guard, ws_size, std::numeric_limits<T>::quiet_NaN());
    std::fill_n(out.begin() + guard, out_size, std::numeric_limits<T>::quiet_NaN());
    const std::vector<T> in_copy = in;
    std::forward<Run>(run)(std::span<const T>(in), std::span<T>(out).subspan(guard, out_size),
                           std::span<T>(ws).subspan(guard, ws_size));
    EXPECT_EQ(in, in_copy) << "the input was written";
    for (std::size_t i = 0; i < guard; ++i) {
        EXPECT_EQ(ws[i], sentinel) << "workspace underrun at " << i;
        EXPECT_EQ(ws[guard + ws_size + i], sentinel) << "workspace overrun at " << i;
        EXPECT_EQ(out[i], sentinel) << "output underrun at " << i;
        EXPECT_EQ(out[guard + out_size + i], sentinel) << "output overrun at " << i;
    }
    std::vector<T> result(out.begin() + guard, out.begin() + static_cast<std::ptrdiff_t>(guard + out_size));
    for (T v : result) EXPECT_FALSE(std::isnan(v)) << "an output left unwritten, or a stale NaN read";
    return result;
}

/// The what() of the std::invalid_argument that f throws; fails the test if it throws nothing.
template <class F>
std::string invalid_argument_message(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected std::invalid_argument";
    return {};
}

/// Tolerance for comparing against hand-computed numbers.
template <class T>
constexpr T tolerance() {
    return std::is_same_v<T, float> ? T(1e-5) : T(1e-12);
}

/// Element-wise comparison with expected values written as doubles.
template <class T>
void expect_values(const std::vector<T>& got, std::initializer_list<double> expected, double scale = 1) {
    ASSERT_EQ(got.size(), expected.size());
    std::size_t i = 0;
    for (double e : expected) {
        EXPECT_NEAR(static_cast<double>(got[i]), e, tolerance<T>() * scale * std::max(1.0, std::abs(e)))
            << "at index " << i;
        ++i;
    }
}

/// Values of type T from doubles, for hand-written inputs and weights.
template <class T>
std::vector<T> values(std::initializer_list<double> v) {
    std::vector<T> out;
    out.reserve(v.size());
    for (double x : v) out.push_back(static_cast<T>(x));
    return out;
}

/// 1, 2, ..., n as T: the grids of the hand-computed examples.
template <class T>
std::vector<T> iota(std::size_t n, double first = 1) {
    std::vector<T> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(first + static_cast<double>(i));
    return v;
}

using value_types = ::testing::Types<float, double>;

} // namespace ctnn::unit
