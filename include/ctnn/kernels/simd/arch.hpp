// What the SIMD kernels share: the arch they are instantiated for, and the few vector
// operations xsimd 8 lacks (lane-masked loads and stores, a true FMA on AVX-512), written
// as xsimd writes its own: one overload per ISA tag taking requires_arch<ISA>, so overload
// resolution falls back to the generic one by itself.
//
// Assumes: T is float or double; every kernel is a template over the arch tag A, written
// once, and the layers instantiate it with default_arch (the best ISA the compile flags
// allow; SSE2 on a plain x86-64 build).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() values that its -Wuninitialized
// flags once they are inlined into user code (GCC bug 105593, fixed in 12.3); the warning
// is tied to the intrinsic headers' lines, so it is silenced for those lines only.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif
#include <xsimd/xsimd.hpp>

#ifndef CTNN_REFERENCE_KERNELS
/// 1: every layer runs the scalar reference kernels (the benchmarks' baseline, and a way to
/// rule the SIMD kernels out when hunting a bug). Must be the same in every translation unit
/// of a program.
#define CTNN_REFERENCE_KERNELS 0
#endif

// Unrolled loop bodies are lambdas; inlining them is what keeps a micro-kernel's
// accumulators in registers, so it is forced where the compiler allows it.
#if defined(__GNUC__)
#define CTNN_SIMD_INLINE __attribute__((always_inline))
#else
#define CTNN_SIMD_INLINE
#endif

// Inlining forced only in optimized builds: for kernel parts the compiler might otherwise
// keep out of line when one is called from two places. At -O0 (the sanitizer and built-only
// CI stages) forcing it would only cost build time and memory.
#if defined(__GNUC__) && defined(__OPTIMIZE__)
#define CTNN_OPTIMIZED_INLINE __attribute__((always_inline))
#else
#define CTNN_OPTIMIZED_INLINE
#endif

namespace ctnn::kernels::simd {

/// The arch tag the layers instantiate their kernels with.
using default_arch = xsimd::default_arch;

template <class T, class A>
using vec = xsimd::batch<T, A>;

namespace detail {

using xsimd::kernel::requires_arch;

/// Vector registers the compiler can give a micro-kernel's accumulators and operands.
constexpr std::size_t registers(requires_arch<xsimd::generic>) noexcept { return 16; }
constexpr std::size_t registers(requires_arch<xsimd::avx512f>) noexcept { return 32; }

template <class A>
inline constexpr std::size_t register_count = registers(A{});

/// f.template operator()<I>() for I = 0 .. N-1, unrolled: loop bodies over register
/// blocks see their indices as constants, so accumulators stay in registers.
template <std::size_t N, class F>
[[gnu::always_inline]] inline void static_for(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) CTNN_SIMD_INLINE { (f.template operator()<I>(), ...); }(
        std::make_index_sequence<N>{});
}

// a * b + c, fused where the ISA has it (xsimd 8 fuses on fma3 tags, not on avx512f).
template <class A, class T>
inline vec<T, A> fmadd(const vec<T, A>& a, const vec<T, A>& b, const vec<T, A>& c, requires_arch<xsimd::generic>) noexcept {
    return xsimd::fma(a, b, c);
}
#if XSIMD_WITH_AVX512F
template <class A>
inline vec<float, A> fmadd(const vec<float, A>& a, const vec<float, A>& b, const vec<float, A>& c,
                           requires_arch<xsimd::avx512f>) noexcept {
    return _mm512_fmadd_ps(a, b, c);
}
template <class A>
inline vec<double, A> fmadd(const vec<double, A>& a, const vec<double, A>& b, const vec<double, A>& c,
                            requires_arch<xsimd::avx512f>) noexcept {
    return _mm512_fmadd_pd(a, b, c);
}
#endif

// The first N lanes from p, the others zero; never touches p[N] and beyond.
template <std::size_t N, class A, class T>
inline vec<T, A> load_first(const T* p, requires_arch<xsimd::generic>) noexcept {
    alignas(A::alignment()) T lanes[vec<T, A>::size] = {};
    for (std::size_t i = 0; i < N; ++i) lanes[i] = p[i];
    return vec<T, A>::load_aligned(lanes);
}
// The first N lanes of v to p; p[N] and beyond are left alone.
template <std::size_t N, class A, class T>
inline void store_first(T* p, const vec<T, A>& v, requires_arch<xsimd::generic>) noexcept {
    alignas(A::alignment()) T lanes[vec<T, A>::size];
    v.store_aligned(lanes);
    for (std::size_t i = 0; i < N; ++i) p[i] = lanes[i];
}

// Lanes [Lo, Hi) from p[Lo] .. p[Hi - 1], the others zero; p[i] outside [Lo, Hi) is never
// read (p itself may point before the data, by at most Lo elements).
template <std::size_t Lo, std::size_t Hi, class A, class T>
inline vec<T, A> load_lanes(const T* p, requires_arch<xsimd::generic>) noexcept {
    alignas(A::alignment()) T lanes[vec<T, A>::size] = {};
    for (std::size_t i = Lo; i < Hi; ++i) lanes[i] = p[i];
    return vec<T, A>::load_aligned(lanes);
}

#if XSIMD_WITH_AVX2
template <std::size_t N>
inline __m256i avx_lane_mask32() noexcept {
    constexpr auto on = [](std::size_t i) { return i < N ? -1 : 0; };
    return _mm256_setr_epi32(on(0), on(1), on(2), on(3), on(4), on(5), on(6), on(7));
}
template <std::size_t N>
inline __m256i avx_lane_mask64() noexcept {
    constexpr auto on = [](std::size_t i) { return i < N ? -1LL : 0LL; };
    return _mm256_setr_epi64x(on(0), on(1), on(2), on(3));
}
template <std::size_t Lo, std::size_t Hi>
inline __m256i avx_lane_range32() noexcept {
    constexpr auto on = [](std::size_t i) { return i >= Lo && i < Hi ? -1 : 0; };
    return _mm256_setr_epi32(on(0), on(1), on(2), on(3), on(4), on(5), on(6), on(7));
}
template <std::size_t Lo, std::size_t Hi>
inline __m256i avx_lane_range64() noexcept {
    constexpr auto on = [](std::size_t i) { return i >= Lo && i < Hi ? -1LL : 0LL; };
    return _mm256_setr_epi64x(on(0), on(1), on(2), on(3));
}
template <std::size_t Lo, std::size_t Hi, class A>
inline vec<float, A> load_lanes(const float* p, requires_arch<xsimd::avx2>) noexcept {
    return _mm256_maskload_ps(p, avx_lane_range32<Lo, Hi>());
}
template <std::size_t Lo, std::size_t Hi, class A>
inline vec<double, A> load_lanes(const double* p, requires_arch<xsimd::avx2>) noexcept {
    return _mm256_maskload_pd(p, avx_lane_range64<Lo, Hi>());
}
template <std::size_t N, class A>
inline vec<float, A> load_first(const float* p, requires_arch<xsimd::avx2>) noexcept {
    return _mm256_maskload_ps(p, avx_lane_mask32<N>());
}
template <std::size_t N, class A>
inline vec<double, A> load_first(const double* p, requires_arch<xsimd::avx2>) noexcept {
    return _mm256_maskload_pd(p, avx_lane_mask64<N>());
}
template <std::size_t N, class A>
inline void store_first(float* p, const vec<float, A>& v, requires_arch<xsimd::avx2>) noexcept {
    _mm256_maskstore_ps(p, avx_lane_mask32<N>(), v);
}
template <std::size_t N, class A>
inline void store_first(double* p, const vec<double, A>& v, requires_arch<xsimd::avx2>) noexcept {
    _mm256_maskstore_pd(p, avx_lane_mask64<N>(), v);
}
#endif

#if XSIMD_WITH_AVX512F
template <std::size_t Lo, std::size_t Hi, class A>
inline vec<float, A> load_lanes(const float* p, requires_arch<xsimd::avx512f>) noexcept {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << Hi) - (1u << Lo)), p);
}
template <std::size_t Lo, std::size_t Hi, class A>
inline vec<double, A> load_lanes(const double* p, requires_arch<xsimd::avx512f>) noexcept {
    return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << Hi) - (1u << Lo)), p);
}
template <std::size_t N, class A>
inline vec<float, A> load_first(const float* p, requires_arch<xsimd::avx512f>) noexcept {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << N) - 1u), p);
}
template <std::size_t N, class A>
inline vec<double, A> load_first(const double* p, requires_arch<xsimd::avx512f>) noexcept {
    return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << N) - 1u), p);
}
template <std::size_t N, class A>
inline void store_first(float* p, const vec<float, A>& v, requires_arch<xsimd::avx512f>) noexcept {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << N) - 1u), v);
}
template <std::size_t N, class A>
inline void store_first(double* p, const vec<double, A>& v, requires_arch<xsimd::avx512f>) noexcept {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << N) - 1u), v);
}
#endif

// Sum of the lanes. On AVX-512 with zero-masked shuffles only: the unmasked ones (and
// xsimd's hadd, which uses them) pass an undefined vector that GCC 12 flags with
// -Wuninitialized once inlined.
template <class A, class T>
inline T reduce_add(const vec<T, A>& v, requires_arch<xsimd::generic>) noexcept {
    return xsimd::hadd(v);
}
#if XSIMD_WITH_AVX512F
template <class A>
inline float reduce_add(const vec<float, A>& v, requires_arch<xsimd::avx512f>) noexcept {
    constexpr __mmask16 all = 0xffff;
    __m512 x = v;
    x = _mm512_add_ps(x, _mm512_maskz_shuffle_f32x4(all, x, x, 0x4e)); // + the other 256-bit half
    x = _mm512_add_ps(x, _mm512_maskz_shuffle_f32x4(all, x, x, 0xb1)); // + the other 128-bit quarter
    x = _mm512_add_ps(x, _mm512_maskz_permute_ps(all, x, 0x4e));       // + the other pair
    x = _mm512_add_ps(x, _mm512_maskz_permute_ps(all, x, 0xb1));       // + the other lane
    return _mm512_cvtss_f32(x);
}
template <class A>
inline double reduce_add(const vec<double, A>& v, requires_arch<xsimd::avx512f>) noexcept {
    constexpr __mmask8 all = 0xff;
    __m512d x = v;
    x = _mm512_add_pd(x, _mm512_maskz_shuffle_f64x2(all, x, x, 0x4e));
    x = _mm512_add_pd(x, _mm512_maskz_shuffle_f64x2(all, x, x, 0xb1));
    x = _mm512_add_pd(x, _mm512_maskz_permute_pd(all, x, 0x55));
    return _mm512_cvtsd_f64(x);
}
#endif

// Even and odd elements of the 2W values lo, hi (lo first): even = lo0 lo2 .. hi0 hi2 ..
template <class A, class T>
inline void deinterleave(const vec<T, A>& lo, const vec<T, A>& hi, vec<T, A>& even, vec<T, A>& odd,
                         requires_arch<xsimd::generic>) noexcept {
    constexpr std::size_t W = vec<T, A>::size;
    alignas(A::alignment()) T all[2 * W], e[W], o[W];
    lo.store_aligned(all);
    hi.store_aligned(all + W);
    for (std::size_t i = 0; i < W; ++i) {
        e[i] = all[2 * i];
        o[i] = all[2 * i + 1];
    }
    even = vec<T, A>::load_aligned(e);
    odd = vec<T, A>::load_aligned(o);
}
// The inverse: lo = a0 b0 a1 b1 .., hi = the second halves of a and b interleaved.
template <class A, class T>
inline void interleave(const vec<T, A>& a, const vec<T, A>& b, vec<T, A>& lo, vec<T, A>& hi,
                       requires_arch<xsimd::generic>) noexcept {
    constexpr std::size_t W = vec<T, A>::size;
    alignas(A::alignment()) T x[W], y[W], all[2 * W];
    a.store_aligned(x);
    b.store_aligned(y);
    for (std::size_t i = 0; i < W; ++i) {
        all[2 * i] = x[i];
        all[2 * i + 1] = y[i];
    }
    lo = vec<T, A>::load_aligned(all);
    hi = vec<T, A>::load_aligned(all + W);
}
#if XSIMD_WITH_SSE2
template <class A>
    requires(vec<float, A>::size == 4) // an SSE register, not an AVX one of a tag derived from sse2
inline void deinterleave(const vec<float, A>& lo, const vec<float, A>& hi, vec<float, A>& even, vec<float, A>& odd,
                         requires_arch<xsimd::sse2>) noexcept {
    even = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    odd = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
}
template <class A>
    requires(vec<double, A>::size == 2)
inline void deinterleave(const vec<double, A>& lo, const vec<double, A>& hi, vec<double, A>& even,
                         vec<double, A>& odd, requires_arch<xsimd::sse2>) noexcept {
    even = _mm_unpacklo_pd(lo, hi);
    odd = _mm_unpackhi_pd(lo, hi);
}
template <class A>
    requires(vec<float, A>::size == 4)
inline void interleave(const vec<float, A>& a, const vec<float, A>& b, vec<float, A>& lo, vec<float, A>& hi,
                       requires_arch<xsimd::sse2>) noexcept {
    lo = _mm_unpacklo_ps(a, b);
    hi = _mm_unpackhi_ps(a, b);
}
template <class A>
    requires(vec<double, A>::size == 2)
inline void interleave(const vec<double, A>& a, const vec<double, A>& b, vec<double, A>& lo, vec<double, A>& hi,
                       requires_arch<xsimd::sse2>) noexcept {
    lo = _mm_unpacklo_pd(a, b);
    hi = _mm_unpackhi_pd(a, b);
}
#endif
#if XSIMD_WITH_AVX2
template <class A>
inline void deinterleave(const vec<double, A>& lo, const vec<double, A>& hi, vec<double, A>& even,
                         vec<double, A>& odd, requires_arch<xsimd::avx2>) noexcept {
    even = _mm256_permute4x64_pd(_mm256_unpacklo_pd(lo, hi), _MM_SHUFFLE(3, 1, 2, 0));
    odd = _mm256_permute4x64_pd(_mm256_unpackhi_pd(lo, hi), _MM_SHUFFLE(3, 1, 2, 0));
}
template <class A>
inline void interleave(const vec<float, A>& a, const vec<float, A>& b, vec<float, A>& lo, vec<float, A>& hi,
                       requires_arch<xsimd::avx2>) noexcept {
    const __m256 u0 = _mm256_unpacklo_ps(a, b), u1 = _mm256_unpackhi_ps(a, b);
    lo = _mm256_permute2f128_ps(u0, u1, 0x20);
    hi = _mm256_permute2f128_ps(u0, u1, 0x31);
}
template <class A>
inline void interleave(const vec<double, A>& a, const vec<double, A>& b, vec<double, A>& lo, vec<double, A>& hi,
                       requires_arch<xsimd::avx2>) noexcept {
    const __m256d u0 = _mm256_unpacklo_pd(a, b), u1 = _mm256_unpackhi_pd(a, b);
    lo = _mm256_permute2f128_pd(u0, u1, 0x20);
    hi = _mm256_permute2f128_pd(u0, u1, 0x31);
}
#endif
#if XSIMD_WITH_AVX512F
template <class A>
inline void deinterleave(const vec<float, A>& lo, const vec<float, A>& hi, vec<float, A>& even, vec<float, A>& odd,
                         requires_arch<xsimd::avx512f>) noexcept {
    const __m512i e = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i o = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    even = _mm512_permutex2var_ps(lo, e, hi);
    odd = _mm512_permutex2var_ps(lo, o, hi);
}
template <class A>
inline void deinterleave(const vec<double, A>& lo, const vec<double, A>& hi, vec<double, A>& even,
                         vec<double, A>& odd, requires_arch<xsimd::avx512f>) noexcept {
    const __m512i e = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const __m512i o = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    even = _mm512_permutex2var_pd(lo, e, hi);
    odd = _mm512_permutex2var_pd(lo, o, hi);
}
template <class A>
inline void interleave(const vec<float, A>& a, const vec<float, A>& b, vec<float, A>& lo, vec<float, A>& hi,
                       requires_arch<xsimd::avx512f>) noexcept {
    const __m512i l = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i h = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    lo = _mm512_permutex2var_ps(a, l, b);
    hi = _mm512_permutex2var_ps(a, h, b);
}
template <class A>
inline void interleave(const vec<double, A>& a, const vec<double, A>& b, vec<double, A>& lo, vec<double, A>& hi,
                       requires_arch<xsimd::avx512f>) noexcept {
    const __m512i l = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i h = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    lo = _mm512_permutex2var_pd(a, l, b);
    hi = _mm512_permutex2var_pd(a, h, b);
}
#endif

// deinterleave up to one permutation of the lanes, the same for even and odd, which
// in_pair_order undoes: a lane-wise combination of even and odd (a pool's window) then
// pays one reorder instead of two. On AVX2 the split is the two in-lane shuffles alone
// (even = lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6, 64-bit pairs out of order); elsewhere it is
// deinterleave and the order is already right.
template <class A, class T>
inline void split_pairs(const vec<T, A>& lo, const vec<T, A>& hi, vec<T, A>& even, vec<T, A>& odd,
                        requires_arch<xsimd::generic>) noexcept {
    deinterleave<A>(lo, hi, even, odd, A{});
}
template <class A, class T>
inline vec<T, A> in_pair_order(const vec<T, A>& v, requires_arch<xsimd::generic>) noexcept {
    return v;
}
#if XSIMD_WITH_AVX2
template <class A>
    requires(vec<float, A>::size == 8) // an AVX register, not an AVX-512 one of a tag derived from avx2
inline void split_pairs(const vec<float, A>& lo, const vec<float, A>& hi, vec<float, A>& even, vec<float, A>& odd,
                        requires_arch<xsimd::avx2>) noexcept {
    even = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    odd = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
}
template <class A>
    requires(vec<float, A>::size == 8)
inline vec<float, A> in_pair_order(const vec<float, A>& v, requires_arch<xsimd::avx2>) noexcept {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}
template <class A>
inline void deinterleave(const vec<float, A>& lo, const vec<float, A>& hi, vec<float, A>& even, vec<float, A>& odd,
                         requires_arch<xsimd::avx2>) noexcept {
    // In-lane shuffles leave lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6; reorder the 64-bit pairs.
    split_pairs<A>(lo, hi, even, odd, A{});
    even = in_pair_order<A>(even, A{});
    odd = in_pair_order<A>(odd, A{});
}
template <class A>
    requires(vec<double, A>::size == 4)
inline void split_pairs(const vec<double, A>& lo, const vec<double, A>& hi, vec<double, A>& even,
                        vec<double, A>& odd, requires_arch<xsimd::avx2>) noexcept {
    even = _mm256_unpacklo_pd(lo, hi); // lo0 hi0 lo2 hi2
    odd = _mm256_unpackhi_pd(lo, hi);
}
template <class A>
    requires(vec<double, A>::size == 4)
inline vec<double, A> in_pair_order(const vec<double, A>& v, requires_arch<xsimd::avx2>) noexcept {
    return _mm256_permute4x64_pd(v, _MM_SHUFFLE(3, 1, 2, 0));
}
#endif

// Transposes the W x W block v (W the vector size): lane i of v[j] becomes what lane j
// of v[i] was. For stores that go from vectors along one axis to rows along the other
// (the channel kernel's pixels to NCHW, its weights to the packed tile).
template <class A, class T, std::size_t N>
    requires(N == vec<T, A>::size)
inline void transpose(vec<T, A> (&v)[N], requires_arch<xsimd::generic>) noexcept {
    alignas(A::alignment()) T all[N * N];
    for (std::size_t i = 0; i < N; ++i) v[i].store_aligned(all + i * N);
    for (std::size_t i = 0; i < N; ++i) {
        alignas(A::alignment()) T col[N];
        for (std::size_t j = 0; j < N; ++j) col[j] = all[j * N + i];
        v[i] = vec<T, A>::load_aligned(col);
    }
}
#if XSIMD_WITH_SSE2
template <class A>
    requires(vec<float, A>::size == 4)
inline void transpose(vec<float, A> (&v)[4], requires_arch<xsimd::sse2>) noexcept {
    const __m128 t0 = _mm_unpacklo_ps(v[0], v[1]), t1 = _mm_unpackhi_ps(v[0], v[1]); // a0 b0 a1 b1, a2 b2 a3 b3
    const __m128 t2 = _mm_unpacklo_ps(v[2], v[3]), t3 = _mm_unpackhi_ps(v[2], v[3]);
    v[0] = _mm_movelh_ps(t0, t2);
    v[1] = _mm_movehl_ps(t2, t0);
    v[2] = _mm_movelh_ps(t1, t3);
    v[3] = _mm_movehl_ps(t3, t1);
}
template <class A>
    requires(vec<double, A>::size == 2)
inline void transpose(vec<double, A> (&v)[2], requires_arch<xsimd::sse2>) noexcept {
    const __m128d t0 = _mm_unpacklo_pd(v[0], v[1]), t1 = _mm_unpackhi_pd(v[0], v[1]);
    v[0] = t0;
    v[1] = t1;
}
#endif
#if XSIMD_WITH_AVX2
template <class A>
    requires(vec<float, A>::size == 8)
inline void transpose(vec<float, A> (&v)[8], requires_arch<xsimd::avx2>) noexcept {
    // Pairs, then quads within each 128-bit half, then the halves.
    __m256 t[8], q[8];
    for (std::size_t i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);     // a0 b0 a1 b1 | a4 b4 a5 b5
        t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]); // a2 b2 a3 b3 | a6 b6 a7 b7
    }
    for (std::size_t i = 0; i < 8; i += 4) {
        q[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));     // a0 b0 c0 d0 | a4 ..
        q[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2)); // a1 .. | a5 ..
        q[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        q[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (std::size_t i = 0; i < 4; ++i) {
        v[i] = _mm256_permute2f128_ps(q[i], q[i + 4], 0x20);
        v[i + 4] = _mm256_permute2f128_ps(q[i], q[i + 4], 0x31);
    }
}
template <class A>
    requires(vec<double, A>::size == 4)
inline void transpose(vec<double, A> (&v)[4], requires_arch<xsimd::avx2>) noexcept {
    const __m256d t0 = _mm256_unpacklo_pd(v[0], v[1]), t1 = _mm256_unpackhi_pd(v[0], v[1]); // a0 b0 a2 b2, a1 b1 a3 b3
    const __m256d t2 = _mm256_unpacklo_pd(v[2], v[3]), t3 = _mm256_unpackhi_pd(v[2], v[3]);
    v[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    v[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    v[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    v[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}
#endif

// The first N lanes of v to p, as store_first, in plain stores of a half, a quarter ..
// of the vector (a 5-lane row: one 4-lane and one 1-lane store): on AVX2 for rows that
// a masked store (several micro-ops each) would make the cost of a short kernel.
template <std::size_t N, class A, class T>
inline void store_pieces(T* p, const vec<T, A>& v, requires_arch<xsimd::generic>) noexcept {
    store_first<N, A>(p, v, A{});
}
#if XSIMD_WITH_AVX2
template <std::size_t N>
inline void store_pieces_128(float* p, __m128 x) noexcept {
    if constexpr (N == 4) {
        _mm_storeu_ps(p, x);
    } else if constexpr (N >= 2) {
        _mm_storel_pi(reinterpret_cast<__m64*>(p), x);
        if constexpr (N == 3) _mm_store_ss(p + 2, _mm_movehl_ps(x, x));
    } else if constexpr (N == 1) {
        _mm_store_ss(p, x);
    }
}
template <std::size_t N, class A>
    requires(vec<float, A>::size == 8)
inline void store_pieces(float* p, const vec<float, A>& v, requires_arch<xsimd::avx2>) noexcept {
    const __m256 x = v;
    if constexpr (N == 8) {
        _mm256_storeu_ps(p, x);
    } else if constexpr (N <= 4) {
        store_pieces_128<N>(p, _mm256_castps256_ps128(x));
    } else {
        _mm_storeu_ps(p, _mm256_castps256_ps128(x));
        store_pieces_128<N - 4>(p + 4, _mm256_extractf128_ps(x, 1));
    }
}
template <std::size_t N, class A>
    requires(vec<double, A>::size == 4)
inline void store_pieces(double* p, const vec<double, A>& v, requires_arch<xsimd::avx2>) noexcept {
    const __m256d x = v;
    const __m128d lo = _mm256_castpd256_pd128(x);
    if constexpr (N == 4) {
        _mm256_storeu_pd(p, x);
    } else if constexpr (N == 1) {
        _mm_store_sd(p, lo);
    } else {
        _mm_storeu_pd(p, lo);
        if constexpr (N == 3) _mm_store_sd(p + 2, _mm256_extractf128_pd(x, 1));
    }
}
#endif

/// Lanes [0, N) of a vector at p (N == the vector size: a plain unaligned load).
template <std::size_t N, class A, class T>
[[gnu::always_inline]] inline vec<T, A> load(const T* p) noexcept {
    static_assert(N >= 1 && N <= vec<T, A>::size);
    if constexpr (N == vec<T, A>::size)
        return vec<T, A>::load_unaligned(p);
    else
        return load_first<N, A>(p, A{});
}
template <std::size_t N, class A, class T>
[[gnu::always_inline]] inline void store(T* p, const vec<T, A>& v) noexcept {
    static_assert(N >= 1 && N <= vec<T, A>::size);
    if constexpr (N == vec<T, A>::size)
        v.store_unaligned(p);
    else
        store_first<N, A>(p, v, A{});
}
/// Asks the cache for every 64-byte line of the Len elements from p, for writing (Write) or
/// reading, ahead of their use. A hint: it never faults, so p may run past the data, and it
/// changes no value.
template <std::size_t Len, bool Write, class T>
[[gnu::always_inline]] inline void prefetch_span(const T* p) noexcept {
#if defined(__GNUC__)
    constexpr std::size_t line = 64 / sizeof(T) > 0 ? 64 / sizeof(T) : 1;
    static_for<(Len + line - 1) / line>([&]<std::size_t i>() CTNN_SIMD_INLINE {
        __builtin_prefetch(p + i * line, Write ? 1 : 0, 3);
    });
    // The last line, which the above misses when p is not at a line's start.
    __builtin_prefetch(p + Len - 1, Write ? 1 : 0, 3);
#else
    (void)p;
#endif
}
/// Keeps v in a register from here on: an operand that several FMAs read is otherwise
/// reloaded by each of them (the compiler folds the load into the FMA), and loads, not
/// FMAs, then bound the micro-kernel.
template <class A, class T>
[[gnu::always_inline]] inline void pin(vec<T, A>& v) noexcept {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    asm("" : "+v"(v.data));
#elif defined(__GNUC__) && defined(__aarch64__)
    asm("" : "+w"(v.data));
#else
    (void)v;
#endif
}
/// Hides where p points from the optimizer: loads through it are then not merged with
/// loads through another pointer. A kernel that broadcasts input pixels needs it at each
/// tap: pixel i at tap kx + 1 is pixel i + 1 at tap kx, and g++ 12 keeps such shared
/// broadcasts alive across taps, spilling accumulators to make room.
template <class T>
[[gnu::always_inline]] inline void opaque(const T*& p) noexcept {
#if defined(__GNUC__)
    asm("" : "+r"(p));
#else
    (void)p;
#endif
}
template <class A, class T>
[[gnu::always_inline]] inline T sum(const vec<T, A>& v) noexcept {
    return reduce_add<A>(v, A{});
}
template <class A, class T>
[[gnu::always_inline]] inline vec<T, A> fma(const vec<T, A>& a, const vec<T, A>& b, const vec<T, A>& c) noexcept {
    return fmadd<A>(a, b, c, A{});
}

/// Lanes used by vector j of a row of N values split into vectors of width W.
template <std::size_t N, std::size_t W>
constexpr std::size_t lanes_of(std::size_t j) noexcept {
    return (j + 1) * W <= N ? W : N - j * W;
}

constexpr std::size_t ceil_div(std::size_t a, std::size_t b) noexcept { return (a + b - 1) / b; }

/// N values: dst = src, dst = value, dst += src; whole vectors, then one masked tail.
template <class A, std::size_t N, class T>
inline void copy_row(const T* src, T* dst) noexcept {
    constexpr std::size_t W = vec<T, A>::size;
    for (std::size_t i = 0; i < N / W; ++i) vec<T, A>::load_unaligned(src + i * W).store_unaligned(dst + i * W);
    if constexpr (N % W != 0) store<N % W, A>(dst + N / W * W, load<N % W, A>(src + N / W * W));
}
template <class A, std::size_t N, class T>
inline void fill_row(T* dst, T value) noexcept {
    constexpr std::size_t W = vec<T, A>::size;
    const vec<T, A> v(value);
    for (std::size_t i = 0; i < N / W; ++i) v.store_unaligned(dst + i * W);
    if constexpr (N % W != 0) store<N % W, A>(dst + N / W * W, v);
}
template <class A, std::size_t N, class T>
inline void add_row(const T* src, T* dst) noexcept {
    constexpr std::size_t W = vec<T, A>::size;
    for (std::size_t i = 0; i < N / W; ++i)
        (vec<T, A>::load_unaligned(dst + i * W) + vec<T, A>::load_unaligned(src + i * W)).store_unaligned(dst + i * W);
    if constexpr (N % W != 0)
        store<N % W, A>(dst + N / W * W, load<N % W, A>(dst + N / W * W) + load<N % W, A>(src + N / W * W));
}
constexpr std::size_t min_of(std::size_t a, std::size_t b) noexcept { return a < b ? a : b; }
constexpr std::size_t max_of(std::size_t a, std::size_t b) noexcept { return a > b ? a : b; }

} // namespace detail
} // namespace ctnn::kernels::simd
