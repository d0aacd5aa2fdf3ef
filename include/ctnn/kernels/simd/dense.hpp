// SIMD fully connected layer, specialized on its sizes (the geometry G), generic over the
// arch tag A. PyTorch's Linear layout, as kernels/reference/dense.hpp:
//   forward:  out[n][o] = bias[o] + w[o] . in[n]         gemm_nt (dot products along In;
//                                                         a GEMV at batch 1)
//   backward: dweight[o][i] += sum_n dout[n][o] in[n][i]  gemm_nn, vectorized along In
//             din[n][i] = sum_o dout[n][o] w[o][i]        gemm_nn, vectorized along In
// Each output's dot product runs in the same order whatever the batch, so a sample gives
// the same result alone or inside a batch.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "../../core/geometry.hpp"
#include "../reference/dense.hpp"
#include "activation.hpp"
#include "arch.hpp"
#include "gemm.hpp"

namespace ctnn::kernels::simd {

template <dense_geometry G, class T, class A = default_arch>
struct dense_kernels {
    static void forward(const T* in, const T* weight, const T* bias, T* out, std::size_t batch) noexcept {
        for (std::size_t n = 0; n < batch; ++n) {
            T* z = out + n * G.out;
            if (G.bias)
                std::copy_n(bias, G.out, z);
            else
                std::fill_n(z, G.out, T(0));
        }
        gemm_nt<A, G.in, T>::template run<8, G.out>(batch, G.out, in, G.in, weight, G.in, out, G.out);
    }

    static void backward(const T* in, const T* weight, const T* dout, T* din, T* dweight, T* dbias,
                         std::size_t batch) noexcept {
        if (G.bias)
            for (std::size_t n = 0; n < batch; ++n)
                for (std::size_t o = 0; o < G.out; ++o) dbias[o] += dout[n * G.out + o];
        gemm_nn<A, G.in, T>::template run<G.out>(G.out, batch, dout, 1, G.out, in, G.in, dweight, G.in,
                                                gemm_init::accumulate);
        if (din != nullptr)
            gemm_nn<A, G.in, T>::template run<8>(batch, G.out, dout, G.out, 1, weight, G.in, din, G.in,
                                                 gemm_init::zero);
    }
};

/// out = op(in x weight^T + bias); op is an activation op (identity by default), run over
/// each block of samples' outputs right after they are computed, while they are in L1.
template <dense_geometry G, class T, class Op = reference::identity_op>
void dense_forward(const T* in, const T* weight, const T* bias, T* out, std::size_t batch,
                   const Op& op = {}) noexcept {
    if constexpr (std::is_same_v<Op, reference::identity_op>) {
        if constexpr (CTNN_REFERENCE_KERNELS)
            reference::dense_forward(G, in, weight, bias, out, batch);
        else
            dense_kernels<G, T>::forward(in, weight, bias, out, batch);
    } else {
        constexpr std::size_t block = detail::max_of(1, 8192 / (G.out * sizeof(T)));
        for (std::size_t n0 = 0; n0 < batch; n0 += block) {
            const std::size_t nb = detail::min_of(block, batch - n0);
            if constexpr (CTNN_REFERENCE_KERNELS)
                reference::dense_forward(G, in + n0 * G.in, weight, bias, out + n0 * G.out, nb);
            else
                dense_kernels<G, T>::forward(in + n0 * G.in, weight, bias, out + n0 * G.out, nb);
            simd::elementwise_forward(op, out + n0 * G.out, out + n0 * G.out, nb * G.out);
        }
    }
}

/// Adds the batch's weight and bias gradients; writes din unless null.
template <dense_geometry G, class T>
void dense_backward(const T* in, const T* weight, const T* dout, T* din, T* dweight, T* dbias,
                    std::size_t batch) noexcept {
    if constexpr (CTNN_REFERENCE_KERNELS)
        reference::dense_backward(G, in, weight, dout, din, dweight, dbias, batch);
    else
        dense_kernels<G, T>::backward(in, weight, dout, din, dweight, dbias, batch);
}

} // namespace ctnn::kernels::simd
