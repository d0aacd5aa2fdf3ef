// CRC-32 as zlib, gzip, ZIP and PNG compute it (IEEE 802.3, reflected polynomial
// 0xEDB88320, initial and final XOR 0xFFFFFFFF): crc32("123456789") == 0xCBF43926.
// Eight bytes per step through eight tables ("slicing by 8"), then byte by byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ctnn::detail {

/// crc32_tables[0] is the classic byte table; table k advances a byte through k more zero bytes.
inline constexpr std::array<std::array<std::uint32_t, 256>, 8> crc32_tables = [] {
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][n] = c;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t n = 0; n < 256; ++n) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFFu];
    return t;
}();

/// Continues a CRC: crc32(b, crc32(a)) == crc32(a followed by b); crc32({}) == 0.
constexpr std::uint32_t crc32(std::span<const unsigned char> data, std::uint32_t crc = 0) noexcept {
    const auto& t = crc32_tables;
    crc = ~crc;
    std::size_t i = 0;
    for (; i + 8 <= data.size(); i += 8) {
        const std::uint32_t lo = crc ^ (std::uint32_t{data[i]} | std::uint32_t{data[i + 1]} << 8 |
                                        std::uint32_t{data[i + 2]} << 16 | std::uint32_t{data[i + 3]} << 24);
        crc = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^
              t[3][data[i + 4]] ^ t[2][data[i + 5]] ^ t[1][data[i + 6]] ^ t[0][data[i + 7]];
    }
    for (; i < data.size(); ++i) crc = t[0][(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

} // namespace ctnn::detail
