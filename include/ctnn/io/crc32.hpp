// CRC-32 as zlib, gzip, ZIP and PNG compute it (IEEE 802.3, reflected polynomial
// 0xEDB88320, initial and final XOR 0xFFFFFFFF): crc32("123456789") == 0xCBF43926.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ctnn::detail {

inline constexpr std::array<std::uint32_t, 256> crc32_table = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int k = 0; k < 8; ++k) c = (c & 1u) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    return table;
}();

/// Continues a CRC: crc32(b, crc32(a)) == crc32(a followed by b); crc32({}) == 0.
constexpr std::uint32_t crc32(std::span<const unsigned char> data, std::uint32_t crc = 0) noexcept {
    crc = ~crc;
    for (const unsigned char b : data) crc = crc32_table[(crc ^ b) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

} // namespace ctnn::detail
