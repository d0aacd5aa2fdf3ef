// Parameter initializers: zeros, constant, uniform, normal, Xavier/Glorot and He/MSRA, with
// fan-in and fan-out as PyTorch's torch.nn.init._calculate_fan_in_and_fan_out.
//
// Random numbers come from ctnn's own generator, never from std:: distributions (whose
// output differs between standard libraries): xoshiro256** seeded by splitmix64, integer
// arithmetic only, so a seed gives the same bits everywhere. Uniform values are the top 53
// bits scaled to [0, 1); normal values use Marsaglia's polar form of Box-Muller, whose only
// library call besides the (exact) square root is one std::log per pair, so math libraries
// can differ at most in the last bit. Values are drawn in double and rounded once to the
// network's element type.
//
// ctnn::initialize<Net> gives each tensor its own stream, keyed by (seed, entry, index of
// the tensor in its entry): a layer added at the end leaves every earlier tensor as it was.
#pragma once

#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "../core/layer.hpp"

namespace ctnn {
namespace init {

/// One step of splitmix64: advances `state` and returns the next 64 random bits.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// xoshiro256** (Blackman and Vigna), its state filled by splitmix64 from a seed.
/// A UniformRandomBitGenerator, plus the two transforms ctnn's initializers use.
class generator {
  public:
    using result_type = std::uint64_t;

    explicit constexpr generator(std::uint64_t seed) noexcept {
        for (auto& word : s_) word = splitmix64(seed);
    }

    /// A generator in a given state (not all zero): for tests against the reference vectors.
    static constexpr generator from_state(const std::array<std::uint64_t, 4>& state) noexcept {
        generator g(0);
        g.s_ = state;
        return g;
    }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return ~result_type{0}; }

    constexpr result_type operator()() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1), a multiple of 2^-53.
    constexpr double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

    /// Standard normal (polar Box-Muller); values come in pairs, the second is kept for the next call.
    double normal() noexcept {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u = 0, v = 0, s = 0;
        do {
            u = 2 * uniform() - 1; // exact: a multiple of 2^-52 in [-1, 1)
            v = 2 * uniform() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        const double m = std::sqrt(-2 * std::log(s) / s);
        spare_ = v * m;
        has_spare_ = true;
        return u * m;
    }

  private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> s_{};
    double spare_ = 0;
    bool has_spare_ = false;
};

/// The stream of tensor `tensor` (its index within the entry) of entry `entry` for `seed`.
/// Different seeds give different streams for the same tensor.
constexpr generator stream(std::uint64_t seed, std::size_t entry, std::size_t tensor) noexcept {
    std::uint64_t k = seed;
    k = splitmix64(k) ^ static_cast<std::uint64_t>(entry);
    k = splitmix64(k) ^ static_cast<std::uint64_t>(tensor);
    return generator(splitmix64(k));
}

/// Fan-in and fan-out of a weight tensor.
struct fans {
    std::size_t in;
    std::size_t out;
    constexpr bool operator==(const fans&) const = default;
};

/// As torch.nn.init._calculate_fan_in_and_fan_out: dims[1] (resp. dims[0]) times the product
/// of the remaining dims. conv2d (O, C/groups, KH, KW): in = C/groups*KH*KW, out = O*KH*KW;
/// dense (out, in): in, out. Tensors of rank below 2 have no fans (PyTorch raises too).
constexpr fans fans_of(const param_tensor& t) {
    if (t.rank < 2 || t.rank > t.dims.size())
        throw std::invalid_argument("ctnn::init::fans_of: fan-in and fan-out need a tensor of rank 2 to 4");
    std::size_t receptive = 1;
    for (std::size_t d = 2; d < t.rank; ++d) receptive *= t.dims[d];
    return {t.dims[1] * receptive, t.dims[0] * receptive};
}

/// Which fan the He initializers scale by (PyTorch's `mode`).
enum class fan_mode { fan_in, fan_out };

namespace detail {
inline double he_std(double negative_slope, fan_mode mode, const param_tensor& t) {
    const fans f = fans_of(t);
    const double gain = std::sqrt(2.0 / (1.0 + negative_slope * negative_slope)); // calculate_gain("leaky_relu", a)
    return gain / std::sqrt(static_cast<double>(mode == fan_mode::fan_in ? f.in : f.out));
}
inline double xavier_std(double gain, const param_tensor& t) {
    const fans f = fans_of(t);
    return gain * std::sqrt(2.0 / static_cast<double>(f.in + f.out));
}
template <class T>
void fill_uniform(std::span<T> out, double low, double high, generator& g) noexcept {
    for (T& x : out) x = static_cast<T>(low + (high - low) * g.uniform());
}
template <class T>
void fill_normal(std::span<T> out, double mean, double stddev, generator& g) noexcept {
    for (T& x : out) x = static_cast<T>(mean + stddev * g.normal());
}
} // namespace detail

// Schemes: `fill(values, tensor, generator)` writes one tensor; `uses_fans` says whether the
// tensor must have fans (rank 2 or more).

/// Every value 0.
struct zeros {
    static constexpr bool uses_fans = false;
    template <class T>
    void fill(std::span<T> out, const param_tensor&, generator&) const noexcept {
        for (T& x : out) x = T(0);
    }
};

/// Every value `value`.
struct constant {
    double value = 0;
    static constexpr bool uses_fans = false;
    template <class T>
    void fill(std::span<T> out, const param_tensor&, generator&) const noexcept {
        for (T& x : out) x = static_cast<T>(value);
    }
};

/// Uniform in [low, high).
struct uniform {
    double low = 0, high = 1;
    static constexpr bool uses_fans = false;
    template <class T>
    void fill(std::span<T> out, const param_tensor&, generator& g) const noexcept {
        detail::fill_uniform(out, low, high, g);
    }
};

/// Normal with standard deviation `stddev` around `mean`: `init::normal{0.01}`.
struct normal {
    double stddev = 1, mean = 0;
    static constexpr bool uses_fans = false;
    template <class T>
    void fill(std::span<T> out, const param_tensor&, generator& g) const noexcept {
        detail::fill_normal(out, mean, stddev, g);
    }
};

/// Xavier/Glorot uniform: bound gain * sqrt(6 / (fan_in + fan_out)) (torch xavier_uniform_).
struct xavier_uniform {
    double gain = 1;
    static constexpr bool uses_fans = true;
    template <class T>
    void fill(std::span<T> out, const param_tensor& t, generator& g) const {
        const double bound = std::sqrt(3.0) * detail::xavier_std(gain, t);
        detail::fill_uniform(out, -bound, bound, g);
    }
};

/// Xavier/Glorot normal: std gain * sqrt(2 / (fan_in + fan_out)) (torch xavier_normal_).
struct xavier_normal {
    double gain = 1;
    static constexpr bool uses_fans = true;
    template <class T>
    void fill(std::span<T> out, const param_tensor& t, generator& g) const {
        detail::fill_normal(out, 0.0, detail::xavier_std(gain, t), g);
    }
};

/// He/MSRA normal: std sqrt(2 / (1 + a^2)) / sqrt(fan) (torch kaiming_normal_, leaky_relu gain).
struct he_normal {
    double negative_slope = 0;
    fan_mode mode = fan_mode::fan_in;
    static constexpr bool uses_fans = true;
    template <class T>
    void fill(std::span<T> out, const param_tensor& t, generator& g) const {
        detail::fill_normal(out, 0.0, detail::he_std(negative_slope, mode, t), g);
    }
};

/// He/MSRA uniform: bound sqrt(3) * the he_normal std (torch kaiming_uniform_).
struct he_uniform {
    double negative_slope = 0;
    fan_mode mode = fan_mode::fan_in;
    static constexpr bool uses_fans = true;
    template <class T>
    void fill(std::span<T> out, const param_tensor& t, generator& g) const {
        const double bound = std::sqrt(3.0) * detail::he_std(negative_slope, mode, t);
        detail::fill_uniform(out, -bound, bound, g);
    }
};

/// What ctnn::initialize accepts as a weight scheme.
template <class S>
concept scheme = requires(const S& s, std::span<float> f, std::span<double> d, const param_tensor& t, generator& g) {
    { S::uses_fans } -> std::convertible_to<bool>;
    s.fill(f, t, g);
    s.fill(d, t, g);
};

} // namespace init

namespace detail {

/// Layers whose tensors have fixed initial values, found by name so a layer only has to exist.
constexpr bool is_batch_norm(std::string_view layer) noexcept { return layer.starts_with("batch_norm"); }

/// The layer name of each entry.
template <class Net>
constexpr auto layer_names_of() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<std::string_view, sizeof...(I)>{Net::template layer<I>::name...};
    }(std::make_index_sequence<Net::entry_count>{});
}

/// Index in Net::tensors of the first weight the scheme cannot take (no fans), or the count.
template <class Net>
constexpr std::size_t first_weight_without_fans() {
    constexpr auto names = detail::layer_names_of<Net>();
    for (std::size_t k = 0; k < Net::tensors.size(); ++k) {
        const auto& t = Net::tensors[k];
        if (t.tensor.trainable && t.tensor.name == "weight" && !t.tensor.fixed_initial &&
            !is_batch_norm(names[t.entry]) && t.tensor.rank < 2)
            return k;
    }
    return Net::tensors.size();
}

template <std::size_t Entry, std::size_t Rank>
consteval bool check_weight_has_fans() {
    static_assert(Rank >= 2, "ctnn::initialize: this scheme scales by fan-in and fan-out, which the weight of "
                             "entry Entry does not have (its rank is below 2); use init::normal, init::uniform "
                             "or init::constant for this network");
    return Rank >= 2;
}

template <class Net, class Scheme>
consteval bool check_scheme_fits() {
    if constexpr (Scheme::uses_fans) {
        constexpr std::size_t bad = first_weight_without_fans<Net>();
        if constexpr (bad < Net::tensors.size())
            return check_weight_has_fans<Net::tensors[bad].entry, Net::tensors[bad].tensor.rank>();
    }
    return true;
}

} // namespace detail

/// Initializes a parameter block: `weights` fills every trainable tensor named "weight",
/// every "bias" becomes 0; batch-norm layers get weight 1, bias 0, running_mean 0 and
/// running_var 1; a tensor whose layer declares a fixed initial value (param_tensor::
/// fixed_initial, prelu's 0.25) gets that. Other tensors and the alignment gaps are left as they are.
///
///     typename net::parameters p;
///     ctnn::initialize<net>(p, ctnn::init::he_normal{}, 42);
template <class Net, init::scheme Scheme>
void initialize(std::span<typename Net::value_type, Net::param_storage> values, const Scheme& weights,
                std::uint64_t seed) {
    using T = typename Net::value_type;
    static_assert(detail::check_scheme_fits<Net, Scheme>() || true); // the check reports by itself
    constexpr auto names = detail::layer_names_of<Net>();
    std::size_t entry_start = 0; // index in Net::tensors of the entry's first tensor
    for (std::size_t k = 0; k < Net::tensors.size(); ++k) {
        const network_tensor& t = Net::tensors[k];
        if (k == 0 || Net::tensors[k - 1].entry != t.entry) entry_start = k;
        const std::span<T> out = values.subspan(t.offset, t.tensor.size);
        const std::string_view name = t.tensor.name;
        auto set = [&](double v) {
            for (T& x : out) x = static_cast<T>(v);
        };
        if (t.tensor.fixed_initial) { // declared by the layer (prelu's slopes: 0.25)
            set(t.tensor.initial_value);
        } else if (detail::is_batch_norm(names[t.entry])) {
            if (name == "weight" || name == "running_var") set(1);
            else if (name == "bias" || name == "running_mean") set(0);
        } else if (name == "bias") {
            set(0);
        } else if (name == "weight" && t.tensor.trainable) {
            init::generator g = init::stream(seed, t.entry, k - entry_start);
            weights.fill(out, t.tensor, g);
        }
    }
}

/// As above, on a network's parameter block.
template <class Net, init::scheme Scheme>
void initialize(typename Net::parameters& params, const Scheme& weights, std::uint64_t seed) {
    initialize<Net>(std::span<typename Net::value_type, Net::param_storage>(params.values), weights, seed);
}

} // namespace ctnn
