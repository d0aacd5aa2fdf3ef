// Checkpoints: a network's parameter block in a file that only the same network loads.
//
// Format, version 1. Integers are unsigned little-endian; u32 = 4 bytes, u64 = 8 bytes.
//
//   magic          8 bytes  "CTNNCKPT"
//   version        u32      1
//   element type   u32      1 = float32, 2 = float64 (IEEE 754, little-endian)
//   network hash   u64      ctnn::network_hash<Net>(): the topology, see below
//   tensor count   u32
//   per tensor, in Net::tensors order:
//     name length  u32
//     name         bytes    "<entry>.<tensor>", e.g. "1.weight" (UTF-8, no terminator)
//     rank         u32
//     dims         rank x u64   PyTorch layout (conv2d weight O x I/groups x KH x KW)
//     count        u64      product of dims
//     data         count x element type
//   crc32          u32      CRC-32 (IEEE, as zlib's crc32) of every byte before it
//
// Only the tensors are stored, not the alignment gaps of the parameter block.
//
// The network hash is FNV-1a (64 bit) over a description of the list, built at compile time
// and the same on every compiler and platform: for each entry its index, layer name, input
// and output shapes, each parameter tensor (name, rank, dims, size, trainable) and, when the
// bound layer has `geometry`, every field of it. The element type is not part of it: a
// float and a double network of one topology share the hash (the element type field tells
// them apart).
//
// Saving writes a temporary file beside the target and renames it over the target (see
// io/binary.hpp), so a crash or a full disk leaves the previous checkpoint intact. Loading
// checks everything — magic, version, element type, hash, each tensor's name and shape,
// size, CRC — into a copy, and only then replaces the caller's parameters.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/geometry.hpp"
#include "../core/layer.hpp"
#include "../kernels/reference/batch_norm.hpp"
#include "binary.hpp"
#include "crc32.hpp"
#include "error.hpp"
#include "network_tensors.hpp"

namespace ctnn {

namespace detail {

/// FNV-1a, 64 bit, fed with fixed-width little-endian fields.
struct fnv1a64 {
    std::uint64_t value = 0xCBF29CE484222325u;
    constexpr void byte(unsigned char b) noexcept {
        value ^= b;
        value *= 0x100000001B3u;
    }
    constexpr void u64(std::uint64_t v) noexcept {
        for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(v >> (8 * i)));
    }
    constexpr void text(std::string_view s) noexcept {
        u64(s.size());
        for (const char c : s) byte(static_cast<unsigned char>(c));
    }
};

constexpr void hash_fields(fnv1a64& h, const conv2d_geometry& g) noexcept {
    h.text("conv2d_geometry");
    for (const std::size_t v : {g.in_c, g.in_h, g.in_w, g.out_c, g.out_h, g.out_w, g.kernel_h, g.kernel_w, g.stride_h,
                                g.stride_w, g.pad_top, g.pad_left, g.dilation_h, g.dilation_w, g.groups})
        h.u64(v);
    h.u64(g.bias ? 1 : 0);
}

constexpr void hash_fields(fnv1a64& h, const pool2d_geometry& g) noexcept {
    h.text("pool2d_geometry");
    for (const std::size_t v : {g.channels, g.in_h, g.in_w, g.out_h, g.out_w, g.window_h, g.window_w, g.stride_h,
                                g.stride_w, g.pad_top, g.pad_left, g.pad_bottom, g.pad_right, g.dilation_h, g.dilation_w})
        h.u64(v);
    h.u64(g.count_include_pad ? 1 : 0);
}

constexpr void hash_fields(fnv1a64& h, const dense_geometry& g) noexcept {
    h.text("dense_geometry");
    h.u64(g.in);
    h.u64(g.out);
    h.u64(g.bias ? 1 : 0);
}

constexpr void hash_fields(fnv1a64& h, const kernels::reference::batch_norm_geometry& g) noexcept {
    h.text("batch_norm_geometry");
    h.u64(g.channels);
    h.u64(g.spatial);
    h.u64(std::bit_cast<std::uint64_t>(g.eps));
    h.u64(std::bit_cast<std::uint64_t>(g.momentum));
}

constexpr void hash_fields(fnv1a64& h, const gemm_geometry& g) noexcept {
    h.text("gemm_geometry");
    h.u64(g.a_rows);
    h.u64(g.a_cols);
    h.u64(g.n);
    h.u64(g.trans_a ? 1 : 0);
    h.u64(g.trans_b ? 1 : 0);
    h.u64(g.bias ? 1 : 0);
    h.u64(std::bit_cast<std::uint64_t>(g.alpha));
    h.u64(std::bit_cast<std::uint64_t>(g.beta));
}

constexpr void hash_fields(fnv1a64& h, const pad2d_geometry& g) noexcept {
    h.text("pad2d_geometry");
    for (const std::size_t v : {g.channels, g.in_h, g.in_w, g.pad_top, g.pad_left, g.pad_bottom, g.pad_right})
        h.u64(v);
}

constexpr void hash_fields(fnv1a64& h, const axis_geometry& g) noexcept {
    h.text("axis_geometry");
    h.u64(g.outer);
    h.u64(g.length);
    h.u64(g.inner);
}

constexpr void hash_fields(fnv1a64& h, const prelu_geometry& g) noexcept {
    h.text("prelu_geometry");
    h.u64(g.size);
    h.u64(g.slopes);
    h.u64(g.spatial);
}

template <class G>
concept hashable_geometry = requires(fnv1a64& h, const G& g) { hash_fields(h, g); };

template <class Shape>
constexpr void hash_shape(fnv1a64& h) noexcept {
    h.u64(Shape::rank);
    for (const std::size_t d : Shape::dims) h.u64(d);
}

template <class L>
constexpr void hash_entry(fnv1a64& h) noexcept {
    h.u64(L::index);
    h.text(L::name);
    hash_shape<typename L::in_shape>(h);
    hash_shape<typename L::out_shape>(h);
    h.u64(L::tensors.size());
    for (const param_tensor& t : L::tensors) {
        h.text(t.name);
        h.u64(t.rank);
        for (std::size_t i = 0; i < t.rank; ++i) h.u64(t.dims[i]);
        h.u64(t.size);
        h.u64(t.trainable ? 1 : 0);
    }
    if constexpr (requires { L::geometry; }) {
        using G = std::remove_cvref_t<decltype(L::geometry)>;
        static_assert(hashable_geometry<G>,
                      "ctnn::network_hash: this layer's geometry type has no hash_fields overload; add "
                      "`constexpr void hash_fields(ctnn::detail::fnv1a64&, const YourGeometry&)` feeding every field "
                      "(beside the type, or in include/ctnn/io/checkpoint.hpp)");
        h.u64(1);
        if constexpr (hashable_geometry<G>) hash_fields(h, L::geometry);
    } else {
        h.u64(0);
    }
    // Real-valued hyperparameters that no shape shows (leaky_relu's slope, dropout's P).
    if constexpr (requires { L::hyperparameters; })
        for (const double v : L::hyperparameters) h.u64(std::bit_cast<std::uint64_t>(v));
}

template <class T>
constexpr std::uint32_t checkpoint_element_code() noexcept {
    return std::is_same_v<T, float> ? 1u : 2u;
}

inline std::string element_code_name(std::uint32_t code) {
    return code == 1 ? "float32" : code == 2 ? "float64" : "unknown type";
}

inline constexpr std::array<unsigned char, 8> checkpoint_magic = {'C', 'T', 'N', 'N', 'C', 'K', 'P', 'T'};

/// Bytes of the checkpoint of Net: fixed by the network, whatever the values.
template <class Net>
std::size_t checkpoint_size() {
    std::size_t n = 8 + 4 + 4 + 8 + 4 + 4;
    for (const network_tensor& t : Net::tensors)
        n += 4 + tensor_key(t).size() + 4 + 8 * t.tensor.rank + 8 + t.tensor.size * sizeof(typename Net::value_type);
    return n;
}

} // namespace detail

/// Checkpoint format version written by save_checkpoint and read by load_checkpoint.
inline constexpr std::uint32_t checkpoint_version = 1;

/// A 64-bit hash of the network's topology (not of its element type); see the file comment.
template <class Net>
constexpr std::uint64_t network_hash() noexcept {
    detail::fnv1a64 h;
    h.text("ctnn.network.v1");
    h.u64(Net::entry_count);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (detail::hash_entry<typename Net::template layer<I>>(h), ...);
    }(std::make_index_sequence<Net::entry_count>{});
    return h.value;
}

/// The checkpoint file's bytes for `params`.
template <class Net>
std::vector<unsigned char> encode_checkpoint(const typename Net::parameters& params) {
    using T = typename Net::value_type;
    std::vector<unsigned char> out;
    out.reserve(detail::checkpoint_size<Net>());
    out.insert(out.end(), detail::checkpoint_magic.begin(), detail::checkpoint_magic.end());
    detail::append_le<std::uint32_t>(out, checkpoint_version);
    detail::append_le<std::uint32_t>(out, detail::checkpoint_element_code<T>());
    detail::append_le<std::uint64_t>(out, network_hash<Net>());
    detail::append_le<std::uint32_t>(out, static_cast<std::uint32_t>(Net::tensors.size()));
    for (const network_tensor& t : Net::tensors) {
        const std::string name = detail::tensor_key(t);
        detail::append_le<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
        out.insert(out.end(), name.begin(), name.end());
        detail::append_le<std::uint32_t>(out, static_cast<std::uint32_t>(t.tensor.rank));
        for (std::size_t i = 0; i < t.tensor.rank; ++i) detail::append_le<std::uint64_t>(out, t.tensor.dims[i]);
        detail::append_le<std::uint64_t>(out, t.tensor.size);
        detail::append_le_values(out, std::span<const T>(params.values.data() + t.offset, t.tensor.size));
    }
    detail::append_le<std::uint32_t>(out, detail::crc32(out));
    return out;
}

/// Sets `params` from checkpoint bytes; `path` names the source in errors. Throws io_error
/// and leaves `params` alone unless every check passes.
template <class Net>
void decode_checkpoint(std::span<const unsigned char> bytes, typename Net::parameters& params, const std::string& path) {
    using T = typename Net::value_type;
    detail::byte_reader r(bytes, path);
    const auto magic = r.bytes(8, "magic");
    if (!std::equal(magic.begin(), magic.end(), detail::checkpoint_magic.begin())) {
        std::string found;
        for (const unsigned char c : magic)
            found += c >= 0x20 && c < 0x7F ? std::string(1, static_cast<char>(c)) : "\\x" + detail::hex(c, 2).substr(2);
        r.fail("magic", "expected \"CTNNCKPT\", found \"" + found + "\": not a ctnn checkpoint");
    }
    if (const std::uint32_t version = r.u32_le("format version"); version != checkpoint_version)
        r.fail("format version", "expected " + std::to_string(checkpoint_version) + ", found " + std::to_string(version) +
                                     " (written by another version of ctnn)");
    // A file of the right size with a bad CRC is corrupt: say so before any field it corrupts.
    const auto check_crc = [&](std::size_t end) {
        const std::uint32_t stored = detail::load_le<std::uint32_t>(bytes.data() + end);
        const std::uint32_t actual = detail::crc32(bytes.first(end));
        if (stored != actual)
            r.fail("CRC32", "the file gives " + detail::hex(actual) + ", its trailer says " + detail::hex(stored) +
                                ": the file is corrupted");
    };
    if (bytes.size() == detail::checkpoint_size<Net>()) check_crc(bytes.size() - 4);

    if (const std::uint32_t code = r.u32_le("element type"); code != detail::checkpoint_element_code<T>())
        r.fail("element type", "the checkpoint holds " + detail::element_code_name(code) + " (code " +
                                   std::to_string(code) + "), this network uses " +
                                   detail::element_code_name(detail::checkpoint_element_code<T>()) + " (code " +
                                   std::to_string(detail::checkpoint_element_code<T>()) + ")");
    if (const std::uint64_t hash = r.u64_le("network hash"); hash != network_hash<Net>())
        r.fail("network hash", "checkpoint was saved from another network: hash " + detail::hex(hash, 16) +
                                   ", this network is " + detail::hex(network_hash<Net>(), 16));
    if (const std::uint32_t count = r.u32_le("tensor count"); count != Net::tensors.size())
        r.fail("tensor count", "expected " + std::to_string(Net::tensors.size()) + ", found " + std::to_string(count));

    auto staged = std::make_unique<typename Net::parameters>(params);
    for (std::size_t k = 0; k < Net::tensors.size(); ++k) {
        const network_tensor& t = Net::tensors[k];
        const std::string key = detail::tensor_key(t);
        const std::string field = "tensor " + std::to_string(k) + " ('" + key + "')";
        const std::uint32_t name_len = r.u32_le(field + " name length");
        const auto name = r.bytes(name_len, field + " name");
        if (!std::equal(name.begin(), name.end(), key.begin(), key.end()))
            r.fail(field + " name", "expected '" + key + "', found '" + std::string(name.begin(), name.end()) + "'");
        const std::vector<std::size_t> expected = detail::tensor_shape(t.tensor);
        const std::uint32_t rank = r.u32_le("tensor '" + key + "' rank");
        if (rank != t.tensor.rank)
            r.fail("tensor '" + key + "' shape", "expected rank " + std::to_string(t.tensor.rank) + " " +
                                                    detail::shape_string(expected) + ", found rank " + std::to_string(rank));
        std::vector<std::size_t> dims(rank);
        for (auto& d : dims) d = static_cast<std::size_t>(r.u64_le("tensor '" + key + "' dims"));
        if (dims != expected)
            r.fail("tensor '" + key + "' shape", "expected " + detail::shape_string(expected) + ", found " + detail::shape_string(dims));
        if (const std::uint64_t count = r.u64_le("tensor '" + key + "' element count"); count != t.tensor.size)
            r.fail("tensor '" + key + "' element count",
                   "expected " + std::to_string(t.tensor.size) + ", found " + std::to_string(count));
        const auto data = r.bytes(t.tensor.size * sizeof(T), "tensor '" + key + "' data");
        detail::load_le_values(data.data(), staged->values.data() + t.offset, t.tensor.size);
    }
    r.bytes(4, "CRC32");
    check_crc(r.offset() - 4);
    if (r.remaining() != 0)
        r.fail("end of file", std::to_string(r.remaining()) + " unexpected bytes after the CRC32 (expected a file of " +
                                  std::to_string(r.offset()) + " bytes)");
    params = *staged;
}

/// Writes `params` to `path` atomically: the previous file survives any failure.
template <class Net>
void save_checkpoint(const std::filesystem::path& path, const typename Net::parameters& params) {
    detail::write_file_atomically(path, encode_checkpoint<Net>(params));
}

/// Reads `path` into `params`; see decode_checkpoint.
template <class Net>
void load_checkpoint(const std::filesystem::path& path, typename Net::parameters& params) {
    const std::vector<unsigned char> bytes = detail::read_file(path);
    decode_checkpoint<Net>(bytes, params, path.string());
}

} // namespace ctnn
