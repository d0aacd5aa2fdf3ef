// PyTorch to ctnn through .npz: the demo CNN of tools/torch_to_npz.py (committed in data/)
// loaded into the equivalent ctnn network gives PyTorch's outputs; save_npz and load_npz
// round trip; mismatched archives are refused by key and shape, leaving parameters alone.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/npz.hpp>

#include "ctnn_test_util.hpp"
#include "io_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace {

using namespace ctnn::io_test;

// nn.Sequential(Conv2d(1, 4, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(4, 8, 3), ReLU,
//               MaxPool2d(2), Flatten, Linear(32, 16), ReLU, Linear(16, 5))
template <class T>
using demo_net = ctnn::basic_network<T, ctnn::input<1, 12, 12>,                                   //
                                     ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu, ctnn::max_pool2d<2>, //
                                     ctnn::conv2d<8, 3>, ctnn::relu, ctnn::max_pool2d<2>,               //
                                     ctnn::flatten, ctnn::dense<16>, ctnn::relu, ctnn::dense<5>>;

template <class T>
std::vector<T> forward(const typename demo_net<T>::parameters& p, const std::vector<T>& in) {
    using net = demo_net<T>;
    const std::size_t batch = in.size() / net::input_size;
    std::vector<T> out(batch * net::output_size);
    ctnn::workspace<net> ws(batch);
    net::forward(p, in, out, ws);
    return out;
}

template <class T>
void expect_matches_torch(const char* npz, const char* output, double tolerance) {
    using net = demo_net<T>;
    auto p = std::make_unique<typename net::parameters>();
    ctnn::load_npz<net>(data_dir / npz, *p, {ctnn::npz_match::in_order});
    const auto in = ctnn::read_npy(data_dir / "lenet_demo_input.npy").values<T>();
    const auto torch = ctnn::read_npy(data_dir / output).values<double>();
    ASSERT_EQ(in.size(), 3 * net::input_size);
    ASSERT_EQ(torch.size(), 3 * net::output_size);
    const auto out = forward<T>(*p, in);
    const double scale = ctnn::test::scale_of<double>(torch);
    EXPECT_LE((ctnn::test::max_abs_diff<T, double>(out, torch)), tolerance * scale);
    // Not vacuous: the outputs are far from zero and from each other.
    EXPECT_GT(scale, 0.5);
}

TEST(TorchImport, DemoMatchesPyTorchFloat) {
    expect_matches_torch<float>("lenet_demo.npz", "lenet_demo_output.npy", 1e-5);
    expect_matches_torch<float>("lenet_demo_compressed.npz", "lenet_demo_output.npy", 1e-5);
}

TEST(TorchImport, DemoMatchesPyTorchDouble) {
    // float32 weights widened to double, against PyTorch run in float64.
    expect_matches_torch<double>("lenet_demo.npz", "lenet_demo_output_f64.npy", 1e-12);
}

TEST(TorchImport, ByNameExplainsTorchKeys) {
    using net = demo_net<float>;
    auto p = std::make_unique<net::parameters>();
    expect_io_error([&] { ctnn::load_npz<net>(data_dir / "lenet_demo.npz", *p); }, "array '1.weight'",
                    {"missing", "(4, 1, 3, 3)", "0.weight, 0.bias, 3.weight", "npz_match::in_order"});
}

template <class T>
class NpzRoundTrip : public temp_dir_test {};
using element_types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(NpzRoundTrip, element_types);

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

TYPED_TEST(NpzRoundTrip, SaveThenLoadIsIdentity) {
    using net = demo_net<TypeParam>;
    const auto saved = random_params<net>(21);
    ctnn::save_npz<net>(this->file("p.npz"), *saved);
    auto loaded = std::make_unique<typename net::parameters>();
    ctnn::load_npz<net>(this->file("p.npz"), *loaded);
    EXPECT_TRUE(same_bits<net>(*saved, *loaded));
    ctnn::load_npz<net>(this->file("p.npz"), *loaded, {ctnn::npz_match::in_order});
    EXPECT_TRUE(same_bits<net>(*saved, *loaded));

    const auto archive = ctnn::read_npz(this->file("p.npz"));
    ASSERT_EQ(archive.entries.size(), 8u);
    EXPECT_EQ(archive.entries[2].key, "4.weight");
    EXPECT_EQ(archive.entries[2].array.shape, (std::vector<std::size_t>{8, 4, 3, 3}));
    EXPECT_EQ(archive.entries[2].array.dtype, ctnn::npy_dtype_of<TypeParam>());
    EXPECT_EQ(archive.entries[7].key, "10.bias");
}

class NpzLoad : public ::testing::Test {
  protected:
    using net = demo_net<float>;
    void SetUp() override {
        archive_ = ctnn::to_npz<net>(*random_params<net>(4));
        sentinel_ = random_params<net>(77);
    }
    std::string refuse(const ctnn::npz_archive& a, const ctnn::npz_options& o, const std::string& field,
                       std::initializer_list<std::string> words = {}) {
        auto dest = std::make_unique<net::parameters>(*sentinel_);
        const std::string msg = expect_io_error([&] { ctnn::load_npz<net>(a, *dest, o, "x.npz"); }, field, words);
        EXPECT_TRUE(same_bits<net>(*dest, *sentinel_)) << "parameters changed by a failed load";
        return msg;
    }
    ctnn::npz_archive archive_;
    std::unique_ptr<net::parameters> sentinel_;
};

TEST_F(NpzLoad, Float64ArraysFitAFloatNetwork) {
    using net64 = demo_net<double>;
    const auto wide = random_params<net64>(8);
    auto p = std::make_unique<net::parameters>();
    ctnn::load_npz<net>(ctnn::to_npz<net64>(*wide), *p, {}, "x.npz");
    static_assert(net::tensors.size() == net64::tensors.size());
    for (std::size_t k = 0; k < net::tensors.size(); ++k) // offsets differ: alignment is in bytes
        for (std::size_t i = 0; i < net::tensors[k].tensor.size; ++i)
            ASSERT_EQ(p->values[net::tensors[k].offset + i], static_cast<float>(wide->values[net64::tensors[k].offset + i]));
}

TEST_F(NpzLoad, SkipsBufferKeysOnlyWhenAsked) {
    auto with_counter = archive_;
    with_counter.entries.insert(with_counter.entries.begin() + 2,
                                {"1.num_batches_tracked", ctnn::npy_array::from<std::int64_t>(std::vector<std::int64_t>{7}, {})});
    refuse(with_counter, {}, "array '1.num_batches_tracked'", {"not a tensor of this network", "npz_options::skip"});
    refuse(with_counter, {ctnn::npz_match::in_order}, "array '1.num_batches_tracked'",
           {"expected shape (8, 4, 3, 3)", "ctnn tensor '4.weight'", "found ()"});
    const auto expected = ctnn::to_npz<net>(*random_params<net>(4));
    for (auto match : {ctnn::npz_match::by_name, ctnn::npz_match::in_order}) {
        auto dest = std::make_unique<net::parameters>(*sentinel_);
        ctnn::load_npz<net>(with_counter, *dest, {match, {"num_batches_tracked"}}, "x.npz");
        EXPECT_TRUE(same_bits<net>(*dest, *random_params<net>(4)));
    }
}

TEST_F(NpzLoad, ShapeDtypeAndCountMismatches) {
    auto wrong_shape = archive_;
    wrong_shape.entries[2].array = ctnn::npy_array::from<float>(std::vector<float>(8 * 4 * 9), {8, 4, 9});
    refuse(wrong_shape, {}, "array '4.weight'", {"expected shape (8, 4, 3, 3)", "found (8, 4, 9)", "conv2d"});

    auto transposed = archive_;
    transposed.entries[4].array.shape = {32, 16};
    refuse(transposed, {ctnn::npz_match::in_order}, "array '8.weight'", {"expected shape (16, 32)", "found (32, 16)", "dense"});

    auto ints = archive_;
    ints.entries[1].array = ctnn::npy_array::from<std::int32_t>(std::vector<std::int32_t>(4), {4});
    refuse(ints, {}, "array '1.bias'", {"float32 or float64", "'<i4'"});

    auto short_one = archive_;
    short_one.entries.pop_back();
    refuse(short_one, {ctnn::npz_match::in_order}, "array 7", {"nothing for ctnn tensor '10.bias'", "(5,)"});
    refuse(short_one, {}, "array '10.bias'", {"missing", "(5,)"});

    auto too_big = archive_;
    too_big.entries[7].array = ctnn::npy_array::from<double>(std::vector<double>{0, 0, 1e300, 0, 0}, {5});
    refuse(too_big, {}, "array '10.bias'", {"element 2", "beyond the range of float"});

    auto long_one = archive_;
    long_one.entries.push_back({"extra", ctnn::npy_array::from<float>(std::vector<float>(3), {3})});
    refuse(long_one, {ctnn::npz_match::in_order}, "array 'extra'", {"not a tensor of this network"});
}

} // namespace
