// ZIP archives as NumPy's .npz uses them (PKWARE APPNOTE 6.3): reading finds the end of
// central directory record (ZIP64 too), walks the central directory, and returns each entry
// stored (method 0) or deflated (method 8), checked against its CRC-32 and size. Writing
// stores entries uncompressed with fixed timestamps (1980-01-01), so equal input gives
// equal bytes; archives past 4 GiB or 65535 entries are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "binary.hpp"
#include "crc32.hpp"
#include "error.hpp"
#include "inflate.hpp"

namespace ctnn::detail {

struct zip_entry {
    std::string name;
    std::vector<unsigned char> data;
};

inline constexpr std::uint32_t zip_local_signature = 0x04034B50, zip_central_signature = 0x02014B50,
                               zip_end_signature = 0x06054B50, zip64_end_signature = 0x06064B50,
                               zip64_locator_signature = 0x07064B50;

/// Every entry of the archive `file` (read from `path`), in central directory order.
inline std::vector<zip_entry> read_zip(std::span<const unsigned char> file, const std::string& path) {
    const std::size_t n = file.size();
    // The end record is the last 22 bytes, unless a comment of up to 65535 bytes follows it.
    std::size_t end = n;
    for (std::size_t back = 22; back <= n && back <= 22 + 0xFFFF; ++back) {
        const std::size_t at = n - back;
        if (load_le<std::uint32_t>(file.data() + at) == zip_end_signature &&
            load_le<std::uint16_t>(file.data() + at + 20) == back - 22) {
            end = at;
            break;
        }
    }
    if (end == n)
        throw io_error(path, "zip end of central directory",
                       n < 22 ? "file too short for a ZIP archive (" + std::to_string(n) + " bytes)"
                              : std::string("not found: not a ZIP (.npz) archive, or truncated"));
    byte_reader e(file.subspan(end), path);
    e.u32_le("zip end of central directory");
    const std::uint16_t disk = e.u16_le("zip disk number"), cd_disk = e.u16_le("zip central directory disk");
    std::uint64_t entries_here = e.u16_le("zip entry count"), entries = e.u16_le("zip entry count");
    std::uint64_t cd_size = e.u32_le("zip central directory size"), cd_offset = e.u32_le("zip central directory offset");
    if (entries == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
        if (end < 20) e.fail("zip64 end of central directory locator", "missing");
        byte_reader loc(file.subspan(end - 20), path);
        if (loc.u32_le("zip64 locator") != zip64_locator_signature)
            loc.fail("zip64 end of central directory locator", "missing before the end record");
        loc.u32_le("zip64 locator disk");
        const std::uint64_t at = loc.u64_le("zip64 end of central directory offset");
        if (at > n) loc.fail("zip64 end of central directory offset", std::to_string(at) + " is past the end of the file");
        byte_reader z(file.subspan(static_cast<std::size_t>(at)), path);
        if (z.u32_le("zip64 end of central directory") != zip64_end_signature)
            z.fail("zip64 end of central directory", "bad signature");
        z.bytes(12, "zip64 end of central directory"); // record size, versions
        if (z.u32_le("zip64 disk number") != 0 || z.u32_le("zip64 central directory disk") != 0)
            z.fail("zip64 disk number", "multi-disk archives are not supported");
        entries_here = z.u64_le("zip64 entry count");
        entries = z.u64_le("zip64 entry count");
        cd_size = z.u64_le("zip64 central directory size");
        cd_offset = z.u64_le("zip64 central directory offset");
    } else if (disk != 0 || cd_disk != 0) {
        e.fail("zip disk number", "multi-disk archives are not supported");
    }
    if (entries_here != entries) e.fail("zip entry count", "multi-disk archives are not supported");
    if (cd_offset > n || cd_size > n - cd_offset)
        e.fail("zip central directory", "offset " + std::to_string(cd_offset) + " + size " + std::to_string(cd_size) +
                                            " is past the end of the file (" + std::to_string(n) + " bytes)");

    std::vector<zip_entry> out;
    byte_reader cd(file.subspan(static_cast<std::size_t>(cd_offset), static_cast<std::size_t>(cd_size)), path);
    for (std::uint64_t i = 0; i < entries; ++i) {
        const std::string at = "zip central directory entry " + std::to_string(i);
        if (cd.u32_le(at) != zip_central_signature) cd.fail(at, "bad signature");
        cd.bytes(4, at); // versions
        const std::uint16_t flags = cd.u16_le(at), method = cd.u16_le(at);
        cd.bytes(4, at); // time, date
        const std::uint32_t crc = cd.u32_le(at);
        std::uint64_t packed = cd.u32_le(at), size = cd.u32_le(at);
        const std::uint16_t name_len = cd.u16_le(at), extra_len = cd.u16_le(at), comment_len = cd.u16_le(at);
        const std::uint16_t start_disk = cd.u16_le(at);
        cd.bytes(6, at); // attributes
        std::uint64_t local = cd.u32_le(at);
        const auto name_bytes = cd.bytes(name_len, at);
        std::string name(name_bytes.begin(), name_bytes.end());
        const std::string field = "entry '" + name + "'";
        byte_reader extra(cd.bytes(extra_len, field), path);
        cd.bytes(comment_len, field);
        while (extra.remaining() >= 4) {
            const std::uint16_t id = extra.u16_le(field), len = extra.u16_le(field);
            byte_reader x(extra.bytes(len, field + " extra field"), path);
            if (id != 0x0001) continue;
            if (size == 0xFFFFFFFF) size = x.u64_le(field + " zip64 size");
            if (packed == 0xFFFFFFFF) packed = x.u64_le(field + " zip64 compressed size");
            if (local == 0xFFFFFFFF) local = x.u64_le(field + " zip64 header offset");
        }
        if (start_disk != 0 && start_disk != 0xFFFF) cd.fail(field, "multi-disk archives are not supported");
        if ((flags & 1u) != 0) cd.fail(field, "encrypted entries are not supported");
        if (method != 0 && method != 8)
            cd.fail(field, "compression method " + std::to_string(method) +
                               "; only stored (0) and deflate (8) are supported");
        for (const zip_entry& seen : out)
            if (seen.name == name) cd.fail(field, "the archive holds this name twice");

        if (local > n) cd.fail(field, "local header offset " + std::to_string(local) + " is past the end of the file");
        byte_reader lh(file.subspan(static_cast<std::size_t>(local)), path);
        if (lh.u32_le(field + " local header") != zip_local_signature) lh.fail(field + " local header", "bad signature");
        lh.bytes(22, field + " local header");
        const std::uint16_t local_name_len = lh.u16_le(field + " local header"),
                            local_extra_len = lh.u16_le(field + " local header");
        const auto local_name = lh.bytes(local_name_len, field + " local header");
        if (std::string(local_name.begin(), local_name.end()) != name)
            lh.fail(field + " local header", "names '" + std::string(local_name.begin(), local_name.end()) +
                                                 "', the central directory '" + name + "'");
        lh.bytes(local_extra_len, field + " local header");
        if (packed > lh.remaining())
            lh.fail(field + " data", "truncated file: the entry needs " + std::to_string(packed) + " bytes at offset " +
                                         std::to_string(local + lh.offset()) + ", found " +
                                         std::to_string(lh.remaining()));
        const auto data = lh.bytes(static_cast<std::size_t>(packed), field + " data");

        zip_entry entry{std::move(name), {}};
        if (method == 0) {
            if (packed != size)
                lh.fail(field, "stored entry of " + std::to_string(packed) + " bytes claims size " + std::to_string(size));
            entry.data.assign(data.begin(), data.end());
        } else {
            // DEFLATE expands at most about 1032:1; a larger claim is corrupt (and not worth allocating).
            if (size / 1032 > packed + 1)
                lh.fail(field, "claims " + std::to_string(size) + " bytes from " + std::to_string(packed) +
                                   " compressed ones");
            entry.data = inflate_exact(data, static_cast<std::size_t>(size), path, field + " data");
        }
        if (const std::uint32_t actual = crc32(entry.data); actual != crc)
            lh.fail(field + " CRC32", "the data gives " + hex(actual) + ", the archive says " + hex(crc));
        out.push_back(std::move(entry));
    }
    return out;
}

/// A ZIP archive of `entries`, stored uncompressed. `path` is only for error messages.
inline std::vector<unsigned char> write_zip(std::span<const zip_entry> entries, const std::string& path) {
    constexpr std::uint16_t version = 20; // 2.0: the first version with deflate; stored needs 1.0, numpy reads both
    constexpr std::uint16_t dos_date = (0 << 9) | (1 << 5) | 1; // 1980-01-01
    if (entries.size() >= 0xFFFF) throw io_error(path, "zip", "too many entries for a ZIP without ZIP64");
    std::vector<unsigned char> out, central;
    auto check32 = [&](std::size_t v, const std::string& what) {
        if (v >= 0xFFFFFFFF) throw io_error(path, what, "larger than 4 GiB; ZIP64 output is not supported");
        return static_cast<std::uint32_t>(v);
    };
    for (const zip_entry& e : entries) {
        const std::string field = "entry '" + e.name + "'";
        if (e.name.size() > 0xFFFF) throw io_error(path, field, "name longer than 65535 bytes");
        const std::uint32_t crc = crc32(e.data), size = check32(e.data.size(), field);
        const std::uint32_t offset = check32(out.size(), field);
        const auto header = [&](std::vector<unsigned char>& to, bool in_central) {
            append_le<std::uint32_t>(to, in_central ? zip_central_signature : zip_local_signature);
            if (in_central) append_le<std::uint16_t>(to, version); // made by: MS-DOS, 2.0
            append_le<std::uint16_t>(to, version);
            append_le<std::uint16_t>(to, 0);                       // flags
            append_le<std::uint16_t>(to, 0);                       // method: stored
            append_le<std::uint16_t>(to, 0);                       // time 00:00:00
            append_le<std::uint16_t>(to, dos_date);
            append_le<std::uint32_t>(to, crc);
            append_le<std::uint32_t>(to, size); // compressed
            append_le<std::uint32_t>(to, size);
            append_le<std::uint16_t>(to, static_cast<std::uint16_t>(e.name.size()));
            append_le<std::uint16_t>(to, 0); // extra
            if (in_central) {
                append_le<std::uint16_t>(to, 0); // comment
                append_le<std::uint16_t>(to, 0); // disk
                append_le<std::uint16_t>(to, 0); // internal attributes
                append_le<std::uint32_t>(to, 0); // external attributes
                append_le<std::uint32_t>(to, offset);
            }
            to.insert(to.end(), e.name.begin(), e.name.end());
        };
        header(out, false);
        out.insert(out.end(), e.data.begin(), e.data.end());
        header(central, true);
    }
    const std::uint32_t cd_offset = check32(out.size(), "zip central directory");
    const std::uint32_t cd_size = check32(central.size(), "zip central directory");
    out.insert(out.end(), central.begin(), central.end());
    check32(out.size() + 22, "zip");
    append_le<std::uint32_t>(out, zip_end_signature);
    append_le<std::uint16_t>(out, 0);
    append_le<std::uint16_t>(out, 0);
    append_le<std::uint16_t>(out, static_cast<std::uint16_t>(entries.size()));
    append_le<std::uint16_t>(out, static_cast<std::uint16_t>(entries.size()));
    append_le<std::uint32_t>(out, cd_size);
    append_le<std::uint32_t>(out, cd_offset);
    append_le<std::uint16_t>(out, 0); // comment
    return out;
}

} // namespace ctnn::detail
