// .npy and .npz: round trips, byte-for-byte agreement with numpy's own files, every kind
// of bad header or archive, and (when Debian's python3 has numpy) both directions of
// interoperability with numpy itself.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/npz.hpp>

#include "io_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace ctnn::io_test;
using bytes = std::vector<unsigned char>;

/// (i % 97) * 0.125 - 6: exact in float and double; npz_interop.py computes the same.
template <class T>
std::vector<T> expected(std::size_t n) {
    std::vector<T> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(static_cast<double>(i % 97) * 0.125 - 6);
    return v;
}

/// A .npy file with a header of our own making.
bytes npy_with_header(int major, const std::string& header, const bytes& data) {
    bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
    if (major == 1)
        ctnn::detail::append_le<std::uint16_t>(b, static_cast<std::uint16_t>(header.size()));
    else
        ctnn::detail::append_le<std::uint32_t>(b, static_cast<std::uint32_t>(header.size()));
    b.insert(b.end(), header.begin(), header.end());
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

ctnn::npy_array decode(const bytes& b) { return ctnn::decode_npy(b, "t.npy"); }

TEST(Npy, RoundTripsEveryTypeAndShape) {
    const auto check = [](const ctnn::npy_array& a) {
        const bytes file = ctnn::encode_npy(a);
        EXPECT_EQ((file.size() - a.data.size()) % 64, 0u) << "data must start at a multiple of 64";
        const ctnn::npy_array b = decode(file);
        EXPECT_EQ(b.dtype, a.dtype);
        EXPECT_EQ(b.shape, a.shape);
        EXPECT_EQ(b.data, a.data);
    };
    const auto f = expected<float>(24);
    check(ctnn::npy_array::from<float>(f, {2, 3, 4}));
    check(ctnn::npy_array::from<double>(expected<double>(5), {5}));
    check(ctnn::npy_array::from<double>(std::vector<double>{2.5}, {}));
    check(ctnn::npy_array::from<float>(std::vector<float>{}, {0, 4}));
    check(ctnn::npy_array::from<std::int64_t>(std::vector<std::int64_t>{-1, 0, std::int64_t{1} << 40}, {3}));
    check(ctnn::npy_array::from<std::int32_t>(std::vector<std::int32_t>{-7, 7}, {1, 2}));
    check(ctnn::npy_array::from<std::uint8_t>(std::vector<std::uint8_t>{0, 255}, {2}));
    check(ctnn::npy_array::from<std::int8_t>(std::vector<std::int8_t>{-128, 127}, {2}));

    const auto a = ctnn::npy_array::from<float>(f, {4, 6});
    EXPECT_EQ(a.values<float>(), f);
    EXPECT_EQ(a.values<double>()[3], static_cast<double>(f[3]));
    EXPECT_THROW(ctnn::npy_array::from<float>(f, {5, 5}), std::invalid_argument);
}

TEST(Npy, ConversionsRefuseWhatDoesNotFit) {
    const auto big = ctnn::npy_array::from<double>(std::vector<double>{1.5, 1e300}, {2});
    EXPECT_THROW(big.values<float>(), std::range_error);
    EXPECT_EQ(big.values<double>()[1], 1e300);
    const auto inf = ctnn::npy_array::from<double>(std::vector<double>{-1e300 * 1e300}, {1});
    EXPECT_EQ(inf.values<float>()[0], -std::numeric_limits<float>::infinity()) << "infinities stay infinities";
    EXPECT_THROW(big.values<int>(), std::invalid_argument);
    const auto wide = ctnn::npy_array::from<std::int64_t>(std::vector<std::int64_t>{-128, 300}, {2});
    EXPECT_THROW(wide.values<std::int8_t>(), std::range_error);
    EXPECT_EQ(wide.values<std::int32_t>(), (std::vector<std::int32_t>{-128, 300}));
    EXPECT_EQ(wide.values<float>(), (std::vector<float>{-128, 300}));
}

TEST(Npy, WritesTheBytesNumpyWrites) {
    for (const char* name : {"lenet_demo_input.npy", "lenet_demo_output.npy", "lenet_demo_output_f64.npy"}) {
        SCOPED_TRACE(name);
        const bytes numpy_file = read_bytes(data_dir / name);
        const ctnn::npy_array a = decode(numpy_file);
        EXPECT_EQ(ctnn::encode_npy(a), numpy_file);
    }
    const ctnn::npy_array in = decode(read_bytes(data_dir / "lenet_demo_input.npy"));
    EXPECT_EQ(in.dtype, ctnn::npy_dtype::float32);
    EXPECT_EQ(in.shape, (std::vector<std::size_t>{3, 1, 12, 12}));
}

TEST(Npy, ReadsHeaderVersionsAndByteOrders) {
    const auto f = expected<float>(6);
    bytes data;
    ctnn::detail::append_le_values<float>(data, f);
    const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
    for (int major : {1, 2, 3}) {
        SCOPED_TRACE(major);
        const auto a = decode(npy_with_header(major, header, data));
        EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
        EXPECT_EQ(a.values<float>(), f);
    }
    // Other spellings numpy's literal_eval accepts: double quotes, another key order, no
    // trailing comma, Python 2 longs.
    const auto b = decode(npy_with_header(1, "{\"shape\": (2L, 3L), \"fortran_order\": False, \"descr\": \"<f4\"}", data));
    EXPECT_EQ(b.values<float>(), f);

    bytes big = {0x40, 0x04, 0, 0, 0, 0, 0, 0}; // 2.5 as big-endian float64
    const auto c = decode(npy_with_header(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", big));
    EXPECT_EQ(c.values<double>(), std::vector<double>{2.5});
    EXPECT_EQ(c.dtype, ctnn::npy_dtype::float64);

    expect_io_error([&] { decode(npy_with_header(4, header, data)); }, "version", {"found 4.0"});
}

TEST(Npy, RefusesWhatItCannotRead) {
    bytes data(24);
    const auto header = [](const std::string& descr, const std::string& order, const std::string& shape) {
        return "{'descr': " + descr + ", 'fortran_order': " + order + ", 'shape': " + shape + ", }";
    };
    expect_io_error([&] { decode(npy_with_header(1, header("'<f4'", "True", "(2, 3)"), data)); }, "header",
                    {"fortran_order is True", "expected False"});
    expect_io_error([&] { decode(npy_with_header(1, header("'<c8'", "False", "(3,)"), data)); }, "dtype",
                    {"'<c8' is not supported", "'<f4'"});
    expect_io_error([&] { decode(npy_with_header(1, header("[('x', '<f4')]", "False", "(6,)"), data)); }, "header",
                    {"structured dtype"});
    expect_io_error([&] { decode(npy_with_header(1, header("'|f4'", "False", "(6,)"), data)); }, "dtype");
    expect_io_error([&] { decode(npy_with_header(1, header("'<f4'", "False", "(2, 4)"), data)); }, "data",
                    {"truncated", "(2, 4)", "needs 32 bytes", "found 24"});
    expect_io_error([&] { decode(npy_with_header(1, header("'<f4'", "False", "(5,)"), data)); }, "data",
                    {"needs 20 bytes", "found 24"});
    expect_io_error([&] { decode(npy_with_header(1, "{'descr': '<f4', 'shape': (6,)}", data)); }, "header",
                    {"missing key 'fortran_order'"});
    expect_io_error([&] { decode(npy_with_header(1, header("'<f4'", "False", "(6,)") + "x", data)); }, "header",
                    {"after the closing"});
    expect_io_error([&] { decode(npy_with_header(1, header("'<f4'", "Nope", "(6,)"), data)); }, "header",
                    {"True or False"});
    expect_io_error([&] { decode(npy_with_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", data)); },
                    "header", {"unexpected key 'x'"});
    expect_io_error([&] { decode(bytes{'P', 'K', 3, 4}); }, "magic", {"truncated"});
    expect_io_error([&] { decode(bytes{'N', 'U', 'M', 'P', 'Y', '!', 1, 0}); }, "magic", {"not a .npy file"});
    const bytes good = npy_with_header(1, header("'<f4'", "False", "(6,)"), data);
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        SCOPED_TRACE(cut);
        expect_io_error([&] { decode(bytes(good.begin(), good.begin() + static_cast<long>(cut))); }, "");
    }
}

class Npz : public temp_dir_test {};

ctnn::npz_archive sample_archive() {
    ctnn::npz_archive z;
    z.entries.push_back({"a", ctnn::npy_array::from<float>(expected<float>(24), {2, 3, 4})});
    z.entries.push_back({"b", ctnn::npy_array::from<double>(expected<double>(7), {7})});
    z.entries.push_back({"scalar", ctnn::npy_array::from<double>(std::vector<double>{2.5}, {})});
    z.entries.push_back({"ints", ctnn::npy_array::from<std::int64_t>(std::vector<std::int64_t>{-1, 0, std::int64_t{1} << 40}, {3})});
    std::vector<std::uint8_t> all(256);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
    z.entries.push_back({"bytes", ctnn::npy_array::from<std::uint8_t>(all, {256})});
    return z;
}

void expect_same(const ctnn::npz_archive& a, const ctnn::npz_archive& b) {
    ASSERT_EQ(a.entries.size(), b.entries.size());
    for (std::size_t i = 0; i < a.entries.size(); ++i) {
        SCOPED_TRACE(a.entries[i].key);
        EXPECT_EQ(a.entries[i].key, b.entries[i].key);
        EXPECT_EQ(a.entries[i].array.dtype, b.entries[i].array.dtype);
        EXPECT_EQ(a.entries[i].array.shape, b.entries[i].array.shape);
        EXPECT_EQ(a.entries[i].array.data, b.entries[i].array.data);
    }
}

TEST_F(Npz, RoundTripKeepsOrderAndBytes) {
    const auto z = sample_archive();
    ctnn::write_npz(file("s.npz"), z);
    expect_same(ctnn::read_npz(file("s.npz")), z);
    EXPECT_EQ(ctnn::encode_npz(z), read_bytes(file("s.npz"))) << "writing must be deterministic";
    ASSERT_NE(z.find("ints"), nullptr);
    EXPECT_EQ(z.find("ints")->values<std::int64_t>()[2], std::int64_t{1} << 40);
    EXPECT_EQ(z.find("nothing"), nullptr);

    ctnn::npz_archive twice;
    twice.entries.push_back({"k", ctnn::npy_array::from<float>(expected<float>(1), {1})});
    twice.entries.push_back({"k", ctnn::npy_array::from<float>(expected<float>(1), {1})});
    expect_io_error([&] { ctnn::write_npz(file("twice.npz"), twice); }, "array 'k'", {"twice"});
}

TEST_F(Npz, ReadsNumpySavezAndSavezCompressed) {
    const auto stored = ctnn::read_npz(data_dir / "lenet_demo.npz");
    const auto deflated = ctnn::read_npz(data_dir / "lenet_demo_compressed.npz");
    expect_same(stored, deflated);
    ASSERT_EQ(stored.entries.size(), 8u);
    EXPECT_EQ(stored.entries[0].key, "0.weight");
    EXPECT_EQ(stored.entries[0].array.shape, (std::vector<std::size_t>{4, 1, 3, 3}));
    EXPECT_EQ(stored.entries[7].key, "9.bias");
    EXPECT_EQ(stored.entries[7].array.shape, std::vector<std::size_t>{5});
}

TEST_F(Npz, RefusesCorruptArchives) {
    const bytes good = ctnn::encode_npz(sample_archive());
    expect_io_error([&] { ctnn::decode_npz(bytes(100, 0), "x.npz"); }, "zip end of central directory", {"not a ZIP"});
    expect_io_error([&] { ctnn::decode_npz(bytes(3, 0), "x.npz"); }, "zip end of central directory", {"too short"});
    // A flipped byte in an entry's data: its CRC-32 no longer matches.
    bytes flipped = good;
    flipped[200] ^= 0x01;
    expect_io_error([&] { ctnn::decode_npz(flipped, "x.npz"); }, "CRC32", {"entry 'a.npy'"});
    for (std::size_t cut = 0; cut < good.size(); cut += 7) {
        SCOPED_TRACE(cut);
        expect_io_error([&] { ctnn::decode_npz(bytes(good.begin(), good.begin() + static_cast<long>(cut)), "x.npz"); }, "");
    }
    // Flips anywhere: an error, or (in fields nobody checks, such as timestamps) the same arrays.
    for (std::size_t i = 0; i < good.size(); i += 5) {
        bytes bad = good;
        bad[i] ^= 0x20;
        try {
            expect_same(ctnn::decode_npz(bad, "x.npz"), sample_archive());
        } catch (const ctnn::io_error&) {
        }
    }
    const bytes deflated = read_bytes(data_dir / "lenet_demo_compressed.npz");
    std::size_t errors = 0;
    for (std::size_t i = 0; i < deflated.size(); i += 11) {
        bytes bad = deflated;
        bad[i] ^= 0x04;
        try {
            ctnn::decode_npz(bad, "x.npz");
        } catch (const ctnn::io_error&) {
            ++errors;
        }
    }
    EXPECT_GT(errors, deflated.size() / 11 / 2);

    std::vector<ctnn::detail::zip_entry> other = {{"readme.txt", bytes{'h', 'i'}}};
    expect_io_error([&] { ctnn::decode_npz(ctnn::detail::write_zip(other, "x.npz"), "x.npz"); }, "entry 'readme.txt'",
                    {"not a .npy array"});
}

TEST_F(Npz, InteroperatesWithNumpy) {
    if (!python_with_numpy()) GTEST_SKIP() << CTNN_IO_PYTHON << " with numpy is not available; skipping the numpy round trips";

    // ctnn writes, numpy reads.
    ctnn::write_npz(file("from_ctnn.npz"), sample_archive());
    ctnn::write_npy(file("from_ctnn.npy"), ctnn::npy_array::from<float>(expected<float>(24), {2, 3, 4}));
    using net = ctnn::network<ctnn::input<1, 12, 12>, ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu, ctnn::max_pool2d<2>,
                              ctnn::conv2d<8, 3>, ctnn::relu, ctnn::max_pool2d<2>, ctnn::flatten, ctnn::dense<16>,
                              ctnn::relu, ctnn::dense<5>>;
    auto params = std::make_unique<net::parameters>();
    const auto values = expected<float>(net::param_count);
    std::size_t k = 0;
    for (const auto& t : net::tensors)
        for (std::size_t i = 0; i < t.tensor.size; ++i) params->values[t.offset + i] = values[k++];
    ctnn::save_npz<net>(file("net.npz"), *params);
    EXPECT_TRUE(run_python("npz_interop.py", {"check", dir().string()}));

    // numpy writes, ctnn reads.
    ASSERT_TRUE(run_python("npz_interop.py", {"make", dir().string()}));
    const auto f24 = expected<float>(24);
    for (const char* name : {"v1.npy", "v2.npy", "v3.npy"}) {
        SCOPED_TRACE(name);
        const auto a = ctnn::read_npy(file(name));
        EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3, 4}));
        EXPECT_EQ(a.values<float>(), f24);
    }
    EXPECT_EQ(ctnn::read_npy(file("big_endian.npy")).values<double>(), expected<double>(10));
    EXPECT_EQ(ctnn::read_npy(file("int64.npy")).values<std::int64_t>(),
              (std::vector<std::int64_t>{-1, 0, std::int64_t{1} << 40}));
    EXPECT_EQ(ctnn::read_npy(file("uint8.npy")).values<int>()[255], 255);
    expect_io_error([&] { ctnn::read_npy(file("fortran.npy")); }, "header", {"fortran_order"});
    expect_io_error([&] { ctnn::read_npy(file("bool.npy")); }, "dtype", {"'|b1'"});
    const auto z = ctnn::read_npz(file("compressed.npz"));
    ASSERT_EQ(z.entries.size(), 3u);
    EXPECT_EQ(z.entries[0].key, "long");
    EXPECT_EQ(z.entries[0].array.values<float>(), expected<float>(50000));
    EXPECT_EQ(z.find("a")->values<float>(), f24);
    const auto ints = z.find("ints")->values<std::int32_t>();
    ASSERT_EQ(ints.size(), 20000u);
    for (std::size_t i = 0; i < ints.size(); ++i) ASSERT_EQ(ints[i], static_cast<std::int32_t>(i % 50));
}

} // namespace
