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
        if (din != nullptr) backward_input(weight, dout, din, batch);
    }

    static void backward_input(const T* weight, const T* dout, T* din, std::size_t batch) noexcept {
        gemm_nn<A, G.in, T>::template run<8>(batch, G.out, dout, G.out, 1, weight, G.in, din, G.in, gemm_init::zero);
    }

    /// The weight gradient in pieces, for training threads: a piece is rows_per_piece output
    /// rows, a whole number of the GEMM's row blocks. Each element is computed the same way
    /// whatever piece it is in, so the cut never shows in the bits.
    static constexpr std::size_t block_rows = gemm_nn<A, G.in, T>::template blk<G.out>.rows;
    /// At most 16 pieces: enough for any small pool, few enough that each is a real GEMM.
    static constexpr std::size_t rows_per_piece =
        block_rows * detail::ceil_div(detail::ceil_div(G.out, block_rows), std::size_t{16});
    static constexpr std::size_t param_pieces = detail::ceil_div(G.out, rows_per_piece);

    /// Writes the weight and bias gradients of output rows [first, first + count), summed
    /// over the whole batch in sample order.
    static void backward_params(const T* in, const T* dout, T* dweight, T* dbias, std::size_t batch,
                                std::size_t first, std::size_t count) noexcept {
        if (G.bias)
            for (std::size_t o = first; o < first + count; ++o) {
                T sum = T(0);
                for (std::size_t n = 0; n < batch; ++n) sum += dout[n * G.out + o];
                dbias[o] = sum;
            }
        gemm_nn<A, G.in, T>::template run<G.out>(count, batch, dout + first, 1, G.out, in, G.in, dweight + first * G.in,
                                                G.in, gemm_init::zero);
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

/// din = dout x weight (the input gradient alone), for `batch` samples.
template <dense_geometry G, class T>
void dense_backward_input(const T* weight, const T* dout, T* din, std::size_t batch) noexcept {
    if constexpr (CTNN_REFERENCE_KERNELS)
        reference::dense_backward_input(G, weight, dout, din, batch);
    else
        dense_kernels<G, T>::backward_input(weight, dout, din, batch);
}

/// How many pieces dense_backward_params cuts the weight gradient into: a property of the
/// shape and the kernel, never of the thread count.
template <dense_geometry G, class T>
inline constexpr std::size_t dense_param_pieces = dense_kernels<G, T>::param_pieces;

/// Writes (does not add) piece `piece` of the weight and bias gradients, summed over the
/// whole batch in sample order; the pieces together cover every parameter once.
template <dense_geometry G, class T>
void dense_backward_params(const T* in, const T* dout, T* dweight, T* dbias, std::size_t batch,
                           std::size_t piece) noexcept {
    constexpr std::size_t per = dense_kernels<G, T>::rows_per_piece;
    const std::size_t first = piece * per, count = detail::min_of(per, G.out - first);
    if constexpr (CTNN_REFERENCE_KERNELS)
        reference::dense_backward_params(G, in, dout, dweight, dbias, batch, first, count);
    else
        dense_kernels<G, T>::backward_params(in, dout, dweight, dbias, batch, first, count);
}

} // namespace ctnn::kernels::simd
