// NumPy .npy arrays (format versions 1.0, 2.0 and 3.0; NEPS "npy-format").
//
// Reading takes C-order arrays of float32, float64, int8, uint8, int32 or int64, little- or
// big-endian; a Fortran-order array, another dtype or a structured dtype is refused with
// the reason. In memory an npy_array keeps its elements as little-endian bytes in C order.
// Writing produces what numpy.save does: a version 1.0 header (2.0 when the header exceeds
// 65535 bytes) padded with spaces so the data starts at a multiple of 64 bytes.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "binary.hpp"
#include "error.hpp"

namespace ctnn {

/// Element types of .npy arrays that ctnn reads and writes.
enum class npy_dtype : std::uint8_t { float32, float64, int8, uint8, int32, int64 };

/// numpy's name of the type, as in its descr: "<f4", "<f8", "|i1", "|u1", "<i4", "<i8".
constexpr std::string_view npy_descr(npy_dtype t) noexcept {
    switch (t) {
    case npy_dtype::float32: return "<f4";
    case npy_dtype::float64: return "<f8";
    case npy_dtype::int8: return "|i1";
    case npy_dtype::uint8: return "|u1";
    case npy_dtype::int32: return "<i4";
    case npy_dtype::int64: return "<i8";
    }
    return "?";
}

constexpr std::size_t npy_itemsize(npy_dtype t) noexcept {
    switch (t) {
    case npy_dtype::int8:
    case npy_dtype::uint8: return 1;
    case npy_dtype::float32:
    case npy_dtype::int32: return 4;
    case npy_dtype::float64:
    case npy_dtype::int64: return 8;
    }
    return 0;
}

/// The npy_dtype of a C++ type (float, double, int8_t, uint8_t, int32_t, int64_t).
template <class T>
constexpr npy_dtype npy_dtype_of() noexcept {
    if constexpr (std::is_same_v<T, float>) return npy_dtype::float32;
    else if constexpr (std::is_same_v<T, double>) return npy_dtype::float64;
    else if constexpr (std::is_same_v<T, std::int8_t>) return npy_dtype::int8;
    else if constexpr (std::is_same_v<T, std::uint8_t>) return npy_dtype::uint8;
    else if constexpr (std::is_same_v<T, std::int32_t>) return npy_dtype::int32;
    else if constexpr (std::is_same_v<T, std::int64_t>) return npy_dtype::int64;
    else static_assert(sizeof(T) == 0, "ctnn npy: the element type must be float, double, int8_t, uint8_t, "
                                       "int32_t or int64_t");
}

/// One array: dtype, shape, and its elements as little-endian bytes in C order.
struct npy_array {
    npy_dtype dtype = npy_dtype::float32;
    std::vector<std::size_t> shape;
    std::vector<unsigned char> data;

    /// Number of elements (1 for shape ()).
    std::size_t size() const noexcept {
        std::size_t n = 1;
        for (const std::size_t d : shape) n *= d;
        return n;
    }

    /// The elements as T. Any dtype converts to float or double; only integer dtypes convert
    /// to an integer type. A value that T cannot hold (a float64 beyond float's range, an
    /// int64 beyond int32's) throws std::range_error; a float array read as integers throws
    /// std::invalid_argument.
    template <class T>
    std::vector<T> values() const {
        static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>,
                      "ctnn::npy_array::values<T>: T must be a floating-point or integer type");
        std::vector<T> out(data.size() / npy_itemsize(dtype));
        switch (dtype) {
        case npy_dtype::float32: convert<float>(out); break;
        case npy_dtype::float64: convert<double>(out); break;
        case npy_dtype::int8: convert<std::int8_t>(out); break;
        case npy_dtype::uint8: convert<std::uint8_t>(out); break;
        case npy_dtype::int32: convert<std::int32_t>(out); break;
        case npy_dtype::int64: convert<std::int64_t>(out); break;
        }
        return out;
    }

    /// An array holding `values` with `shape`; their sizes must agree.
    template <class T>
    static npy_array from(std::span<const T> values, std::vector<std::size_t> shape) {
        npy_array a{npy_dtype_of<T>(), std::move(shape), {}};
        if (a.size() != values.size())
            throw std::invalid_argument("ctnn::npy_array::from: shape " + detail::shape_string(a.shape) + " holds " +
                                        std::to_string(a.size()) + " elements, given " + std::to_string(values.size()));
        detail::append_le_values(a.data, values);
        return a;
    }

  private:
    template <class Stored, class T>
    void convert(std::vector<T>& out) const {
        for (std::size_t i = 0; i < out.size(); ++i) {
            Stored v;
            detail::load_le_values(data.data() + i * sizeof(Stored), &v, 1);
            if constexpr (std::is_floating_point_v<T>) {
                if constexpr (std::is_floating_point_v<Stored> && sizeof(Stored) > sizeof(T)) {
                    if (std::isfinite(v) && (v > std::numeric_limits<T>::max() || v < std::numeric_limits<T>::lowest()))
                        throw std::range_error("element " + std::to_string(i) + " (" + std::to_string(v) +
                                               ") is beyond the range of float");
                }
                out[i] = static_cast<T>(v);
            } else if constexpr (std::is_floating_point_v<Stored>) {
                throw std::invalid_argument("a floating-point array ('" + std::string(npy_descr(dtype)) +
                                            "') read as integers; read it as float or double");
            } else {
                if (!std::in_range<T>(v))
                    throw std::range_error("element " + std::to_string(i) + " (" + std::to_string(v) +
                                           ") is beyond the range of the integer type asked for");
                out[i] = static_cast<T>(v);
            }
        }
    }
};

namespace detail {

inline constexpr unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/// The header dict, a Python literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class npy_header_parser {
  public:
    npy_header_parser(std::string_view text, const std::string& path, const std::string& field)
        : s_(text), path_(path), field_(field) {}

    void parse(std::string& descr, bool& fortran_order, std::vector<std::size_t>& shape) {
        bool seen_descr = false, seen_order = false, seen_shape = false;
        expect('{');
        for (;;) {
            skip_space();
            if (peek() == '}') break;
            const std::string key = string_literal();
            expect(':');
            skip_space();
            if (key == "descr") {
                if (peek() == '[') fail("descr is a structured dtype (a list of fields); only plain numbers are supported");
                descr = string_literal();
                seen_descr = true;
            } else if (key == "fortran_order") {
                fortran_order = boolean();
                seen_order = true;
            } else if (key == "shape") {
                shape = tuple();
                seen_shape = true;
            } else {
                fail("unexpected key '" + key + "'");
            }
            skip_space();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            if (peek() != '}') fail("expected ',' or '}'");
        }
        ++i_;
        skip_space();
        if (i_ != s_.size()) fail("unexpected text after the closing '}'");
        if (!seen_descr || !seen_order || !seen_shape)
            fail(std::string("missing key '") + (!seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape") + "'");
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw io_error(path_, field_, what + " at position " + std::to_string(i_) + " of the header " + quoted());
    }
    std::string quoted() const {
        std::string q = "\"";
        for (const char c : s_.substr(0, 200)) q += (c == '\n' ? ' ' : c);
        return q + (s_.size() > 200 ? "...\"" : "\"");
    }
    char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
    void skip_space() noexcept {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
    }
    void expect(char c) {
        skip_space();
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++i_;
    }
    std::string string_literal() {
        skip_space();
        const char quote = peek();
        if (quote != '\'' && quote != '"') fail("expected a string");
        const std::size_t start = ++i_;
        while (i_ < s_.size() && s_[i_] != quote) ++i_;
        if (i_ == s_.size()) fail("unterminated string");
        return std::string(s_.substr(start, i_++ - start));
    }
    bool boolean() {
        if (s_.substr(i_, 4) == "True") {
            i_ += 4;
            return true;
        }
        if (s_.substr(i_, 5) == "False") {
            i_ += 5;
            return false;
        }
        fail("expected True or False");
    }
    std::vector<std::size_t> tuple() {
        std::vector<std::size_t> dims;
        expect('(');
        for (;;) {
            skip_space();
            if (peek() == ')') break;
            if (peek() < '0' || peek() > '9') fail("expected a dimension (a non-negative integer)");
            std::size_t v = 0;
            while (peek() >= '0' && peek() <= '9') {
                const auto digit = static_cast<std::size_t>(peek() - '0');
                if (v > (SIZE_MAX - digit) / 10) fail("dimension too large");
                v = v * 10 + digit;
                ++i_;
            }
            if (peek() == 'L') ++i_; // Python 2 long
            dims.push_back(v);
            skip_space();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            if (peek() != ')') fail("expected ',' or ')'");
        }
        ++i_;
        return dims;
    }

    std::string_view s_;
    const std::string& path_;
    const std::string& field_;
    std::size_t i_ = 0;
};

} // namespace detail

/// Parses a whole .npy file held in `bytes`. `path` and `field` name it in errors.
inline npy_array decode_npy(std::span<const unsigned char> bytes, const std::string& path,
                            const std::string& field = "npy") {
    detail::byte_reader r(bytes, path);
    const auto magic = r.bytes(6, field + " magic");
    if (!std::equal(magic.begin(), magic.end(), detail::npy_magic))
        r.fail(field + " magic", "expected \"\\x93NUMPY\": not a .npy file");
    const std::uint8_t major = r.u8(field + " version"), minor = r.u8(field + " version");
    if (major < 1 || major > 3 || minor != 0)
        r.fail(field + " version", "expected 1.0, 2.0 or 3.0, found " + std::to_string(major) + "." + std::to_string(minor));
    const std::size_t header_len = major == 1 ? r.u16_le(field + " header length") : r.u32_le(field + " header length");
    const auto header = r.bytes(header_len, field + " header");
    std::string descr;
    bool fortran_order = false;
    npy_array a;
    detail::npy_header_parser(std::string_view(reinterpret_cast<const char*>(header.data()), header.size()), path,
                              field + " header")
        .parse(descr, fortran_order, a.shape);
    if (fortran_order)
        r.fail(field + " header", "fortran_order is True: column-major arrays are not supported (expected False); "
                                  "save np.ascontiguousarray(a) instead");

    const std::string_view codes[] = {"f4", "f8", "i1", "u1", "i4", "i8"};
    constexpr npy_dtype types[] = {npy_dtype::float32, npy_dtype::float64, npy_dtype::int8,
                                   npy_dtype::uint8,   npy_dtype::int32,   npy_dtype::int64};
    bool known = false;
    for (std::size_t k = 0; k < 6; ++k) {
        if (descr.size() == 3 && descr.substr(1) == codes[k]) {
            a.dtype = types[k];
            known = true;
        }
    }
    const char order = descr.empty() ? '?' : descr[0];
    const bool one_byte = known && npy_itemsize(a.dtype) == 1;
    if (!known || !(order == '<' || order == '>' || order == '=' || (order == '|' && one_byte)))
        r.fail(field + " dtype", "'" + descr + "' is not supported; expected one of '<f4', '<f8', '|i1', '|u1', "
                                              "'<i4', '<i8' (or big-endian '>')");

    std::size_t count = 1;
    for (const std::size_t d : a.shape) {
        if (d != 0 && count > SIZE_MAX / d) r.fail(field + " shape", detail::shape_string(a.shape) + " is too large");
        count *= d;
    }
    const std::size_t itemsize = npy_itemsize(a.dtype);
    if (count > SIZE_MAX / itemsize) r.fail(field + " shape", detail::shape_string(a.shape) + " is too large");
    if (r.remaining() != count * itemsize)
        r.fail(field + " data", (r.remaining() < count * itemsize ? "truncated file: " : "") +
                                    std::string("shape ") + detail::shape_string(a.shape) + " of '" + descr + "' needs " +
                                    std::to_string(count * itemsize) + " bytes after the " +
                                    std::to_string(r.offset()) + "-byte header, found " + std::to_string(r.remaining()));
    const auto data = r.bytes(count * itemsize, field + " data");
    a.data.assign(data.begin(), data.end());
    const bool big = order == '>' || (order == '=' && std::endian::native == std::endian::big);
    if (big && itemsize > 1)
        for (std::size_t i = 0; i < count; ++i)
            std::reverse(a.data.begin() + static_cast<std::ptrdiff_t>(i * itemsize),
                         a.data.begin() + static_cast<std::ptrdiff_t>((i + 1) * itemsize));
    return a;
}

/// The bytes of a .npy file holding `a`, as numpy.save writes them.
inline std::vector<unsigned char> encode_npy(const npy_array& a) {
    if (a.data.size() != a.size() * npy_itemsize(a.dtype))
        throw std::invalid_argument("ctnn::encode_npy: shape " + detail::shape_string(a.shape) + " of '" +
                                    std::string(npy_descr(a.dtype)) + "' needs " +
                                    std::to_string(a.size() * npy_itemsize(a.dtype)) + " bytes, the array holds " +
                                    std::to_string(a.data.size()));
    std::string header = "{'descr': '" + std::string(npy_descr(a.dtype)) +
                         "', 'fortran_order': False, 'shape': " + detail::shape_string(a.shape) + ", }";
    const auto padded = [&](std::size_t prefix) {
        return header.size() + 1 + (64 - (prefix + header.size() + 1) % 64) % 64;
    };
    const bool v2 = padded(10) > 0xFFFF;
    const std::size_t prefix = v2 ? 12 : 10;
    header.append(padded(prefix) - header.size() - 1, ' ');
    header += '\n';
    std::vector<unsigned char> out(std::begin(detail::npy_magic), std::end(detail::npy_magic));
    out.push_back(v2 ? 2 : 1);
    out.push_back(0);
    if (v2)
        detail::append_le<std::uint32_t>(out, static_cast<std::uint32_t>(header.size()));
    else
        detail::append_le<std::uint16_t>(out, static_cast<std::uint16_t>(header.size()));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), a.data.begin(), a.data.end());
    return out;
}

/// Reads a .npy file.
inline npy_array read_npy(const std::filesystem::path& path) {
    const std::vector<unsigned char> bytes = detail::read_file(path);
    return decode_npy(bytes, path.string());
}

/// Writes a .npy file atomically (the old file survives a failed write).
inline void write_npy(const std::filesystem::path& path, const npy_array& a) {
    detail::write_file_atomically(path, encode_npy(a));
}

} // namespace ctnn
