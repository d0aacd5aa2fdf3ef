// This machine's FMA peak, the yardstick for "% of peak" in docs/performance.md.
//
// Chains independent 256-bit FMA chains (acc = acc * b + c, each depending only on
// itself), enough of them to cover the FMA latency on every pipe (Zen and Haswell-class
// cores: 2 pipes x 4-5 cycles). The chains start from a runtime value, the trip count is a
// runtime value and the sums are handed to DoNotOptimize, so nothing can be folded; without
// -ffast-math the compiler may not reassociate them either. Reports GFLOP/s counted as
// 2 flops per lane per FMA. One-thread rates use CPU time (like every one-thread case);
// the two-thread one uses wall time.
//   peak/fma256x<N>           one thread, N chains of 256-bit FMAs (AVX2+FMA)
//   peak/fma256x12/threads:2  two threads (std::thread), each running 12 chains
//   peak/fma512x<N>           the same with 512-bit FMAs, where the CPU has AVX-512F
//   peak/fma512x24/threads:2  (a skipped benchmark reports an error and no time)
// bench/run takes the fastest one-thread variant as "the peak".
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

namespace {

template <int Chains>
__attribute__((target("avx2,fma"), noinline)) float fma_chains(std::int64_t iterations, float seed) {
    __m256 acc[Chains];
    for (int i = 0; i < Chains; ++i) acc[i] = _mm256_set1_ps(seed + 0.001f * static_cast<float>(i));
    const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
    for (std::int64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 16
        for (int i = 0; i < Chains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], b, c);
    }
    __m256 sum = acc[0];
    for (int i = 1; i < Chains; ++i) sum = _mm256_add_ps(sum, acc[i]);
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, sum);
    return lanes[0] + lanes[7];
}

template <int Chains>
__attribute__((target("avx512f"), noinline)) float fma512_chains(std::int64_t iterations, float seed) {
    __m512 acc[Chains];
    for (int i = 0; i < Chains; ++i) acc[i] = _mm512_set1_ps(seed + 0.001f * static_cast<float>(i));
    const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
    for (std::int64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 32
        for (int i = 0; i < Chains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], b, c);
    }
    __m512 sum = acc[0];
    for (int i = 1; i < Chains; ++i) sum = _mm512_add_ps(sum, acc[i]);
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, sum);
    return lanes[0] + lanes[15];
}

bool has_avx2_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool has_avx512f() { return __builtin_cpu_supports("avx512f"); }

template <int Chains>
void peak512_one(benchmark::State& state) {
    if (!has_avx512f()) {
        state.SkipWithError("no AVX-512F on this CPU");
        return;
    }
    const std::int64_t iterations = 1 << 19;
    float seed = 1.0f;
    for (auto _ : state) {
        float r = fma512_chains<Chains>(iterations, seed);
        benchmark::DoNotOptimize(r);
        seed += 1e-7f;
    }
    const double flops = double(iterations) * Chains * 16 * 2;
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

template <int Chains>
void peak_one(benchmark::State& state) {
    if (!has_avx2_fma()) {
        state.SkipWithError("no AVX2+FMA on this CPU");
        return;
    }
    const std::int64_t iterations = 1 << 20;
    float seed = 1.0f;
    for (auto _ : state) {
        float r = fma_chains<Chains>(iterations, seed);
        benchmark::DoNotOptimize(r);
        seed += 1e-7f;
    }
    const double flops = double(iterations) * Chains * 8 * 2;
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

template <int Bits>
void peak_threads(benchmark::State& state) {
    if (Bits == 256 ? !has_avx2_fma() : !has_avx512f()) {
        state.SkipWithError(Bits == 256 ? "no AVX2+FMA on this CPU" : "no AVX-512F on this CPU");
        return;
    }
    const int threads = static_cast<int>(state.range(0));
    const std::int64_t iterations = 1 << 21; // per thread: ~0.4 GFLOP, so thread start-up is noise
    const int chains = Bits == 256 ? 12 : 24;
    std::vector<float> out(threads);
    for (auto _ : state) {
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                out[t] = Bits == 256 ? fma_chains<12>(iterations, 1.0f + float(t))
                                     : fma512_chains<24>(iterations / 2, 1.0f + float(t));
            });
        for (auto& th : pool) th.join();
        benchmark::DoNotOptimize(out.data());
    }
    const double per_thread = Bits == 256 ? double(iterations) * chains * 8 * 2 : double(iterations / 2) * chains * 16 * 2;
    state.counters["GFLOP/s"] = benchmark::Counter(per_thread * threads * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

} // namespace

BENCHMARK(peak_one<8>)->Name("peak/fma256x8")->Unit(benchmark::kMicrosecond);
BENCHMARK(peak_one<10>)->Name("peak/fma256x10")->Unit(benchmark::kMicrosecond);
BENCHMARK(peak_one<12>)->Name("peak/fma256x12")->Unit(benchmark::kMicrosecond);
BENCHMARK(peak_one<14>)->Name("peak/fma256x14")->Unit(benchmark::kMicrosecond);
BENCHMARK(peak_threads<256>)->Name("peak/fma256x12")->ArgName("threads")->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(peak512_one<12>)->Name("peak/fma512x12")->Unit(benchmark::kMicrosecond);
BENCHMARK(peak512_one<16>)->Name("peak/fma512x16")->Unit(benchmark::kMicrosecond);
BENCHMARK(peak512_one<24>)->Name("peak/fma512x24")->Unit(benchmark::kMicrosecond);
BENCHMARK(peak_threads<512>)->Name("peak/fma512x24")->ArgName("threads")->Arg(2)->UseRealTime()->Unit(benchmark::kMicrosecond);

#else
void peak_unsupported(benchmark::State& state) {
    for (auto _ : state) state.SkipWithError("the FMA peak is measured on x86-64 only");
}
BENCHMARK(peak_unsupported)->Name("peak/unsupported");
#endif

BENCHMARK_MAIN();
