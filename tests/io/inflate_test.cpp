// CRC-32, DEFLATE decoding and gzip: zlib-made streams of every block type (data/deflate/),
// hand-built streams for exact cases and for each kind of corrupt input.
#include <ctnn/io/crc32.hpp>
#include <ctnn/io/inflate.hpp>

#include "io_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace ctnn::io_test;
using bytes = std::vector<unsigned char>;

bytes of(const std::string& s) { return bytes(s.begin(), s.end()); }

static_assert(ctnn::detail::crc32(std::span<const unsigned char>{}) == 0);

TEST(Crc32, MatchesZlib) {
    EXPECT_EQ(ctnn::detail::crc32(of("123456789")), 0xCBF43926u);
    EXPECT_EQ(ctnn::detail::crc32(of("The quick brown fox jumps over the lazy dog")), 0x414FA339u);
    const bytes a = of("ctnn "), b = of("checkpoints");
    bytes ab = a;
    ab.insert(ab.end(), b.begin(), b.end());
    EXPECT_EQ(ctnn::detail::crc32(b, ctnn::detail::crc32(a)), ctnn::detail::crc32(ab));
}

struct vector_case {
    std::string name;
    std::size_t size;
    std::uint32_t crc;
};

std::vector<vector_case> manifest() {
    std::ifstream in(data_dir / "deflate" / "manifest.txt");
    std::vector<vector_case> cases;
    std::string name, crc;
    std::size_t size = 0;
    while (in >> name >> size >> crc) cases.push_back({name, size, static_cast<std::uint32_t>(std::stoul(crc, nullptr, 16))});
    return cases;
}

bytes stream_of(const std::string& name) { return read_bytes(data_dir / "deflate" / (name + ".deflate")); }

bytes inflate(const bytes& stream, std::size_t expected) {
    return ctnn::detail::inflate_exact(stream, expected, "test.deflate", "data");
}

TEST(Inflate, ZlibStreamsOfEveryBlockType) {
    const auto cases = manifest();
    ASSERT_EQ(cases.size(), 9u) << "data/deflate/manifest.txt is missing or incomplete";
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const bytes out = inflate(stream_of(c.name), c.size);
        EXPECT_EQ(out.size(), c.size);
        EXPECT_EQ(ctnn::detail::crc32(out), c.crc);
    }
}

TEST(Inflate, OutputMustHaveTheExpectedSize) {
    const auto c = manifest().at(3);
    expect_io_error([&] { inflate(stream_of(c.name), c.size - 1); }, "data", {"exceeds the expected"});
    expect_io_error([&] { inflate(stream_of(c.name), c.size + 1); }, "data", {"expected " + std::to_string(c.size + 1)});
}

/// DEFLATE's bit order: fields LSB first, Huffman codes MSB first.
struct bit_writer {
    bytes out;
    unsigned used = 8;
    void bit(unsigned b) {
        if (used == 8) {
            out.push_back(0);
            used = 0;
        }
        out.back() = static_cast<unsigned char>(out.back() | (b << used++));
    }
    void bits(unsigned v, unsigned n) {
        for (unsigned i = 0; i < n; ++i) bit((v >> i) & 1u);
    }
    void code(unsigned c, unsigned n) {
        for (unsigned i = n; i-- > 0;) bit((c >> i) & 1u);
    }
    /// A symbol of the fixed literal/length code (RFC 1951 3.2.6).
    void fixed(unsigned sym) {
        if (sym < 144) code(0x30 + sym, 8);
        else if (sym < 256) code(0x190 + sym - 144, 9);
        else if (sym < 280) code(sym - 256, 7);
        else code(0xC0 + sym - 280, 8);
    }
};

TEST(Inflate, StoredBlocksOfAnyLength) {
    bytes data(70000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 7 + i / 251);
    bytes stream;
    const auto block = [&](std::size_t from, std::size_t len, bool last) {
        stream.push_back(last ? 1 : 0); // BFINAL, BTYPE 00, then padding to the byte
        stream.push_back(static_cast<unsigned char>(len));
        stream.push_back(static_cast<unsigned char>(len >> 8));
        stream.push_back(static_cast<unsigned char>(~len));
        stream.push_back(static_cast<unsigned char>(~len >> 8));
        stream.insert(stream.end(), data.begin() + static_cast<long>(from), data.begin() + static_cast<long>(from + len));
    };
    block(0, 0, false);
    block(0, 65535, false);
    block(65535, data.size() - 65535, true);
    EXPECT_EQ(inflate(stream, data.size()), data);

    stream[3] ^= 1; // NLEN of the first block
    expect_io_error([&] { inflate(stream, data.size()); }, "data", {"does not match its complement"});
}

TEST(Inflate, FixedHuffmanLiteralsAndOverlappingMatches) {
    bit_writer w;
    w.bits(1, 1); // final
    w.bits(1, 2); // fixed
    w.fixed('a');
    w.fixed('b');
    w.fixed(265); // length 11 + 1 extra bit
    w.bits(1, 1); // -> 12
    w.code(1, 5); // distance code 1: distance 2
    w.fixed(256);
    EXPECT_EQ(inflate(w.out, 14), of("ababababababab"));
}

TEST(Inflate, RefusesDistancesBeforeTheStart) {
    bit_writer w;
    w.bits(1, 1);
    w.bits(1, 2);
    w.fixed('a');
    w.fixed(257); // length 3
    w.code(1, 5); // distance 2, but only 1 byte exists
    w.fixed(256);
    expect_io_error([&] { inflate(w.out, 4); }, "data", {"distance 2 reaches before the start"});
}

TEST(Inflate, RefusesInvalidSymbols) {
    bit_writer len;
    len.bits(1, 1);
    len.bits(1, 2);
    len.fixed(286);
    expect_io_error([&] { inflate(len.out, 10); }, "data", {"invalid length symbol 286"});

    bit_writer dist;
    dist.bits(1, 1);
    dist.bits(1, 2);
    dist.fixed('x');
    dist.fixed(257);
    dist.code(30, 5);
    expect_io_error([&] { inflate(dist.out, 10); }, "data", {"invalid distance symbol 30"});

    expect_io_error([&] { inflate(bytes{0x07}, 10); }, "data", {"invalid block type 3"});
}

/// Dynamic block header with HLIT = 257, HDIST = 1 and a code length code that gives
/// symbols 16, 17, 18 and 0 two bits each (canonical codes: 0 -> 00, 16 -> 01, 17 -> 10, 18 -> 11).
bit_writer dynamic_header(unsigned hlit = 257) {
    bit_writer w;
    w.bits(1, 1);
    w.bits(2, 2);
    w.bits(hlit - 257, 5);
    w.bits(0, 5); // HDIST 1
    w.bits(0, 4); // HCLEN 4: lengths for 16, 17, 18, 0
    for (int i = 0; i < 4; ++i) w.bits(2, 3);
    return w;
}

TEST(Inflate, RefusesBadDynamicHeaders) {
    expect_io_error([&] { inflate(dynamic_header(287).out, 10); }, "data", {"287 literal/length"});

    bit_writer repeat = dynamic_header();
    repeat.code(1, 2); // 16: repeat the previous length, but there is none
    repeat.bits(0, 2);
    expect_io_error([&] { inflate(repeat.out, 10); }, "data", {"no previous length"});

    bit_writer no_end = dynamic_header();
    no_end.code(3, 2); // 18: 11 + 127 zeros
    no_end.bits(127, 7);
    no_end.code(3, 2); // 18: 11 + 109 zeros: 258 lengths, all zero
    no_end.bits(109, 7);
    expect_io_error([&] { inflate(no_end.out, 10); }, "data", {"no end-of-block code"});

    bit_writer overflow = dynamic_header();
    overflow.code(3, 2);
    overflow.bits(127, 7);
    overflow.code(3, 2);
    overflow.bits(127, 7); // 276 > 258
    expect_io_error([&] { inflate(overflow.out, 10); }, "data", {"runs past the 258 lengths"});

    bit_writer oversubscribed;
    oversubscribed.bits(1, 1);
    oversubscribed.bits(2, 2);
    oversubscribed.bits(0, 5);
    oversubscribed.bits(0, 5);
    oversubscribed.bits(0, 4);
    for (int i = 0; i < 4; ++i) oversubscribed.bits(1, 3); // four codes of one bit
    expect_io_error([&] { inflate(oversubscribed.out, 10); }, "data", {"code length code: over-subscribed"});

    bit_writer incomplete;
    incomplete.bits(1, 1);
    incomplete.bits(2, 2);
    incomplete.bits(0, 14); // HLIT, HDIST, HCLEN: every code length code length 0
    incomplete.bits(0, 12);
    expect_io_error([&] { inflate(incomplete.out, 10); }, "data", {"code length code: incomplete"});
}

TEST(Inflate, EveryTruncationIsAnError) {
    for (const char* name : {"fixed_short", "rle", "dynamic_many_blocks"}) {
        SCOPED_TRACE(name);
        const bytes full = stream_of(name);
        const auto c = [&] {
            for (const auto& m : manifest())
                if (m.name == name) return m;
            return vector_case{};
        }();
        for (std::size_t cut = 0; cut < full.size(); cut += (cut < 64 ? 1 : 97)) {
            SCOPED_TRACE(cut);
            const bytes part(full.begin(), full.begin() + static_cast<long>(cut));
            expect_io_error([&] { inflate(part, c.size); }, "data");
        }
    }
}

TEST(Inflate, FlippedBitsGiveAnErrorOrBoundedOutput) {
    const auto c = manifest().at(4); // dynamic_many_blocks
    const bytes good = stream_of(c.name);
    std::size_t errors = 0;
    for (std::size_t i = 0; i < good.size(); i += 13) {
        for (unsigned bit : {0u, 5u}) {
            bytes bad = good;
            bad[i] = static_cast<unsigned char>(bad[i] ^ (1u << bit));
            try {
                EXPECT_EQ(inflate(bad, c.size).size(), c.size);
            } catch (const ctnn::io_error&) {
                ++errors;
            }
        }
    }
    EXPECT_GT(errors, 0u);
}

bytes gzip_member(const std::string& vector, std::size_t size, unsigned char flags = 0x08) {
    bytes g = {0x1F, 0x8B, 8, flags, 0, 0, 0, 0, 0, 3};
    if (flags & 0x08) {
        const bytes name = of("file.idx");
        g.insert(g.end(), name.begin(), name.end());
        g.push_back(0);
    }
    if (flags & 0x02) {
        const auto crc = ctnn::detail::crc32(g);
        g.push_back(static_cast<unsigned char>(crc));
        g.push_back(static_cast<unsigned char>(crc >> 8));
    }
    const bytes stream = stream_of(vector);
    g.insert(g.end(), stream.begin(), stream.end());
    const bytes data = inflate(stream, size);
    ctnn::detail::append_le<std::uint32_t>(g, ctnn::detail::crc32(data));
    ctnn::detail::append_le<std::uint32_t>(g, static_cast<std::uint32_t>(size));
    return g;
}

TEST(Gunzip, MembersWithNamesAndHeaderCrcs) {
    const auto cases = manifest();
    const auto& a = cases.at(3);
    const auto& b = cases.at(6);
    bytes expected = inflate(stream_of(a.name), a.size);
    const bytes second = inflate(stream_of(b.name), b.size);
    expected.insert(expected.end(), second.begin(), second.end());

    bytes file = gzip_member(a.name, a.size);
    const bytes more = gzip_member(b.name, b.size, 0x0A);
    file.insert(file.end(), more.begin(), more.end());
    EXPECT_EQ(ctnn::detail::gunzip(file, "x.gz"), expected);
}

TEST(Gunzip, RefusesBadTrailersAndHeaders) {
    const auto c = manifest().at(3);
    const bytes good = gzip_member(c.name, c.size, 0x0A);
    bytes bad_crc = good;
    bad_crc[bad_crc.size() - 8] ^= 1;
    expect_io_error([&] { ctnn::detail::gunzip(bad_crc, "x.gz"); }, "gzip CRC32");
    bytes bad_size = good;
    bad_size[bad_size.size() - 1] ^= 1;
    expect_io_error([&] { ctnn::detail::gunzip(bad_size, "x.gz"); }, "gzip size");
    bytes bad_header_crc = good;
    bad_header_crc[12] ^= 1; // inside the file name, covered by FHCRC
    expect_io_error([&] { ctnn::detail::gunzip(bad_header_crc, "x.gz"); }, "gzip header CRC");
    bytes garbage = good;
    garbage.push_back(0x42);
    expect_io_error([&] { ctnn::detail::gunzip(garbage, "x.gz"); }, "gzip magic");
    const bytes cut(good.begin(), good.end() - 3);
    expect_io_error([&] { ctnn::detail::gunzip(cut, "x.gz"); }, "gzip size", {"truncated"});
}

} // namespace
