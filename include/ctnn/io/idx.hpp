// IDX files, the format of MNIST, Fashion-MNIST and EMNIST: a big-endian header (two zero
// bytes, a type code, the number of dimensions, then each dimension as u32) followed by the
// data in row-major order. ctnn reads unsigned-byte files: images (magic 0x00000803,
// count x rows x cols) and labels (magic 0x00000801, count). A gzip'ed file (.gz, as MNIST
// is distributed) is recognised by its first bytes and decompressed while reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "binary.hpp"
#include "error.hpp"
#include "inflate.hpp"

namespace ctnn {

/// Images of an IDX file: `count` images of rows x cols bytes, one after another.
struct idx_images {
    std::size_t count = 0, rows = 0, cols = 0;
    std::vector<std::uint8_t> pixels; ///< count * rows * cols, row-major

    /// The images as NCHW with one channel, each pixel divided by 255 (so in [0, 1]):
    /// the input of a network whose input is ctnn::input<1, rows, cols>.
    template <class T = float>
    std::vector<T> to_nchw() const {
        std::vector<T> out(pixels.size());
        for (std::size_t i = 0; i < pixels.size(); ++i) out[i] = static_cast<T>(pixels[i]) / T(255);
        return out;
    }
};

/// Labels of an IDX file: one byte per sample.
struct idx_labels {
    std::size_t count = 0;
    std::vector<std::uint8_t> labels;
};

/// Images and their labels, checked to be as many.
struct idx_dataset {
    idx_images images;
    idx_labels labels;
};

namespace detail {

inline const char* idx_type_name(unsigned code) {
    switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
    }
}

/// The dimensions of an unsigned-byte IDX file of `rank` dimensions; checks its size.
inline std::vector<std::size_t> idx_header(std::span<const unsigned char> bytes, std::size_t rank, const std::string& path,
                                           const char* what) {
    const std::uint32_t want_magic = 0x0800u | static_cast<std::uint32_t>(rank);
    const std::string expected = "expected magic " + hex(want_magic) + " (" + what + ")";
    byte_reader r(bytes, path);
    if (bytes.size() < 4)
        r.fail("header", "truncated header: need 4 bytes for the magic, found " + std::to_string(bytes.size()) + "; " +
                             expected);
    const std::uint32_t magic = r.u32_be("magic");
    if ((magic >> 16) != 0)
        r.fail("magic", expected + ", found " + hex(magic) + ": not an IDX file");
    const unsigned type = (magic >> 8) & 0xFFu, found_rank = magic & 0xFFu;
    if (type != 0x08)
        r.fail("magic", expected + ", found " + hex(magic) + ": elements of type " + hex(type, 2) + " (" +
                            idx_type_name(type) + "), only unsigned bytes (0x08) are read");
    if (found_rank != rank)
        r.fail("magic", expected + ", found " + hex(magic) + ": wrong rank, " + std::to_string(found_rank) +
                            " dimensions instead of " + std::to_string(rank) +
                            (found_rank == 1 ? " (a labels file?)" : found_rank == 3 ? " (an images file?)" : ""));
    if (r.remaining() < 4 * rank)
        r.fail("header", "truncated header: need " + std::to_string(4 + 4 * rank) + " bytes for the magic and " +
                             std::to_string(rank) + " dimension sizes, found " + std::to_string(bytes.size()));
    std::vector<std::size_t> dims(rank);
    std::size_t total = 1;
    for (std::size_t i = 0; i < rank; ++i) {
        dims[i] = r.u32_be("dimension " + std::to_string(i));
        if (dims[i] != 0 && total > SIZE_MAX / dims[i]) r.fail("header", "dimensions too large");
        total *= dims[i];
    }
    std::string shape;
    for (std::size_t i = 0; i < rank; ++i) shape += (i ? " x " : "") + std::to_string(dims[i]);
    if (r.remaining() != total)
        r.fail("data", std::string(r.remaining() < total ? "truncated data" : "unexpected data size") + ": " + shape +
                           " bytes need " + std::to_string(total) + " bytes after the " + std::to_string(r.offset()) +
                           "-byte header, found " + std::to_string(r.remaining()));
    return dims;
}

inline std::vector<unsigned char> read_maybe_gzip(const std::filesystem::path& path) {
    std::vector<unsigned char> bytes = read_file(path, true);
    if (is_gzip(bytes)) return gunzip(bytes, path.string());
    return bytes;
}

} // namespace detail

namespace detail {

// The file's bytes become the pixels: the header is dropped in place, nothing is copied.
inline idx_images idx_images_from(std::vector<unsigned char> bytes, const std::string& path) {
    const auto dims = idx_header(bytes, 3, path, "unsigned-byte images: count x rows x cols");
    if (dims[1] == 0 || dims[2] == 0)
        throw io_error(path, "header", "image size " + std::to_string(dims[1]) + " x " + std::to_string(dims[2]) +
                                           ": rows and columns must be at least 1");
    bytes.erase(bytes.begin(), bytes.begin() + 16);
    return {dims[0], dims[1], dims[2], std::move(bytes)};
}

inline idx_labels idx_labels_from(std::vector<unsigned char> bytes, const std::string& path) {
    const auto dims = idx_header(bytes, 1, path, "unsigned-byte labels: count");
    bytes.erase(bytes.begin(), bytes.begin() + 8);
    return {dims[0], std::move(bytes)};
}

} // namespace detail

/// Parses IDX images (magic 0x00000803) held in `bytes`; `path` names them in errors.
inline idx_images decode_idx_images(std::span<const unsigned char> bytes, const std::string& path) {
    return detail::idx_images_from(std::vector<unsigned char>(bytes.begin(), bytes.end()), path);
}

/// Parses IDX labels (magic 0x00000801) held in `bytes`; `path` names them in errors.
inline idx_labels decode_idx_labels(std::span<const unsigned char> bytes, const std::string& path) {
    return detail::idx_labels_from(std::vector<unsigned char>(bytes.begin(), bytes.end()), path);
}

/// Reads an IDX images file (gzip'ed or not), e.g. train-images-idx3-ubyte.
inline idx_images read_idx_images(const std::filesystem::path& path) {
    return detail::idx_images_from(detail::read_maybe_gzip(path), path.string());
}

/// Reads an IDX labels file (gzip'ed or not), e.g. train-labels-idx1-ubyte. With `classes`
/// > 0, every label must be below it.
inline idx_labels read_idx_labels(const std::filesystem::path& path, std::size_t classes = 0) {
    idx_labels l = detail::idx_labels_from(detail::read_maybe_gzip(path), path.string());
    for (std::size_t i = 0; classes > 0 && i < l.count; ++i)
        if (l.labels[i] >= classes)
            throw io_error(path.string(), "label " + std::to_string(i),
                           "expected a class below " + std::to_string(classes) + ", found " + std::to_string(l.labels[i]));
    return l;
}

/// Reads images and labels and checks that they are as many.
inline idx_dataset read_idx_dataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                                    std::size_t classes = 0) {
    idx_dataset d{read_idx_images(images), read_idx_labels(labels, classes)};
    if (d.images.count != d.labels.count)
        throw io_error(labels.string(), "count",
                       "expected " + std::to_string(d.images.count) + " labels, one per image of '" + images.string() +
                           "', found " + std::to_string(d.labels.count));
    return d;
}

} // namespace ctnn
