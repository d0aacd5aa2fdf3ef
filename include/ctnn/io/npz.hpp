// NumPy .npz archives (a ZIP of .npy files, as numpy.savez and numpy.savez_compressed write
// them) and a network's parameters as one: each parameter tensor is one array in PyTorch's
// layout (conv2d weight O x I/groups x KH x KW, dense weight Out x In, bias O), keyed
// "<entry>.<tensor>" ("1.weight"), in entry order.
//
// Loading a PyTorch state_dict exported with tools/torch_to_npz.py: its keys follow the
// PyTorch module ("0.weight" for nn.Sequential's first layer, "features.0.weight", ...), so
// load with npz_match::in_order, which pairs the archive's arrays with the network's tensors
// in order and checks every shape. Loading goes into a copy and only a fully checked copy
// replaces the caller's parameters.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "binary.hpp"
#include "error.hpp"
#include "network_tensors.hpp"
#include "npy.hpp"
#include "zip.hpp"

namespace ctnn {

/// One array of an archive: its key (the entry name without ".npy") and the array.
struct npz_entry {
    std::string key;
    npy_array array;
};

/// The arrays of an .npz file, in the archive's order.
struct npz_archive {
    std::vector<npz_entry> entries;

    /// The array named `key`, or nullptr.
    const npy_array* find(std::string_view key) const noexcept {
        for (const npz_entry& e : entries)
            if (e.key == key) return &e.array;
        return nullptr;
    }
};

/// Parses a whole .npz file held in `bytes`; `path` names it in errors.
inline npz_archive decode_npz(std::span<const unsigned char> bytes, const std::string& path) {
    npz_archive archive;
    for (detail::zip_entry& z : detail::read_zip(bytes, path)) {
        const std::string field = "entry '" + z.name + "'";
        if (z.name.size() < 4 || z.name.compare(z.name.size() - 4, 4, ".npy") != 0)
            throw io_error(path, field, "not a .npy array (an .npz holds only '<key>.npy' entries)");
        npy_array a = decode_npy(z.data, path, field);
        archive.entries.push_back({z.name.substr(0, z.name.size() - 4), std::move(a)});
    }
    return archive;
}

/// The bytes of an .npz holding `archive`, entries stored uncompressed (as numpy.savez).
inline std::vector<unsigned char> encode_npz(const npz_archive& archive, const std::string& path = "npz") {
    std::vector<detail::zip_entry> zip;
    zip.reserve(archive.entries.size());
    for (const npz_entry& e : archive.entries) {
        for (const detail::zip_entry& seen : zip)
            if (seen.name == e.key + ".npy") throw io_error(path, "array '" + e.key + "'", "the key is given twice");
        zip.push_back({e.key + ".npy", encode_npy(e.array)});
    }
    return detail::write_zip(zip, path);
}

inline npz_archive read_npz(const std::filesystem::path& path) {
    const std::vector<unsigned char> bytes = detail::read_file(path);
    return decode_npz(bytes, path.string());
}

/// Writes an .npz atomically (the old file survives a failed write).
inline void write_npz(const std::filesystem::path& path, const npz_archive& archive) {
    detail::write_file_atomically(path, encode_npz(archive, path.string()));
}

/// How load_npz pairs the archive's arrays with the network's tensors.
enum class npz_match {
    by_name,  ///< keys are ctnn's "<entry>.<tensor>"; every tensor present, no other array
    in_order, ///< the i-th array (after skipped ones) is the i-th tensor, whatever its key
};

struct npz_options {
    npz_match match = npz_match::by_name;
    /// Arrays to ignore: a key equal to one of these or ending in "." + one of these, e.g.
    /// {"num_batches_tracked"} for the BatchNorm counters in a PyTorch state_dict.
    std::vector<std::string> skip = {};
};

/// The network's parameters as an archive (float32 or float64, as the network's type).
template <class Net>
npz_archive to_npz(const typename Net::parameters& params) {
    using T = typename Net::value_type;
    npz_archive archive;
    for (const network_tensor& t : Net::tensors)
        archive.entries.push_back(
            {detail::tensor_key(t),
             npy_array::from(std::span<const T>(params.values.data() + t.offset, t.tensor.size), detail::tensor_shape(t.tensor))});
    return archive;
}

/// Writes the network's parameters as an .npz, atomically.
template <class Net>
void save_npz(const std::filesystem::path& path, const typename Net::parameters& params) {
    write_npz(path, to_npz<Net>(params));
}

/// Sets `params` from `archive`; `path` names the source in errors. float32 and float64
/// arrays are converted to the network's type; `params` is left alone unless every array
/// checks out.
template <class Net>
void load_npz(const npz_archive& archive, typename Net::parameters& params, const npz_options& options,
              const std::string& path) {
    using T = typename Net::value_type;
    constexpr auto layer_names = detail::entry_names<Net>();
    const auto skipped = [&](const std::string& key) {
        return std::any_of(options.skip.begin(), options.skip.end(), [&](const std::string& s) {
            return key == s || (key.size() > s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0 &&
                                key[key.size() - s.size() - 1] == '.');
        });
    };
    std::vector<const npz_entry*> kept;
    for (const npz_entry& e : archive.entries)
        if (!skipped(e.key)) kept.push_back(&e);
    const auto describe = [&](const network_tensor& t) {
        return "ctnn tensor '" + detail::tensor_key(t) + "' (" + std::string(layer_names[t.entry]) + ")";
    };
    const auto key_list = [&] {
        std::string s;
        for (std::size_t i = 0; i < kept.size() && i < 12; ++i) s += (i ? ", " : "") + kept[i]->key;
        return s + (kept.size() > 12 ? ", ..." : "");
    };

    auto staged = std::make_unique<typename Net::parameters>(params);
    std::vector<bool> used(kept.size(), false);
    for (std::size_t k = 0; k < Net::tensors.size(); ++k) {
        const network_tensor& t = Net::tensors[k];
        const std::string name = detail::tensor_key(t);
        std::size_t at = kept.size();
        if (options.match == npz_match::in_order) {
            if (k >= kept.size())
                throw io_error(path, "array " + std::to_string(k),
                               "missing: the archive has " + std::to_string(kept.size()) + " arrays (not counting skipped "
                               "ones), the network " + std::to_string(Net::tensors.size()) + " tensors; nothing for " +
                                   describe(t) + " of shape " + detail::shape_string(detail::tensor_shape(t.tensor)));
            at = k;
        } else {
            for (std::size_t i = 0; i < kept.size(); ++i)
                if (kept[i]->key == name) at = i;
            if (at == kept.size())
                throw io_error(path, "array '" + name + "'",
                               "missing: expected shape " + detail::shape_string(detail::tensor_shape(t.tensor)) + " for " +
                                   describe(t) + "; the archive holds " + key_list() +
                                   " (for a PyTorch state_dict, load with npz_match::in_order)");
        }
        used[at] = true;
        const npz_entry& e = *kept[at];
        const std::string field = "array '" + e.key + "'";
        if (e.array.shape != detail::tensor_shape(t.tensor))
            throw io_error(path, field, "expected shape " + detail::shape_string(detail::tensor_shape(t.tensor)) + " for " +
                                            describe(t) + ", found " + detail::shape_string(e.array.shape));
        if (e.array.dtype != npy_dtype::float32 && e.array.dtype != npy_dtype::float64)
            throw io_error(path, field, "expected float32 or float64 values for " + describe(t) + ", found '" +
                                            std::string(npy_descr(e.array.dtype)) + "'");
        std::vector<T> v;
        try {
            v = e.array.values<T>();
        } catch (const std::range_error& error) {
            throw io_error(path, field, std::string(error.what()) + " (the network's element type)");
        }
        std::copy(v.begin(), v.end(), staged->values.begin() + static_cast<std::ptrdiff_t>(t.offset));
    }
    for (std::size_t i = 0; i < kept.size(); ++i)
        if (!used[i])
            throw io_error(path, "array '" + kept[i]->key + "'",
                           "not a tensor of this network (shape " + detail::shape_string(kept[i]->array.shape) + "; the network has " +
                               std::to_string(Net::tensors.size()) + " tensors" +
                               (options.match == npz_match::by_name ? ", keyed '<entry>.<tensor>'" : "") +
                               "); list it in npz_options::skip to ignore it");
    params = *staged;
}

/// Reads an .npz file into the network's parameters (see the overload above).
template <class Net>
void load_npz(const std::filesystem::path& path, typename Net::parameters& params, const npz_options& options = {}) {
    load_npz<Net>(read_npz(path), params, options, path.string());
}

} // namespace ctnn
