// IDX reader: small image and label files written here, plain and gzip'ed, and each kind
// of bad file.
#include <ctnn/io/crc32.hpp>
#include <ctnn/io/idx.hpp>

#include "io_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

using namespace ctnn::io_test;
using bytes = std::vector<unsigned char>;

void put_be32(bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<unsigned char>(v >> shift));
}

bytes images_file(std::uint32_t count, std::uint32_t rows, std::uint32_t cols) {
    bytes b;
    put_be32(b, 0x00000803);
    put_be32(b, count);
    put_be32(b, rows);
    put_be32(b, cols);
    for (std::uint32_t i = 0; i < count * rows * cols; ++i) b.push_back(static_cast<unsigned char>((i * 37) % 256));
    return b;
}

bytes labels_file(std::uint32_t count) {
    bytes b;
    put_be32(b, 0x00000801);
    put_be32(b, count);
    for (std::uint32_t i = 0; i < count; ++i) b.push_back(static_cast<unsigned char>(i % 10));
    return b;
}

/// A gzip file holding `data` in stored DEFLATE blocks.
bytes gzip_stored(const bytes& data) {
    bytes g = {0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3};
    std::size_t at = 0;
    do {
        const std::size_t len = std::min<std::size_t>(data.size() - at, 1000);
        g.push_back(at + len == data.size() ? 1 : 0);
        ctnn::detail::append_le<std::uint16_t>(g, static_cast<std::uint16_t>(len));
        ctnn::detail::append_le<std::uint16_t>(g, static_cast<std::uint16_t>(~len));
        g.insert(g.end(), data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + len));
        at += len;
    } while (at < data.size());
    ctnn::detail::append_le<std::uint32_t>(g, ctnn::detail::crc32(data));
    ctnn::detail::append_le<std::uint32_t>(g, static_cast<std::uint32_t>(data.size()));
    return g;
}

class Idx : public temp_dir_test {};

TEST_F(Idx, ReadsImagesAndLabels) {
    write_bytes(file("images"), images_file(3, 4, 5));
    write_bytes(file("labels"), labels_file(3));
    const ctnn::idx_dataset d = ctnn::read_idx_dataset(file("images"), file("labels"), 10);
    EXPECT_EQ(d.images.count, 3u);
    EXPECT_EQ(d.images.rows, 4u);
    EXPECT_EQ(d.images.cols, 5u);
    ASSERT_EQ(d.images.pixels.size(), 60u);
    EXPECT_EQ(d.images.pixels[7], (7 * 37) % 256);
    EXPECT_EQ(d.labels.count, 3u);
    EXPECT_EQ(d.labels.labels, (std::vector<std::uint8_t>{0, 1, 2}));

    const std::vector<float> x = d.images.to_nchw();
    ASSERT_EQ(x.size(), 60u);
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_FLOAT_EQ(x[i], static_cast<float>(d.images.pixels[i]) / 255.0f);
    const auto y = d.images.to_nchw<double>();
    EXPECT_EQ(y[0], 0.0);
}

TEST_F(Idx, ReadsGzipFiles) {
    const bytes plain = images_file(7, 28, 28); // larger than one stored block
    write_bytes(file("images.gz"), gzip_stored(plain));
    const ctnn::idx_images img = ctnn::read_idx_images(file("images.gz"));
    EXPECT_EQ(img.count, 7u);
    EXPECT_EQ(img.pixels, bytes(plain.begin() + 16, plain.end()));

    bytes corrupt = gzip_stored(plain);
    corrupt[200] ^= 0x10;
    write_bytes(file("corrupt.gz"), corrupt);
    expect_io_error([&] { ctnn::read_idx_images(file("corrupt.gz")); }, "gzip CRC32");
}

TEST_F(Idx, MissingFileMentionsGzipSibling) {
    expect_io_error([&] { ctnn::read_idx_images(file("none")); }, "file", {"none", "cannot open", "No such file"});
    write_bytes(file("train.gz"), gzip_stored(images_file(1, 2, 2)));
    const std::string msg = expect_io_error([&] { ctnn::read_idx_images(file("train")); }, "file");
    EXPECT_NE(msg.find("train.gz' exists"), std::string::npos) << msg;
    expect_io_error([&] { ctnn::read_idx_images(dir()); }, "file", {"is a directory"});
}

TEST_F(Idx, WrongMagicSaysWhatWasExpected) {
    write_bytes(file("labels"), labels_file(4));
    expect_io_error([&] { ctnn::read_idx_images(file("labels")); }, "magic",
                    {"expected magic 0x00000803", "found 0x00000801", "wrong rank", "labels file"});
    write_bytes(file("images"), images_file(1, 2, 2));
    expect_io_error([&] { ctnn::read_idx_labels(file("images")); }, "magic",
                    {"expected magic 0x00000801", "found 0x00000803", "images file"});

    bytes floats = images_file(1, 1, 1);
    floats[2] = 0x0D;
    write_bytes(file("floats"), floats);
    expect_io_error([&] { ctnn::read_idx_images(file("floats")); }, "magic", {"float32", "0x0D"});

    write_bytes(file("text"), bytes{'h', 'e', 'l', 'l', 'o', '!', '!', '!'});
    expect_io_error([&] { ctnn::read_idx_labels(file("text")); }, "magic", {"not an IDX file", "0x00000801"});
}

TEST_F(Idx, TruncatedHeaderAndData) {
    const bytes full = images_file(3, 4, 5);
    for (const std::size_t cut : std::vector<std::size_t>{0, 2, 4, 10, 15}) {
        SCOPED_TRACE(cut);
        write_bytes(file("cut"), bytes(full.begin(), full.begin() + static_cast<long>(cut)));
        expect_io_error([&] { ctnn::read_idx_images(file("cut")); }, "header", {"truncated header", "found " + std::to_string(cut)});
    }
    write_bytes(file("cut"), bytes(full.begin(), full.end() - 1));
    expect_io_error([&] { ctnn::read_idx_images(file("cut")); }, "data",
                    {"truncated data", "3 x 4 x 5", "need 60 bytes", "found 59"});
    bytes longer = full;
    longer.push_back(0);
    write_bytes(file("long"), longer);
    expect_io_error([&] { ctnn::read_idx_images(file("long")); }, "data", {"need 60 bytes", "found 61"});
    const bytes labels = labels_file(5);
    write_bytes(file("labels"), bytes(labels.begin(), labels.end() - 2));
    expect_io_error([&] { ctnn::read_idx_labels(file("labels")); }, "data", {"need 5 bytes", "found 3"});
}

TEST_F(Idx, CountMismatchAndLabelRange) {
    write_bytes(file("images"), images_file(3, 2, 2));
    write_bytes(file("labels"), labels_file(4));
    expect_io_error([&] { ctnn::read_idx_dataset(file("images"), file("labels")); }, "count",
                    {"expected 3 labels", "found 4"});
    write_bytes(file("labels"), labels_file(10));
    expect_io_error([&] { ctnn::read_idx_labels(file("labels"), 9); }, "label 9", {"below 9", "found 9"});
    EXPECT_EQ(ctnn::read_idx_labels(file("labels"), 10).count, 10u);
}

TEST_F(Idx, ZeroSizedImagesAreRefused) {
    write_bytes(file("images"), images_file(2, 0, 5));
    expect_io_error([&] { ctnn::read_idx_images(file("images")); }, "header", {"0 x 5"});
}

TEST(IdxMnist, ReadsTheRealFilesWhenPresent) {
    const fs::path dir = CTNN_IO_MNIST_DIR;
    if (dir.empty() || !fs::exists(dir / "t10k-labels-idx1-ubyte"))
        GTEST_SKIP() << "MNIST not found (configure with -DCTNN_MNIST_DIR=..., see tools/fetch-mnist)";
    const auto train = ctnn::read_idx_dataset(dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte", 10);
    const auto test = ctnn::read_idx_dataset(dir / "t10k-images-idx3-ubyte", dir / "t10k-labels-idx1-ubyte", 10);
    EXPECT_EQ(train.images.count, 60000u);
    EXPECT_EQ(test.images.count, 10000u);
    EXPECT_EQ(train.images.rows, 28u);
    EXPECT_EQ(train.images.cols, 28u);
    EXPECT_EQ(train.labels.labels[0], 5);
    EXPECT_EQ(test.labels.labels[0], 7);
    EXPECT_EQ(ctnn::detail::crc32(test.images.pixels), 0xE4CA5F57u);
}

} // namespace
