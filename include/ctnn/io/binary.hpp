// Byte-level helpers of ctnn's file formats: little- and big-endian integers read from a
// bounds-checked cursor (a short file is an io_error naming the field, never a read past
// the end), whole-file reads, and atomic whole-file writes.
//
// Atomic write (POSIX): the bytes go to "<path>.tmp.<pid>.<n>" in the same directory, which
// is flushed and fsync'ed, then renamed over <path>, then the directory is fsync'ed. On any
// error the temporary file is removed and io_error is thrown; <path> is then untouched.
#pragma once

#include <atomic>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#else
#include <fstream>
#endif

#include "error.hpp"

namespace ctnn::detail {

template <class U>
constexpr U load_le(const unsigned char* p) noexcept {
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>(v | static_cast<U>(U{p[i]} << (8 * i)));
    return v;
}

template <class U>
constexpr U load_be(const unsigned char* p) noexcept {
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | U{p[i]});
    return v;
}

template <class U>
void append_le(std::vector<unsigned char>& out, U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

/// Element values as little-endian bytes, whatever the host's byte order.
template <class T>
void append_le_values(std::vector<unsigned char>& out, std::span<const T> values) {
    const std::size_t at = out.size();
    out.resize(at + values.size() * sizeof(T));
    if constexpr (std::endian::native == std::endian::little) {
        if (!values.empty()) std::memcpy(out.data() + at, values.data(), values.size() * sizeof(T));
    } else {
        for (std::size_t i = 0; i < values.size(); ++i) {
            unsigned char b[sizeof(T)];
            std::memcpy(b, &values[i], sizeof(T));
            for (std::size_t k = 0; k < sizeof(T); ++k) out[at + i * sizeof(T) + k] = b[sizeof(T) - 1 - k];
        }
    }
}

/// n values of T from little-endian bytes.
template <class T>
void load_le_values(const unsigned char* in, T* out, std::size_t n) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        if (n > 0) std::memcpy(out, in, n * sizeof(T));
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            unsigned char b[sizeof(T)];
            for (std::size_t k = 0; k < sizeof(T); ++k) b[k] = in[i * sizeof(T) + sizeof(T) - 1 - k];
            std::memcpy(out + i, b, sizeof(T));
        }
    }
}

inline std::string hex(std::uint64_t v, int digits = 8) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%0*llX", digits, static_cast<unsigned long long>(v));
    return buf;
}

/// "(2, 3)", "(5,)", "()": a shape as numpy prints it.
inline std::string shape_string(std::span<const std::size_t> shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

inline std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

/// Reads fields in order from a byte range; every read says what it reads, so a short
/// range fails with the field's name, the offset and how many bytes were left.
class byte_reader {
  public:
    byte_reader(std::span<const unsigned char> data, std::string path) : data_(data), path_(std::move(path)) {}

    std::size_t offset() const noexcept { return pos_; }
    std::size_t remaining() const noexcept { return data_.size() - pos_; }
    const std::string& path() const noexcept { return path_; }

    std::span<const unsigned char> bytes(std::size_t n, const std::string& field) {
        if (n > remaining())
            throw io_error(path_, field,
                           "truncated file: need " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
                               ", found " + std::to_string(remaining()));
        const auto s = data_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    std::uint8_t u8(const std::string& field) { return bytes(1, field)[0]; }
    std::uint16_t u16_le(const std::string& field) { return load_le<std::uint16_t>(bytes(2, field).data()); }
    std::uint32_t u32_le(const std::string& field) { return load_le<std::uint32_t>(bytes(4, field).data()); }
    std::uint64_t u64_le(const std::string& field) { return load_le<std::uint64_t>(bytes(8, field).data()); }
    std::uint32_t u32_be(const std::string& field) { return load_be<std::uint32_t>(bytes(4, field).data()); }

    [[noreturn]] void fail(const std::string& field, const std::string& detail) const {
        throw io_error(path_, field, detail);
    }

  private:
    std::span<const unsigned char> data_;
    std::string path_;
    std::size_t pos_ = 0;
};

/// The whole file. `gzip_hint`: when the file is missing but "<path>.gz" exists, say so.
inline std::vector<unsigned char> read_file(const std::filesystem::path& path, bool gzip_hint = false) {
    const std::string name = path.string();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw io_error(name, "file", "is a directory, not a file");
    std::FILE* f = std::fopen(name.c_str(), "rb");
    if (f == nullptr) {
        const int err = errno;
        std::string detail = "cannot open for reading: " + errno_text(err);
        if (gzip_hint && std::filesystem::exists(name + ".gz", ec))
            detail += "; '" + name + ".gz' exists: pass that path (gzip files are read as they are)";
        throw io_error(name, "file", detail);
    }
    // One read of the size the file system reports (+1 to see the end), then more if it grew.
    const std::uintmax_t reported = std::filesystem::file_size(path, ec);
    std::size_t want = ec ? std::size_t{1} << 16 : static_cast<std::size_t>(reported) + 1;
    std::vector<unsigned char> out;
    for (;;) {
        const std::size_t at = out.size();
        out.resize(at + want);
        const std::size_t got = std::fread(out.data() + at, 1, want, f);
        out.resize(at + got);
        if (got < want) break;
        want = std::size_t{1} << 16;
    }
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) throw io_error(name, "file", "read failed: " + errno_text(err));
    return out;
}

#if defined(__unix__) || defined(__APPLE__)

/// Replaces `path` by `bytes` so that a reader sees the old file or the new one, never a mix.
inline void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes) {
    static std::atomic<unsigned long> counter{0};
    const std::string name = path.string();
    const std::string tmp = name + ".tmp." + std::to_string(static_cast<long>(::getpid())) + "." +
                            std::to_string(counter.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        const int err = errno;
        throw io_error(name, "file", "cannot create temporary file '" + tmp + "': " + errno_text(err));
    }
    auto fail = [&](const char* step, int err, bool close_fd) {
        if (close_fd) ::close(fd);
        ::unlink(tmp.c_str());
        throw io_error(name, "file", std::string(step) + " failed: " + errno_text(err) + " (the old file, if any, is unchanged)");
    };
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ::ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write", errno, true);
        }
        if (n == 0) fail("write", EIO, true);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) fail("fsync", errno, true);
    if (::close(fd) != 0) fail("close", errno, false);
    if (::rename(tmp.c_str(), name.c_str()) != 0) fail("rename", errno, false);
    // Makes the rename durable. Some file systems refuse fsync on a directory; the new file is
    // in place by now, so that is not reported.
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const int dfd = ::open(dir.string().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

#else

inline void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes) {
    static std::atomic<unsigned long> counter{0};
    const std::string name = path.string();
    const std::filesystem::path tmp = name + ".tmp." + std::to_string(counter.fetch_add(1));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            out.close();
            std::error_code ignored;
            std::filesystem::remove(tmp, ignored);
            throw io_error(name, "file", "cannot write temporary file '" + tmp.string() + "'");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw io_error(name, "file", "rename failed: " + ec.message() + " (the old file, if any, is unchanged)");
    }
}

#endif

} // namespace ctnn::detail
