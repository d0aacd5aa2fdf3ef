// Checkpoints: round trips in float and double, each way a file can be wrong (truncated at
// every offset, a flipped byte anywhere, another version, element type or network, a
// renamed or reshaped tensor), and atomic saving (a failed save leaves the old file and
// no temporary behind).
#include <ctnn/ctnn.hpp>
#include <ctnn/io/checkpoint.hpp>

#include "ctnn_test_util.hpp"
#include "io_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace {

using namespace ctnn::io_test;
using bytes = std::vector<unsigned char>;

template <class T, class Pool, class Act = ctnn::relu>
using small_net = ctnn::basic_network<T, ctnn::input<2, 6, 6>, ctnn::conv2d<3, 3, ctnn::pad<1>>, Act, Pool,
                                      ctnn::flatten, ctnn::dense<4>>;
using net_f = small_net<float, ctnn::max_pool2d<2>>;
using net_d = small_net<double, ctnn::max_pool2d<2>>;
// Same tensors, names and sizes as net_f (so the same file size), another topology.
using net_avg = small_net<float, ctnn::avg_pool2d<2>>;
using net_tanh = small_net<float, ctnn::max_pool2d<2>, ctnn::tanh>;
using net_stride = ctnn::network<ctnn::input<2, 6, 6>, ctnn::conv2d<3, 2, ctnn::stride<2>>, ctnn::relu,
                                 ctnn::flatten, ctnn::dense<4>>;
using lenet = ctnn::network<ctnn::input<1, 28, 28>, ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::relu, ctnn::max_pool2d<2>,
                            ctnn::conv2d<16, 5>, ctnn::relu, ctnn::max_pool2d<2>, ctnn::flatten, ctnn::dense<120>,
                            ctnn::relu, ctnn::dense<84>, ctnn::relu, ctnn::dense<10>, ctnn::softmax>;

static_assert(net_f::param_count == net_avg::param_count && net_f::param_count == net_tanh::param_count);
static_assert(ctnn::network_hash<net_f>() == ctnn::network_hash<net_d>(), "the element type is not part of the hash");
static_assert(ctnn::network_hash<net_f>() != ctnn::network_hash<net_avg>());
static_assert(ctnn::network_hash<net_f>() != ctnn::network_hash<net_tanh>());
static_assert(ctnn::network_hash<net_f>() != ctnn::network_hash<net_stride>());
static_assert(ctnn::network_hash<net_avg>() != ctnn::network_hash<net_tanh>());

TEST(NetworkHash, IsPinned) {
    // Golden values: the hash is part of the file format. A change here makes every saved
    // checkpoint unloadable; change it only with the format version.
    EXPECT_EQ(ctnn::network_hash<lenet>(), 0x171B0C05E46869CDull) << std::hex << ctnn::network_hash<lenet>();
    EXPECT_EQ(ctnn::network_hash<net_f>(), 0xFAA6F307BCBD95EAull) << std::hex << ctnn::network_hash<net_f>();
}

/// Parameters with seeded values in every tensor (the alignment gaps stay zero).
template <class Net>
std::unique_ptr<typename Net::parameters> random_params(unsigned seed) {
    using T = typename Net::value_type;
    auto p = std::make_unique<typename Net::parameters>();
    const auto v = ctnn::test::random_vector<T>(Net::param_storage, seed);
    for (const auto& t : Net::tensors)
        for (std::size_t i = 0; i < t.tensor.size; ++i) p->values[t.offset + i] = v[t.offset + i];
    return p;
}

template <class Net>
bool same_bits(const typename Net::parameters& a, const typename Net::parameters& b) {
    return std::memcmp(a.values.data(), b.values.data(), sizeof(a.values)) == 0;
}

std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

void fix_crc(bytes& b) {
    const std::uint32_t crc = ctnn::detail::crc32(std::span(b).first(b.size() - 4));
    for (std::size_t i = 0; i < 4; ++i) b[b.size() - 4 + i] = static_cast<unsigned char>(crc >> (8 * i));
}

template <class T>
class CheckpointRoundTrip : public temp_dir_test {};
using element_types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CheckpointRoundTrip, element_types);

TYPED_TEST(CheckpointRoundTrip, RestoresEveryBit) {
    using net = small_net<TypeParam, ctnn::max_pool2d<2>>;
    const auto saved = random_params<net>(11);
    const fs::path path = this->file("net.ckpt");
    ctnn::save_checkpoint<net>(path, *saved);
    EXPECT_EQ(listing(this->dir()), std::vector<std::string>{"net.ckpt"}) << "a temporary file was left behind";
    EXPECT_EQ(fs::file_size(path), ctnn::detail::checkpoint_size<net>());

    auto loaded = std::make_unique<typename net::parameters>();
    ctnn::load_checkpoint<net>(path, *loaded);
    EXPECT_TRUE(same_bits<net>(*saved, *loaded));

    // Overwriting keeps one file and gives the new values.
    const auto other = random_params<net>(12);
    ctnn::save_checkpoint<net>(path, *other);
    ctnn::load_checkpoint<net>(path, *loaded);
    EXPECT_TRUE(same_bits<net>(*other, *loaded));
    EXPECT_FALSE(same_bits<net>(*saved, *loaded));
    EXPECT_EQ(listing(this->dir()), std::vector<std::string>{"net.ckpt"});

    // In memory, the same bytes.
    EXPECT_EQ(ctnn::encode_checkpoint<net>(*other), read_bytes(path));
}

TEST(CheckpointRoundTrip, LenetInMemory) {
    const auto saved = random_params<lenet>(3);
    const bytes file = ctnn::encode_checkpoint<lenet>(*saved);
    auto loaded = std::make_unique<lenet::parameters>();
    ctnn::decode_checkpoint<lenet>(file, *loaded, "lenet.ckpt");
    EXPECT_TRUE(same_bits<lenet>(*saved, *loaded));
}

class Checkpoint : public temp_dir_test {
  protected:
    void SetUp() override {
        temp_dir_test::SetUp();
        good_ = ctnn::encode_checkpoint<net_f>(*random_params<net_f>(5));
        sentinel_ = random_params<net_f>(99);
    }
    /// Loading `b` (in memory: load_checkpoint is read_file + decode_checkpoint) must fail with an io_error about `field` and leave the parameters alone.
    std::string refuse(const bytes& b, const std::string& field, std::initializer_list<std::string> words = {}) {
        auto dest = std::make_unique<net_f::parameters>(*sentinel_);
        const std::string msg =
            expect_io_error([&] { ctnn::decode_checkpoint<net_f>(b, *dest, "bad.ckpt"); }, field, words);
        EXPECT_TRUE(same_bits<net_f>(*dest, *sentinel_)) << "parameters changed by a failed load";
        return msg;
    }
    bytes good_;
    std::unique_ptr<net_f::parameters> sentinel_;
};

TEST_F(Checkpoint, TruncatedAtEveryOffset) {
    ASSERT_GT(good_.size(), 700u);
    for (std::size_t cut = 0; cut < good_.size(); ++cut) {
        SCOPED_TRACE(cut);
        const std::string field = cut < 8    ? "magic"
                                  : cut < 12 ? "format version"
                                  : cut < 16 ? "element type"
                                  : cut < 24 ? "network hash"
                                  : cut < 28 ? "tensor count"
                                  : cut + 4 >= good_.size() ? "CRC32"
                                                           : "tensor";
        refuse(bytes(good_.begin(), good_.begin() + static_cast<long>(cut)), field, {"truncated file"});
    }
}

TEST_F(Checkpoint, FlippedByteAnywhere) {
    for (std::size_t i = 0; i < good_.size(); ++i) {
        SCOPED_TRACE(i);
        bytes bad = good_;
        bad[i] ^= static_cast<unsigned char>(1u << (i % 8));
        if (i < 8) refuse(bad, "magic", {"not a ctnn checkpoint"});
        else if (i < 12) refuse(bad, "format version");
        else refuse(bad, "CRC32", {"corrupted"});
    }
}

TEST_F(Checkpoint, OtherVersionTypeOrNetwork) {
    bytes v2 = good_;
    v2[8] = 2;
    fix_crc(v2);
    refuse(v2, "format version", {"expected 1, found 2"});

    refuse(ctnn::encode_checkpoint<net_d>(*random_params<net_d>(5)), "element type",
           {"float64 (code 2)", "this network uses float32 (code 1)"});

    for (const bytes& other : {ctnn::encode_checkpoint<net_avg>(*random_params<net_avg>(5)),
                               ctnn::encode_checkpoint<net_tanh>(*random_params<net_tanh>(5))}) {
        ASSERT_EQ(other.size(), good_.size()) << "test bug: the point is a file of the same size";
        refuse(other, "network hash",
               {"checkpoint was saved from another network", ctnn::detail::hex(ctnn::network_hash<net_f>(), 16)});
    }
    refuse(ctnn::encode_checkpoint<net_stride>(*random_params<net_stride>(5)), "network hash");
}

TEST_F(Checkpoint, TensorNameOrShapeMismatch) {
    // Layout: 28-byte header, then tensor 0: name length at 28, "1.weight" at 32, rank at 40,
    // dims at 44, 52, 60, 68.
    ASSERT_EQ(std::string(good_.begin() + 32, good_.begin() + 40), "1.weight");
    bytes renamed = good_;
    renamed[39] = 'x';
    fix_crc(renamed);
    refuse(renamed, "tensor 0 ('1.weight') name", {"expected '1.weight', found '1.weighx'"});

    bytes reshaped = good_;
    reshaped[68] = 4;
    fix_crc(reshaped);
    refuse(reshaped, "tensor '1.weight' shape", {"expected (3, 2, 3, 3), found (3, 2, 3, 4)"});

    bytes rank = good_;
    rank[40] = 2;
    fix_crc(rank);
    refuse(rank, "tensor '1.weight' shape", {"expected rank 4", "found rank 2"});

    bytes count = good_;
    count[24] = 3;
    fix_crc(count);
    refuse(count, "tensor count", {"expected 4, found 3"});

    bytes longer = good_;
    longer.push_back(0);
    refuse(longer, "end of file", {"1 unexpected bytes"});
}

TEST_F(Checkpoint, NotACheckpoint) {
    auto dest = std::make_unique<net_f::parameters>();
    expect_io_error([&] { ctnn::load_checkpoint<net_f>(file("missing.ckpt"), *dest); }, "file",
                    {"missing.ckpt", "No such file"});
    refuse(read_bytes(data_dir / "lenet_demo.npz"), "magic", {"expected \"CTNNCKPT\", found \"PK\\x03\\x04"});
    refuse(bytes{}, "magic", {"truncated"});
    bytes bad = good_;
    bad[100] ^= 1;
    write_bytes(file("bad.ckpt"), bad);
    auto dest2 = std::make_unique<net_f::parameters>(*sentinel_);
    expect_io_error([&] { ctnn::load_checkpoint<net_f>(file("bad.ckpt"), *dest2); }, "CRC32", {"bad.ckpt: CRC32: "});
    EXPECT_TRUE(same_bits<net_f>(*dest2, *sentinel_));
}

TEST_F(Checkpoint, FailedSavesLeaveTheOldFile) {
    const auto params = random_params<net_f>(5);
    expect_io_error([&] { ctnn::save_checkpoint<net_f>(file("no/such/dir/x.ckpt"), *params); }, "file",
                    {"cannot create temporary file"});
    expect_io_error([&] { ctnn::save_checkpoint<net_f>("/proc/ctnn_test.ckpt", *params); }, "file");

    // The target is a directory: rename fails, the directory stays, no temporary is left.
    fs::create_directory(file("taken"));
    write_bytes(file("taken") / "keep", bytes{1, 2, 3});
    expect_io_error([&] { ctnn::save_checkpoint<net_f>(file("taken"), *params); }, "file", {"rename failed", "unchanged"});
    EXPECT_TRUE(fs::is_directory(file("taken")));
    EXPECT_EQ(listing(dir()), std::vector<std::string>{"taken"});
}

#if defined(__linux__)
/// Lowers the file size limit (as a full disk would stop a write) and restores it.
class file_size_limit {
  public:
    explicit file_size_limit(rlim_t limit_bytes) {
        getrlimit(RLIMIT_FSIZE, &old_);
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN); // write() then fails with EFBIG
        rlimit lower = old_;
        lower.rlim_cur = limit_bytes;
        ok_ = setrlimit(RLIMIT_FSIZE, &lower) == 0;
    }
    ~file_size_limit() {
        setrlimit(RLIMIT_FSIZE, &old_);
        std::signal(SIGXFSZ, old_handler_);
    }
    bool ok() const { return ok_; }

  private:
    rlimit old_{};
    void (*old_handler_)(int) = nullptr;
    bool ok_ = false;
};

TEST_F(Checkpoint, WriteFailureMidwayKeepsThePreviousCheckpoint) {
    const auto first = random_params<net_f>(1), second = random_params<net_f>(2);
    const fs::path path = file("net.ckpt");
    ctnn::save_checkpoint<net_f>(path, *first);
    {
        file_size_limit limit(100);
        ASSERT_TRUE(limit.ok());
        expect_io_error([&] { ctnn::save_checkpoint<net_f>(path, *second); }, "file", {"write failed", "unchanged"});
    }
    EXPECT_EQ(listing(dir()), std::vector<std::string>{"net.ckpt"}) << "the temporary file must be removed";
    auto loaded = std::make_unique<net_f::parameters>();
    ctnn::load_checkpoint<net_f>(path, *loaded);
    EXPECT_TRUE(same_bits<net_f>(*loaded, *first));
}
#endif

} // namespace
