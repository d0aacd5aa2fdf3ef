// DEFLATE decoding (RFC 1951: stored, fixed-Huffman and dynamic-Huffman blocks), and gzip
// members around it (RFC 1952), written from the RFCs. ZIP entries compressed by
// np.savez_compressed and gzip'ed IDX files go through here.
//
// Huffman decoding: codes of up to `fast_bits` bits are looked up in one table indexed by
// the next input bits (LSB first, as DEFLATE packs them); longer codes are walked bit by bit
// through the canonical code (RFC 1951 3.2.2), using the count of codes of each length.
// Every malformed input is an io_error; output never grows past the caller's limit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "binary.hpp"
#include "crc32.hpp"
#include "error.hpp"

namespace ctnn::detail {

struct huffman_table {
    static constexpr unsigned max_bits = 15;
    static constexpr unsigned fast_bits = 9;
    std::array<std::uint16_t, max_bits + 1> count{}; // number of codes of each length
    std::array<std::uint16_t, 288> symbol{};         // symbols in canonical code order
    std::array<std::uint16_t, 1u << fast_bits> fast{}; // (symbol << 4) | length; 0: walk the code
};

/// Builds the canonical code of `lengths` (0 = symbol unused). Returns nullptr, or what is
/// wrong. An incomplete code is accepted only with at most one symbol (RFC 1951 3.2.7: a
/// lone distance code), and only when `allow_single` is set.
inline const char* build_huffman(huffman_table& h, std::span<const std::uint8_t> lengths, bool allow_single) {
    h = huffman_table{};
    for (const std::uint8_t len : lengths) ++h.count[len];
    h.count[0] = 0;
    long left = 1;
    unsigned used = 0;
    for (unsigned len = 1; len <= huffman_table::max_bits; ++len) {
        left = left * 2 - h.count[len];
        if (left < 0) return "over-subscribed code lengths";
        used += h.count[len];
    }
    if (left > 0 && !(allow_single && used <= 1)) return "incomplete code lengths";

    std::array<std::uint16_t, huffman_table::max_bits + 2> offset{};
    for (unsigned len = 1; len <= huffman_table::max_bits; ++len)
        offset[len + 1] = static_cast<std::uint16_t>(offset[len] + h.count[len]);
    std::array<unsigned, huffman_table::max_bits + 1> next_code{};
    unsigned code = 0;
    for (unsigned len = 1; len <= huffman_table::max_bits; ++len) {
        code = (code + h.count[len - 1]) << 1;
        next_code[len] = code;
    }
    for (std::size_t s = 0; s < lengths.size(); ++s) {
        const unsigned len = lengths[s];
        if (len == 0) continue;
        h.symbol[offset[len]++] = static_cast<std::uint16_t>(s);
        const unsigned c = next_code[len]++;
        if (len > huffman_table::fast_bits) continue;
        unsigned reversed = 0;
        for (unsigned b = 0; b < len; ++b) reversed |= ((c >> b) & 1u) << (len - 1 - b);
        for (unsigned i = reversed; i < (1u << huffman_table::fast_bits); i += 1u << len)
            h.fast[i] = static_cast<std::uint16_t>((s << 4) | len);
    }
    return nullptr;
}

/// One DEFLATE stream from `in`, appended to `out`. `path` and `field` name the source in errors.
class inflater {
  public:
    inflater(std::span<const unsigned char> in, std::vector<unsigned char>& out, std::size_t limit,
             const std::string& path, const std::string& field)
        : in_(in), out_(out), base_(out.size()), limit_(limit), path_(path), field_(field) {}

    /// Decodes up to and including the final block; returns the input bytes it used.
    std::size_t run() {
        bool last = false;
        while (!last) {
            last = bits(1) != 0;
            switch (bits(2)) {
            case 0: stored_block(); break;
            case 1: coded_block(fixed_literals(), fixed_distances()); break;
            case 2: dynamic_block(); break;
            default: fail("invalid block type 3");
            }
        }
        return pos_ - bitcnt_ / 8;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw io_error(path_, field_, "corrupt deflate data: " + what);
    }
    [[noreturn]] void truncated() const {
        throw io_error(path_, field_, "truncated deflate data: the input ends inside a block (" +
                                          std::to_string(in_.size()) + " bytes)");
    }

    void refill() noexcept {
        while (bitcnt_ <= 56 && pos_ < in_.size()) {
            bitbuf_ |= std::uint64_t{in_[pos_++]} << bitcnt_;
            bitcnt_ += 8;
        }
    }
    unsigned bits(unsigned n) {
        if (bitcnt_ < n) {
            refill();
            if (bitcnt_ < n) truncated();
        }
        const auto v = static_cast<unsigned>(bitbuf_ & ((std::uint64_t{1} << n) - 1));
        bitbuf_ >>= n;
        bitcnt_ -= n;
        return v;
    }
    unsigned decode(const huffman_table& h) {
        if (bitcnt_ < huffman_table::max_bits) refill();
        const unsigned entry = h.fast[bitbuf_ & ((1u << huffman_table::fast_bits) - 1)];
        if (entry != 0) {
            const unsigned len = entry & 15u;
            if (len > bitcnt_) truncated();
            bitbuf_ >>= len;
            bitcnt_ -= len;
            return entry >> 4;
        }
        // Canonical walk: codes of one length are consecutive integers, `first` the lowest.
        long code = 0, first = 0, index = 0;
        for (unsigned len = 1; len <= huffman_table::max_bits; ++len) {
            code |= static_cast<long>(bits(1));
            const long count = h.count[len];
            if (code - first < count) return h.symbol[static_cast<std::size_t>(index + code - first)];
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        fail("invalid Huffman code");
    }

    void reserve_output(std::size_t n) const {
        if (limit_ - out_.size() < n)
            fail("the output exceeds the expected " + std::to_string(limit_ - base_) + " bytes");
    }

    void stored_block() {
        bits(bitcnt_ % 8); // to the byte boundary
        pos_ -= bitcnt_ / 8; // whole bytes read ahead go back to the input
        bitbuf_ = 0;
        bitcnt_ = 0;
        if (in_.size() - pos_ < 4) truncated();
        const auto len = load_le<std::uint16_t>(in_.data() + pos_);
        const auto nlen = load_le<std::uint16_t>(in_.data() + pos_ + 2);
        pos_ += 4;
        if (len != static_cast<std::uint16_t>(~nlen))
            fail("stored block length " + hex(len, 4) + " does not match its complement " + hex(nlen, 4));
        if (in_.size() - pos_ < len) truncated();
        reserve_output(len);
        out_.insert(out_.end(), in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                    in_.begin() + static_cast<std::ptrdiff_t>(pos_ + len));
        pos_ += len;
    }

    void coded_block(const huffman_table& literals, const huffman_table& distances) {
        static constexpr std::uint16_t length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                          31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
        static constexpr std::uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                          2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
        static constexpr std::uint16_t distance_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                                            33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                                            1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
        static constexpr std::uint8_t distance_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                            6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
        for (;;) {
            const unsigned symbol = decode(literals);
            if (symbol < 256) {
                reserve_output(1);
                out_.push_back(static_cast<unsigned char>(symbol));
                continue;
            }
            if (symbol == 256) return;
            if (symbol > 285) fail("invalid length symbol " + std::to_string(symbol));
            const std::size_t length = length_base[symbol - 257] + bits(length_extra[symbol - 257]);
            const unsigned dsym = decode(distances);
            if (dsym > 29) fail("invalid distance symbol " + std::to_string(dsym));
            const std::size_t distance = distance_base[dsym] + bits(distance_extra[dsym]);
            if (distance > out_.size() - base_)
                fail("distance " + std::to_string(distance) + " reaches before the start of the output (" +
                     std::to_string(out_.size() - base_) + " bytes so far)");
            reserve_output(length);
            const std::size_t from = out_.size() - distance;
            out_.resize(out_.size() + length);
            unsigned char* o = out_.data();
            const std::size_t to = out_.size() - length;
            for (std::size_t i = 0; i < length; ++i) o[to + i] = o[from + i]; // may overlap: byte by byte
        }
    }

    void dynamic_block() {
        const unsigned hlit = bits(5) + 257, hdist = bits(5) + 1, hclen = bits(4) + 4;
        if (hlit > 286 || hdist > 30)
            fail(std::to_string(hlit) + " literal/length and " + std::to_string(hdist) +
                 " distance codes (at most 286 and 30)");
        static constexpr std::uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
        std::array<std::uint8_t, 19> code_lengths{};
        for (unsigned i = 0; i < hclen; ++i) code_lengths[order[i]] = static_cast<std::uint8_t>(bits(3));
        huffman_table lengths_code;
        if (const char* e = build_huffman(lengths_code, code_lengths, false)) fail(std::string("code length code: ") + e);

        std::array<std::uint8_t, 286 + 30> lengths{};
        const unsigned total = hlit + hdist;
        unsigned i = 0;
        while (i < total) {
            const unsigned symbol = decode(lengths_code);
            if (symbol < 16) {
                lengths[i++] = static_cast<std::uint8_t>(symbol);
                continue;
            }
            std::uint8_t value = 0;
            unsigned repeat = 0;
            if (symbol == 16) {
                if (i == 0) fail("code length repeat with no previous length");
                value = lengths[i - 1];
                repeat = 3 + bits(2);
            } else if (symbol == 17) {
                repeat = 3 + bits(3);
            } else {
                repeat = 11 + bits(7);
            }
            if (repeat > total - i) fail("code length repeat runs past the " + std::to_string(total) + " lengths");
            for (unsigned k = 0; k < repeat; ++k) lengths[i++] = value;
        }
        if (lengths[256] == 0) fail("the block has no end-of-block code");
        if (const char* e = build_huffman(literals_, std::span(lengths.data(), hlit), true))
            fail(std::string("literal/length code: ") + e);
        if (const char* e = build_huffman(distances_, std::span(lengths.data() + hlit, hdist), true))
            fail(std::string("distance code: ") + e);
        coded_block(literals_, distances_);
    }

    static const huffman_table& fixed_literals() {
        static const huffman_table table = [] {
            std::array<std::uint8_t, 288> len{};
            for (std::size_t s = 0; s < 288; ++s) len[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
            huffman_table t;
            build_huffman(t, len, false);
            return t;
        }();
        return table;
    }
    static const huffman_table& fixed_distances() {
        static const huffman_table table = [] {
            std::array<std::uint8_t, 32> len{};
            len.fill(5); // 30 and 31 are codes that never occur in valid data
            huffman_table t;
            build_huffman(t, len, false);
            return t;
        }();
        return table;
    }

    std::span<const unsigned char> in_;
    std::vector<unsigned char>& out_;
    std::size_t base_, limit_;
    const std::string& path_;
    const std::string& field_;
    std::size_t pos_ = 0;
    std::uint64_t bitbuf_ = 0;
    unsigned bitcnt_ = 0;
    huffman_table literals_, distances_;
};

/// Decodes one raw DEFLATE stream into exactly `expected` bytes (a ZIP entry's size).
inline std::vector<unsigned char> inflate_exact(std::span<const unsigned char> in, std::size_t expected,
                                                const std::string& path, const std::string& field) {
    std::vector<unsigned char> out;
    out.reserve(expected);
    inflater(in, out, expected, path, field).run();
    if (out.size() != expected)
        throw io_error(path, field, "deflate data gives " + std::to_string(out.size()) + " bytes, expected " +
                                        std::to_string(expected));
    return out;
}

/// True when `data` starts as a gzip file does.
inline bool is_gzip(std::span<const unsigned char> data) noexcept {
    return data.size() >= 2 && data[0] == 0x1F && data[1] == 0x8B;
}

/// The content of a gzip file (one member or several, concatenated); checks each member's
/// CRC-32 and length.
inline std::vector<unsigned char> gunzip(std::span<const unsigned char> in, const std::string& path) {
    std::vector<unsigned char> out;
    if (in.size() >= 18) { // the last member's size (mod 2^32): the whole size for one member
        const std::size_t last = load_le<std::uint32_t>(in.data() + in.size() - 4);
        if (last / 1032 <= in.size()) out.reserve(last);
    }
    std::size_t pos = 0;
    do {
        byte_reader r(in.subspan(pos), path);
        const std::uint8_t id1 = r.u8("gzip magic"), id2 = r.u8("gzip magic");
        if (id1 != 0x1F || id2 != 0x8B)
            r.fail("gzip magic", "expected 0x1F8B, found " + hex(static_cast<unsigned>(id1 << 8 | id2), 4));
        if (const std::uint8_t method = r.u8("gzip method"); method != 8)
            r.fail("gzip method", "expected 8 (deflate), found " + std::to_string(method));
        const std::uint8_t flags = r.u8("gzip flags");
        if ((flags & 0xE0) != 0) r.fail("gzip flags", "reserved bits set: " + hex(flags, 2));
        r.bytes(6, "gzip header"); // mtime, extra flags, OS
        if ((flags & 4) != 0) r.bytes(r.u16_le("gzip extra field length"), "gzip extra field");
        if ((flags & 8) != 0)
            while (r.u8("gzip file name") != 0) {}
        if ((flags & 16) != 0)
            while (r.u8("gzip comment") != 0) {}
        if ((flags & 2) != 0) {
            const auto expected = static_cast<std::uint16_t>(crc32(in.subspan(pos, r.offset())));
            if (const std::uint16_t stored = r.u16_le("gzip header CRC"); stored != expected)
                r.fail("gzip header CRC", "expected " + hex(expected, 4) + ", found " + hex(stored, 4));
        }
        const std::size_t start = out.size();
        const std::size_t used = inflater(in.subspan(pos + r.offset()), out, std::numeric_limits<std::size_t>::max(),
                                          path, "gzip data")
                                     .run();
        r.bytes(used, "gzip data");
        const std::uint32_t crc = r.u32_le("gzip CRC32"), size = r.u32_le("gzip size");
        const std::uint32_t actual_crc = crc32(std::span(out).subspan(start));
        if (crc != actual_crc)
            r.fail("gzip CRC32", "the data gives " + hex(actual_crc) + ", the trailer says " + hex(crc));
        if (size != static_cast<std::uint32_t>(out.size() - start))
            r.fail("gzip size", "the data has " + std::to_string(out.size() - start) + " bytes, the trailer says " +
                                    std::to_string(size) + " (mod 2^32)");
        pos += r.offset();
    } while (pos < in.size());
    return out;
}

} // namespace ctnn::detail
