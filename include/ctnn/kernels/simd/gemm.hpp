// Two GEMM micro-kernel sweeps, generic over the arch tag, with the vectorized extent a
// compile-time constant so its tail is resolved at compile time (masked lanes, never a
// read or write past it):
//
//   gemm_nn:  C[m][n] = init + sum_k a(m, k) * B[k][n]      vectorized along n (N fixed)
//   gemm_nt:  C[m][n] += sum_k A[m][k] * B[n][k]             vectorized along k (K fixed)
//
// a(m, k) = a[m * a_m + k * a_k] is broadcast, so A can be read transposed for free. B and
// C rows are contiguous along the vector axis with leading dimensions ldb, ldc. gemm_nn
// keeps rows x vecs accumulators in registers across the whole k loop; gemm_nt keeps rows x
// cols dot products and reduces each across its lanes once at the end.
#pragma once

#include <cstddef>

#include "activation.hpp"
#include "arch.hpp"
#include "blocking.hpp"

namespace ctnn::kernels::simd {

enum class gemm_init { zero, accumulate, bias };

/// gemm_nn prefetches the next column block when its C is at least this large (bytes).
inline constexpr std::size_t gemm_prefetch_bytes = 256 * 1024;
/// gemm_nn copies a column block of B to a contiguous panel of at most this many bytes on
/// the stack when at least gemm_panel_rows rows of C run over it.
inline constexpr std::size_t gemm_panel_bytes = 16 * 1024;
inline constexpr std::size_t gemm_panel_rows = 32;

template <class A, std::size_t N, class T>
struct gemm_nn {
    using V = vec<T, A>;
    static constexpr std::size_t W = V::size;
    static constexpr std::size_t nvec = detail::ceil_div(N, W);
    /// Rows is the typical M (it only steers the blocking).
    template <std::size_t Rows>
    static constexpr detail::blocking blk = detail::choose_blocking(Rows, nvec, detail::register_count<A>);
    /// Whether a sweep asks for the next column block's lines of B and C while it works on
    /// this one: when C (Rows x N, Rows the typical M) is over gemm_prefetch_bytes, so it
    /// and B come from L3 or memory. Their rows are ldb and ldc apart, one stream per row,
    /// more streams than the hardware prefetchers follow. c5 (bench/cases.hpp, C 3.2 MB) on
    /// Zen 3 (512 KB L2): 21-28% faster with the caches flushed before each call, 1% warm.
    template <std::size_t Rows>
    static constexpr bool prefetch = Rows * N * sizeof(T) >= gemm_prefetch_bytes;
    /// Whether a column block of B (K rows of NV vectors, ldb apart) is first copied to a
    /// panel on the stack, its rows one after the other: the micro-kernel then reads one or
    /// two pages for all of K, not K pages (ldb * sizeof(T) apart, often past a page), and
    /// the copy is paid once for every row block. c5 (bench/cases.hpp: K = 64 rows 12.5 KB
    /// apart, 256 rows of C): 1225 -> 1104 us, with prefetch_next asking for the next block
    /// of B where the copy reads it. Only where Rows, the typical M, is at least
    /// gemm_panel_rows; at run time, where M is too, the K rows fit the panel and B's rows
    /// are not already one after the other (ldb == NV * W).
    template <std::size_t Rows>
    static constexpr bool panels = Rows >= gemm_panel_rows;
    template <std::size_t Rows>
    static constexpr std::size_t panel_k = gemm_panel_bytes / (blk<Rows>.vecs * W * sizeof(T));

    /// C = op(init + a * B) for M rows; init is zero, C itself, or bias[m]; op (an
    /// activation of kernels/simd/activation.hpp, identity by default) is applied in
    /// registers before the store.
    template <std::size_t Rows = 64, class Op = reference::identity_op>
    static void run(std::size_t M, std::size_t K, const T* a, std::size_t a_m, std::size_t a_k, const T* b,
                    std::size_t ldb, T* c, std::size_t ldc, gemm_init init, const T* bias = nullptr,
                    const Op& op = {}) noexcept {
        constexpr std::size_t MB = blk<Rows>.rows, NV = blk<Rows>.vecs;
        constexpr std::size_t full = nvec / NV, rem = nvec % NV;
        alignas(64) T panel[panels<Rows> ? panel_k<Rows> * NV * W : 1];
        const bool use_panel = panels<Rows> && M >= gemm_panel_rows && K <= panel_k<Rows> && ldb != NV * W;
        // Column blocks outermost: one block of B (K x NV vectors) stays in L1 for all rows.
        for (std::size_t jb = 0; jb < full; ++jb) {
            const std::size_t n0 = jb * NV * W;
            if (rem == 0 && jb + 1 == full) {
                rows<MB, NV, nvec - NV, true, false>(M, K, a, a_m, a_k, b + n0, ldb, b + n0, ldb, c + n0, ldc, init,
                                                     bias, op);
            } else if (use_panel) {
                copy_panel<NV>(K, b + n0, ldb, panel);
                rows<MB, NV, 0, false, prefetch<Rows>>(M, K, a, a_m, a_k, panel, NV * W, b + n0, ldb, c + n0, ldc,
                                                       init, bias, op);
            } else {
                rows<MB, NV, 0, false, prefetch<Rows>>(M, K, a, a_m, a_k, b + n0, ldb, b + n0, ldb, c + n0, ldc, init,
                                                       bias, op);
            }
        }
        if constexpr (rem != 0) {
            const std::size_t n0 = full * NV * W;
            rows<MB, rem, full * NV, true, false>(M, K, a, a_m, a_k, b + n0, ldb, b + n0, ldb, c + n0, ldc, init, bias,
                                                  op);
        }
    }

  private:
    /// The K rows of NV vectors of B from b, one after the other.
    template <std::size_t NV>
    static void copy_panel(std::size_t K, const T* b, std::size_t ldb, T* panel) noexcept {
        for (std::size_t k = 0; k < K; ++k)
            detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                V::load_unaligned(b + k * ldb + j * W).store_aligned(panel + (k * NV + j) * W);
            });
    }

    /// All M rows of one column block, read from b (B itself, or its panel); a Last block
    /// starts at vector First of the row and ends with the row's last (maybe partial)
    /// vector, any other holds full vectors. Rows left over after the MB-row blocks go one
    /// at a time. With Prefetch, each block first asks for its share of the next column
    /// block (prefetch_next) of C and of B, which is at src, lds apart.
    template <std::size_t MB, std::size_t NV, std::size_t First, bool Last, bool Prefetch, class Op>
    static void rows(std::size_t M, std::size_t K, const T* a, std::size_t a_m, std::size_t a_k, const T* b,
                     std::size_t ldb, [[maybe_unused]] const T* src, [[maybe_unused]] std::size_t lds, T* c,
                     std::size_t ldc, gemm_init init, const T* bias, const Op& op) noexcept {
        const std::size_t full = M / MB;
        for (std::size_t ib = 0; ib < full; ++ib) {
            const std::size_t m = ib * MB;
            if constexpr (Prefetch) prefetch_next<MB, NV>(ib, full, K, src, lds, c + m * ldc, ldc);
            block<MB, NV, First, Last>(K, a + m * a_m, a_m, a_k, b, ldb, c + m * ldc, ldc, init, bias ? bias + m : nullptr, op);
        }
        if constexpr (MB > 1)
            for (std::size_t m = full * MB; m < M; ++m)
                block<1, NV, First, Last>(K, a + m * a_m, a_m, a_k, b, ldb, c + m * ldc, ldc, init, bias ? bias + m : nullptr, op);
    }

    template <std::size_t J, std::size_t First, bool Last>
    static constexpr std::size_t lanes = Last ? detail::lanes_of<N, W>(First + J) : W;

    /// Row block ib of full: its MB rows of C in the next column block, and its share of
    /// the K rows of B there.
    template <std::size_t MB, std::size_t NV>
    [[gnu::always_inline]] static void prefetch_next(std::size_t ib, std::size_t full, std::size_t K, const T* b,
                                                     std::size_t ldb, const T* c, std::size_t ldc) noexcept {
        detail::static_for<MB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::prefetch_span<NV * W, true>(c + i * ldc + NV * W);
        });
        const std::size_t per = (K + full - 1) / full;
        for (std::size_t k = ib * per; k < K && k < (ib + 1) * per; ++k)
            detail::prefetch_span<NV * W, false>(b + k * ldb + NV * W);
    }

    template <std::size_t MB, std::size_t NV, std::size_t First, bool Last, class Op>
    static void block(std::size_t K, const T* a, std::size_t a_m, std::size_t a_k, const T* b, std::size_t ldb, T* c,
                      std::size_t ldc, gemm_init init, const T* bias, const Op& op) noexcept {
        V acc[MB][NV];
        detail::static_for<MB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                if (init == gemm_init::accumulate)
                    acc[i][j] = detail::load<lanes<j, First, Last>, A>(c + i * ldc + j * W);
                else if (init == gemm_init::bias)
                    acc[i][j] = V(bias[i]);
                else
                    acc[i][j] = V(T(0));
            });
        });
        for (std::size_t k = 0; k < K; ++k) {
            const T* bk = b + k * ldb;
            const T* ak = a + k * a_k;
            V bv[NV];
            detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                bv[j] = detail::load<lanes<j, First, Last>, A>(bk + j * W);
                if constexpr (MB > 1) detail::pin<A>(bv[j]);
            });
            detail::static_for<MB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
                V av(ak[i * a_m]);
                if constexpr (NV > 1) detail::pin<A>(av);
                detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE { acc[i][j] = detail::fma<A>(av, bv[j], acc[i][j]); });
            });
        }
        detail::static_for<MB>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<NV>([&]<std::size_t j>() CTNN_SIMD_INLINE { detail::store<lanes<j, First, Last>, A>(c + i * ldc + j * W, detail::apply<A>(op, acc[i][j])); });
        });
    }
};

template <class A, std::size_t K, class T>
struct gemm_nt {
    using V = vec<T, A>;
    static constexpr std::size_t W = V::size;
    static constexpr std::size_t kvec = detail::ceil_div(K, W);
    static constexpr std::size_t kfull = K / W; // vectors with all lanes
    /// rows x cols dot products per block, for Rows x Cols outputs (typical sizes; they only
    /// steer the blocking). A step loads rows + cols vectors for rows * cols FMAs; rows and
    /// columns left over go one at a time.
    template <std::size_t Rows, std::size_t Cols>
    static constexpr detail::blocking blk = [] {
        constexpr std::size_t regs = detail::register_count<A>;
        auto cost = [](std::size_t r, std::size_t q) {
            const std::size_t fr = Rows / r, rr = Rows % r, fq = Cols / q, rq = Cols % q;
            return static_cast<double>(fr * fq) * detail::block_cycles(r, q) +
                   static_cast<double>(rr * fq) * detail::block_cycles(1, q) +
                   static_cast<double>(fr * rq) * detail::block_cycles(r, 1) +
                   static_cast<double>(rr * rq) * detail::block_cycles(1, 1);
        };
        detail::blocking best{1, 1};
        double best_t = cost(1, 1);
        for (std::size_t r = 1; r <= 8 && r <= Rows; ++r)
            for (std::size_t q = 1; q <= 8 && q <= Cols; ++q) {
                if (r * q + r + 1 > regs) continue;
                const double t = cost(r, q);
                if (t < best_t) {
                    best_t = t;
                    best = {r, q};
                }
            }
        return best;
    }();

    /// C[m][n] += A[m] . B[n] over K, for M x Nc outputs (C row m at c + m * ldc).
    template <std::size_t Rows = 8, std::size_t Cols = 64>
    static void run(std::size_t M, std::size_t Nc, const T* a, std::size_t lda, const T* b, std::size_t ldb, T* c,
                    std::size_t ldc) noexcept {
        constexpr std::size_t MR = blk<Rows, Cols>.rows, NC = blk<Rows, Cols>.vecs;
        const std::size_t full = M / MR;
        for (std::size_t ib = 0; ib < full; ++ib) cols<MR, NC>(Nc, a + ib * MR * lda, lda, b, ldb, c + ib * MR * ldc, ldc);
        if constexpr (MR > 1)
            for (std::size_t m = full * MR; m < M; ++m) cols<1, NC>(Nc, a + m * lda, lda, b, ldb, c + m * ldc, ldc);
    }

  private:
    /// Columns left over after the NC-column blocks go one at a time.
    template <std::size_t MR, std::size_t NC>
    static void cols(std::size_t Nc, const T* a, std::size_t lda, const T* b, std::size_t ldb, T* c,
                     std::size_t ldc) noexcept {
        const std::size_t full = Nc / NC;
        for (std::size_t jb = 0; jb < full; ++jb) block<MR, NC>(a, lda, b + jb * NC * ldb, ldb, c + jb * NC, ldc);
        if constexpr (NC > 1)
            for (std::size_t n = full * NC; n < Nc; ++n) block<MR, 1>(a, lda, b + n * ldb, ldb, c + n, ldc);
    }
    template <std::size_t MR, std::size_t NC>
    static void block(const T* a, std::size_t lda, const T* b, std::size_t ldb, T* c, std::size_t ldc) noexcept {
        V acc[MR][NC];
        detail::static_for<MR>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<NC>([&]<std::size_t j>() CTNN_SIMD_INLINE { acc[i][j] = V(T(0)); });
        });
        auto step = [&]<std::size_t Lanes>(std::size_t k) CTNN_SIMD_INLINE {
            V av[MR];
            detail::static_for<MR>([&]<std::size_t i>() CTNN_SIMD_INLINE {
                av[i] = detail::load<Lanes, A>(a + i * lda + k);
                if constexpr (NC > 1) detail::pin<A>(av[i]);
            });
            detail::static_for<NC>([&]<std::size_t j>() CTNN_SIMD_INLINE {
                V bv = detail::load<Lanes, A>(b + j * ldb + k);
                if constexpr (MR > 1) detail::pin<A>(bv);
                detail::static_for<MR>([&]<std::size_t i>() CTNN_SIMD_INLINE { acc[i][j] = detail::fma<A>(av[i], bv, acc[i][j]); });
            });
        };
        for (std::size_t kv = 0; kv < kfull; ++kv) step.template operator()<W>(kv * W);
        if constexpr (K % W != 0) step.template operator()<K % W>(kfull * W);
        detail::static_for<MR>([&]<std::size_t i>() CTNN_SIMD_INLINE {
            detail::static_for<NC>([&]<std::size_t j>() CTNN_SIMD_INLINE { c[i * ldc + j] += detail::sum<A>(acc[i][j]); });
        });
    }
};

} // namespace ctnn::kernels::simd
