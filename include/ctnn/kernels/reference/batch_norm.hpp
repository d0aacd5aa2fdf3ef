// Reference batch normalization over channels: a sample is C x S values (S = H*W, or 1 for
// flat input), statistics are per channel over the batch's N*S values.
//   inference: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias
//   training:  y = (x - mean) * invstd * weight + bias, mean and biased variance of the batch;
//              running_mean += momentum * (mean - running_mean),
//              running_var  += momentum * (unbiased variance - running_var)   (as PyTorch)
// Statistics are accumulated in double, whatever T, so float training stays accurate.
#pragma once

#include <cmath>
#include <cstddef>

namespace ctnn::kernels::reference {

struct batch_norm_geometry {
    std::size_t channels, spatial; // spatial = H*W, or 1
    double eps, momentum;
};

/// params: weight[C], bias[C], running_mean[C], running_var[C].
template <class T>
void batch_norm_forward(const batch_norm_geometry& g, const T* in, T* out, const T* params,
                        std::size_t batch) noexcept {
    const std::size_t c_n = g.channels, s_n = g.spatial;
    const T* weight = params;
    const T* bias = params + c_n;
    const T* mean = params + 2 * c_n;
    const T* var = params + 3 * c_n;
    for (std::size_t c = 0; c < c_n; ++c) {
        const T scale = static_cast<T>(static_cast<double>(weight[c]) / std::sqrt(static_cast<double>(var[c]) + g.eps));
        const T shift = bias[c] - mean[c] * scale;
        for (std::size_t n = 0; n < batch; ++n) {
            const std::size_t at = (n * c_n + c) * s_n;
            for (std::size_t s = 0; s < s_n; ++s) out[at + s] = in[at + s] * scale + shift;
        }
    }
}

/// Training forward. state receives mean[C] and invstd[C] of this batch for backward.
template <class T>
void batch_norm_forward_train(const batch_norm_geometry& g, const T* in, T* out, T* params, T* state,
                              std::size_t batch) noexcept {
    const std::size_t c_n = g.channels, s_n = g.spatial;
    const double m = static_cast<double>(batch * s_n);
    T* weight = params;
    T* bias = params + c_n;
    T* running_mean = params + 2 * c_n;
    T* running_var = params + 3 * c_n;
    for (std::size_t c = 0; c < c_n; ++c) {
        double sum = 0;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t s = 0; s < s_n; ++s) sum += static_cast<double>(in[(n * c_n + c) * s_n + s]);
        const double mean = sum / m;
        double sq = 0;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t s = 0; s < s_n; ++s) {
                const double d = static_cast<double>(in[(n * c_n + c) * s_n + s]) - mean;
                sq += d * d;
            }
        const double var = sq / m;
        const double invstd = 1.0 / std::sqrt(var + g.eps);
        state[c] = static_cast<T>(mean);
        state[c_n + c] = static_cast<T>(invstd);
        const double scale = static_cast<double>(weight[c]) * invstd;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t s = 0; s < s_n; ++s) {
                const std::size_t at = (n * c_n + c) * s_n + s;
                out[at] = static_cast<T>((static_cast<double>(in[at]) - mean) * scale + static_cast<double>(bias[c]));
            }
        const double unbiased = m > 1 ? sq / (m - 1) : var;
        running_mean[c] = static_cast<T>((1 - g.momentum) * static_cast<double>(running_mean[c]) + g.momentum * mean);
        running_var[c] = static_cast<T>((1 - g.momentum) * static_cast<double>(running_var[c]) + g.momentum * unbiased);
    }
}

/// Training backward, from the input and the batch statistics in state:
///   dweight += sum dy * xhat, dbias += sum dy,
///   dx = weight * invstd / M * (M * dy - sum dy - xhat * sum(dy * xhat)),  M = N*S.
template <class T>
void batch_norm_backward(const batch_norm_geometry& g, const T* in, const T* dout, T* din, const T* params,
                         T* grads, const T* state, std::size_t batch) noexcept {
    const std::size_t c_n = g.channels, s_n = g.spatial;
    const double m = static_cast<double>(batch * s_n);
    for (std::size_t c = 0; c < c_n; ++c) {
        const double mean = static_cast<double>(state[c]), invstd = static_cast<double>(state[c_n + c]);
        double sum_dy = 0, sum_dy_xhat = 0;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t s = 0; s < s_n; ++s) {
                const std::size_t at = (n * c_n + c) * s_n + s;
                const double dy = static_cast<double>(dout[at]);
                sum_dy += dy;
                sum_dy_xhat += dy * (static_cast<double>(in[at]) - mean) * invstd;
            }
        grads[c] += static_cast<T>(sum_dy_xhat);
        grads[c_n + c] += static_cast<T>(sum_dy);
        if (din == nullptr) continue;
        const double k = static_cast<double>(params[c]) * invstd / m;
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t s = 0; s < s_n; ++s) {
                const std::size_t at = (n * c_n + c) * s_n + s;
                const double xhat = (static_cast<double>(in[at]) - mean) * invstd;
                din[at] = static_cast<T>(k * (m * static_cast<double>(dout[at]) - sum_dy - xhat * sum_dy_xhat));
            }
    }
}

} // namespace ctnn::kernels::reference
