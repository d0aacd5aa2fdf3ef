// Register blocking of the micro-kernels, chosen at compile time by a small cost model.
//
// A micro-kernel keeps rows x vecs accumulators in registers; each step of its reduction
// loads vecs vectors and broadcasts rows scalars, then does rows * vecs FMAs. The model
// charges every block of a sweep over `rows_total` x `vecs_total` with
//   max(FMAs / 2, loads / 2, FMA latency),
// two FMA and two load ports and a 4-cycle FMA chain per accumulator, and keeps the
// cheapest choice that fits the register file (accumulators + vecs operands + 1 broadcast).
#pragma once

#include <cstddef>

#include "arch.hpp"

namespace ctnn::kernels::simd::detail {

struct blocking {
    std::size_t rows, vecs;
};

constexpr double block_cycles(std::size_t rows, std::size_t vecs) noexcept {
    const double fmas = static_cast<double>(rows * vecs) / 2.0;
    const double loads = static_cast<double>(rows + vecs) / 2.0;
    const double latency = 4.0;
    double t = fmas > loads ? fmas : loads;
    t = t > latency ? t : latency;
    // Ties go to fewer loads per FMA: more accumulators hide more of the load latency.
    return t + 0.01 * static_cast<double>(rows + vecs);
}

/// Cycles per reduction step of a sweep of rows_total x vecs_total cut in rows x vecs blocks.
constexpr double sweep_cycles(std::size_t rows_total, std::size_t vecs_total, std::size_t rows,
                              std::size_t vecs) noexcept {
    const std::size_t full_r = rows_total / rows, rem_r = rows_total % rows;
    const std::size_t full_v = vecs_total / vecs, rem_v = vecs_total % vecs;
    double t = static_cast<double>(full_r * full_v) * block_cycles(rows, vecs);
    if (rem_r != 0) t += static_cast<double>(full_v) * block_cycles(rem_r, vecs);
    if (rem_v != 0) t += static_cast<double>(full_r) * block_cycles(rows, rem_v);
    if (rem_r != 0 && rem_v != 0) t += block_cycles(rem_r, rem_v);
    return t;
}

/// Best rows x vecs block for a sweep; registers is the vector register count.
constexpr blocking choose_blocking(std::size_t rows_total, std::size_t vecs_total, std::size_t registers,
                                   std::size_t max_rows = 16, std::size_t max_vecs = 8) noexcept {
    blocking best{1, 1};
    double best_t = sweep_cycles(rows_total, vecs_total, 1, 1);
    for (std::size_t v = 1; v <= vecs_total && v <= max_vecs; ++v) {
        for (std::size_t r = 1; r <= rows_total && r <= max_rows; ++r) {
            if (r * v + v + 1 > registers) continue;
            const double t = sweep_cycles(rows_total, vecs_total, r, v);
            if (t < best_t) {
                best_t = t;
                best = {r, v};
            }
        }
    }
    return best;
}

} // namespace ctnn::kernels::simd::detail
