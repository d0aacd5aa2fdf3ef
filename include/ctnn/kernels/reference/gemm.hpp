// Reference ONNX Gemm on each sample, straight from the formula:
//   Y[m][n] = alpha * sum_k A'[m][k] * B'[k][n] + beta * C[m][n]
// with A the sample stored a_rows x a_cols, A'[m][k] = trans_a ? A[k][m] : A[m][k];
// B the weight stored K x N, or N x K with trans_b: B'[k][n] = trans_b ? B[n][k] : B[k][n];
// C the bias stored M x N (absent without bias). All row-major.
#pragma once

#include <cstddef>

#include "../../core/geometry.hpp"

namespace ctnn::kernels::reference {

namespace detail {
constexpr std::size_t gemm_a_at(const gemm_geometry& g, std::size_t m, std::size_t k) noexcept {
    return g.trans_a ? k * g.a_cols + m : m * g.a_cols + k;
}
constexpr std::size_t gemm_b_at(const gemm_geometry& g, std::size_t k, std::size_t n) noexcept {
    return g.trans_b ? n * g.k() + k : k * g.n + n;
}
} // namespace detail

template <class T>
void gemm_forward(const gemm_geometry& g, const T* in, const T* weight, const T* bias, T* out,
                  std::size_t batch) noexcept {
    const std::size_t m_n = g.m(), k_n = g.k();
    const T alpha = static_cast<T>(g.alpha), beta = static_cast<T>(g.beta);
    for (std::size_t b = 0; b < batch; ++b) {
        const T* a = in + b * g.in_size();
        T* y = out + b * g.out_size();
        for (std::size_t m = 0; m < m_n; ++m)
            for (std::size_t n = 0; n < g.n; ++n) {
                T acc = 0;
                for (std::size_t k = 0; k < k_n; ++k)
                    acc += a[detail::gemm_a_at(g, m, k)] * weight[detail::gemm_b_at(g, k, n)];
                y[m * g.n + n] = alpha * acc + (g.bias ? beta * bias[m * g.n + n] : T(0));
            }
    }
}

/// Gradients of gemm_forward, summed over the batch:
///   dB'[k][n] += alpha * sum_m A'[m][k] dY[m][n],   dC[m][n] += beta * dY[m][n],
///   dA'[m][k]  = alpha * sum_n dY[m][n] B'[k][n]   (written unless din is null),
/// each stored in its tensor's own layout.
template <class T>
void gemm_backward(const gemm_geometry& g, const T* in, const T* weight, const T* dout, T* din, T* dweight, T* dbias,
                   std::size_t batch) noexcept {
    const std::size_t m_n = g.m(), k_n = g.k();
    const T alpha = static_cast<T>(g.alpha), beta = static_cast<T>(g.beta);
    for (std::size_t b = 0; b < batch; ++b) {
        const T* a = in + b * g.in_size();
        const T* dy = dout + b * g.out_size();
        T* da = din != nullptr ? din + b * g.in_size() : nullptr;
        if (da != nullptr)
            for (std::size_t m = 0; m < m_n; ++m)
                for (std::size_t k = 0; k < k_n; ++k) {
                    T acc = 0;
                    for (std::size_t n = 0; n < g.n; ++n) acc += dy[m * g.n + n] * weight[detail::gemm_b_at(g, k, n)];
                    da[detail::gemm_a_at(g, m, k)] = alpha * acc;
                }
        for (std::size_t k = 0; k < k_n; ++k)
            for (std::size_t n = 0; n < g.n; ++n) {
                T acc = 0;
                for (std::size_t m = 0; m < m_n; ++m) acc += a[detail::gemm_a_at(g, m, k)] * dy[m * g.n + n];
                dweight[detail::gemm_b_at(g, k, n)] += alpha * acc;
            }
        if (g.bias)
            for (std::size_t i = 0; i < g.out_size(); ++i) dbias[i] += beta * dy[i];
    }
}

} // namespace ctnn::kernels::reference
