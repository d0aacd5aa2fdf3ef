// Losses: each computes the batch's mean loss and writes d(loss)/d(output) of the entry
// where backward starts. A loss fuses with a matching last layer (cross-entropy with
// softmax, binary cross-entropy with sigmoid): it then writes the delta of that layer's
// input directly (output - target, over N), which is both cheaper and exact where the
// chained derivative would divide by a probability near zero.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "../layers/activation.hpp"
#include "../layers/softmax.hpp"

namespace ctnn {

/// Sum of the batch's losses (divide by the batch for the mean) and, for classifiers, how
/// many samples had their label as the largest output.
struct loss_stats {
    double loss_sum = 0;
    std::size_t correct = 0;
    std::size_t samples = 0;
    loss_stats& operator+=(const loss_stats& o) noexcept {
        loss_sum += o.loss_sum;
        correct += o.correct;
        samples += o.samples;
        return *this;
    }
    double mean_loss() const noexcept { return samples ? loss_sum / static_cast<double>(samples) : 0.0; }
    double accuracy() const noexcept {
        return samples ? static_cast<double>(correct) / static_cast<double>(samples) : 0.0;
    }
};

namespace detail {
template <class Net, class Descriptor>
inline constexpr bool ends_with =
    std::is_same_v<typename Net::template layer<Net::entry_count - 1>::descriptor, Descriptor>;

template <class T>
std::size_t argmax(const T* v, std::size_t n) noexcept {
    return static_cast<std::size_t>(std::max_element(v, v + n) - v);
}
} // namespace detail

/// Cross-entropy over classes, labels as class indices. The network ends with softmax
/// (fused: delta = p - onehot, over N) or with raw scores (softmax applied here).
struct softmax_cross_entropy {
    /// Targets per sample: one class index.
    template <class Net>
    static constexpr std::size_t targets_per_sample = 1;
    template <class Net>
    static constexpr bool fused = detail::ends_with<Net, softmax>;
    /// The entry whose output's delta this loss writes.
    template <class Net>
    static constexpr std::size_t start_entry = fused<Net> ? Net::entry_count - 2 : Net::entry_count - 1;

    /// `out`: the network's output for `batch` samples; `delta` may be null (evaluation only).
    template <class Net, class Label>
    static loss_stats evaluate(const typename Net::value_type* out, std::span<const Label> labels, std::size_t batch,
                               typename Net::value_type* delta) {
        using T = typename Net::value_type;
        constexpr std::size_t classes = Net::output_size;
        static_assert(Net::output_shape_type::rank == 1, "ctnn::softmax_cross_entropy: the output must be flat");
        if (labels.size() < batch)
            throw std::invalid_argument("ctnn::softmax_cross_entropy: " + std::to_string(labels.size()) +
                                        " labels for " + std::to_string(batch) + " samples");
        loss_stats s;
        s.samples = batch;
        const T inv_n = T(1) / static_cast<T>(batch);
        for (std::size_t n = 0; n < batch; ++n) {
            const T* o = out + n * classes;
            const auto label = static_cast<std::size_t>(labels[n]);
            if (label >= classes)
                throw std::invalid_argument("ctnn::softmax_cross_entropy: label " + std::to_string(label) +
                                            " of sample " + std::to_string(n) + " is not below " +
                                            std::to_string(classes) + " classes");
            s.correct += detail::argmax(o, classes) == label;
            if constexpr (fused<Net>) {
                s.loss_sum -= std::log(std::max(static_cast<double>(o[label]), 1e-300));
                if (delta)
                    for (std::size_t k = 0; k < classes; ++k)
                        delta[n * classes + k] = (o[k] - (k == label ? T(1) : T(0))) * inv_n;
            } else {
                const T top = o[detail::argmax(o, classes)];
                double sum = 0;
                for (std::size_t k = 0; k < classes; ++k) sum += std::exp(static_cast<double>(o[k] - top));
                s.loss_sum += std::log(sum) - static_cast<double>(o[label] - top);
                if (delta)
                    for (std::size_t k = 0; k < classes; ++k) {
                        const double p = std::exp(static_cast<double>(o[k] - top)) / sum;
                        delta[n * classes + k] = static_cast<T>(p - (k == label ? 1.0 : 0.0)) * inv_n;
                    }
            }
        }
        return s;
    }
};

/// Binary cross-entropy per output, targets in [0, 1], mean over samples and outputs (as
/// PyTorch's BCELoss). The network ends with sigmoid (fused: delta = p - y, over N*size)
/// or outputs probabilities some other way. Accuracy counts outputs on the right side of 0.5,
/// per sample when every output is.
struct binary_cross_entropy {
    template <class Net>
    static constexpr std::size_t targets_per_sample = Net::output_size;
    template <class Net>
    static constexpr bool fused = detail::ends_with<Net, sigmoid>;
    template <class Net>
    static constexpr std::size_t start_entry = fused<Net> ? Net::entry_count - 2 : Net::entry_count - 1;

    template <class Net, class Target>
    static loss_stats evaluate(const typename Net::value_type* out, std::span<const Target> targets, std::size_t batch,
                               typename Net::value_type* delta) {
        using T = typename Net::value_type;
        constexpr std::size_t size = Net::output_size;
        if (targets.size() < batch * size)
            throw std::invalid_argument("ctnn::binary_cross_entropy: " + std::to_string(targets.size()) +
                                        " targets for " + std::to_string(batch) + " samples of " +
                                        std::to_string(size));
        loss_stats s;
        s.samples = batch;
        const double scale = 1.0 / static_cast<double>(batch * size);
        for (std::size_t n = 0; n < batch; ++n) {
            bool right = true;
            double sample_loss = 0;
            for (std::size_t k = 0; k < size; ++k) {
                const double p = static_cast<double>(out[n * size + k]);
                const double y = static_cast<double>(targets[n * size + k]);
                // PyTorch clamps each log at -100.
                sample_loss -= y * std::max(std::log(p), -100.0) + (1 - y) * std::max(std::log(1 - p), -100.0);
                right = right && ((p >= 0.5) == (y >= 0.5));
                if (delta) {
                    const double d = fused<Net> ? p - y : (p - y) / std::max(p * (1 - p), 1e-12);
                    delta[n * size + k] = static_cast<T>(d * scale);
                }
            }
            s.loss_sum += sample_loss / static_cast<double>(size);
            s.correct += right;
        }
        return s;
    }
};

/// Mean squared error over samples and outputs (as PyTorch's MSELoss); accuracy is not
/// meaningful and counts samples whose largest output matches the target's.
struct mean_squared_error {
    template <class Net>
    static constexpr std::size_t targets_per_sample = Net::output_size;
    template <class Net>
    static constexpr std::size_t start_entry = Net::entry_count - 1;

    template <class Net, class Target>
    static loss_stats evaluate(const typename Net::value_type* out, std::span<const Target> targets, std::size_t batch,
                               typename Net::value_type* delta) {
        using T = typename Net::value_type;
        constexpr std::size_t size = Net::output_size;
        if (targets.size() < batch * size)
            throw std::invalid_argument("ctnn::mean_squared_error: " + std::to_string(targets.size()) +
                                        " targets for " + std::to_string(batch) + " samples of " +
                                        std::to_string(size));
        loss_stats s;
        s.samples = batch;
        const double scale = 2.0 / static_cast<double>(batch * size);
        for (std::size_t n = 0; n < batch; ++n) {
            double sq = 0;
            for (std::size_t k = 0; k < size; ++k) {
                const double e = static_cast<double>(out[n * size + k]) - static_cast<double>(targets[n * size + k]);
                sq += e * e;
                if (delta) delta[n * size + k] = static_cast<T>(e * scale);
            }
            s.loss_sum += sq / static_cast<double>(size);
            s.correct += detail::argmax(out + n * size, size) == detail::argmax(targets.data() + n * size, size);
        }
        return s;
    }
};

} // namespace ctnn
