// PyTorch -> ONNX -> ctnn: the small CNN of make_model.py (committed in data/), converted at
// build time by tools/onnx2ctnn.py twice, with its weights embedded in the header
// (torch_cnn_embed.hpp) and in a checkpoint beside it (torch_cnn_checkpoint.hpp + .ctnn),
// gives PyTorch's outputs for the whole committed batch.
#include "torch_cnn_checkpoint.hpp"
#include "torch_cnn_embed.hpp"

#include <ctnn/ctnn.hpp>
#include <ctnn/io/checkpoint.hpp>
#include <ctnn/io/npy.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path data_dir = CTNN_TORCH_TEST_DATA;
const fs::path checkpoint = CTNN_TORCH_TEST_CHECKPOINT;

constexpr double rtol = 1e-4, atol = 1e-5;

// make_model.py: Conv2d(3, 4, 3) + BatchNorm2d, ReLU, MaxPool2d(2), Conv2d(4, 8, 3, padding=1),
// ReLU, MaxPool2d(2) (floor: 7 -> 3), Dropout, Flatten, Linear(72, 16), ReLU, Linear(16, 10), LogSoftmax.
using net = torch_cnn_embed::model;
static_assert(std::is_same_v<net, torch_cnn_checkpoint::model>, "both weight modes give the same network type");
static_assert(net::input_shape == ctnn::shape<3, 16, 16>{});
static_assert(net::output_shape == ctnn::shape<10>{});
// BatchNorm folded into the first convolution: only the convolutions and dense layers hold parameters.
static_assert(net::param_count == (4 * 3 * 9 + 4) + (8 * 4 * 9 + 8) + (72 * 16 + 16) + (16 * 10 + 10));
static_assert(torch_cnn_embed::batch_is_first_axis);
static_assert(torch_cnn_embed::onnx_input_shape == std::array<std::int64_t, 4>{5, 3, 16, 16});
static_assert(torch_cnn_embed::onnx_output_shape == std::array<std::int64_t, 2>{5, 10});

struct fixture {
    std::vector<float> input, expected;
    std::size_t batch = 0;
};

fixture read_fixture() {
    const ctnn::npy_array in = ctnn::read_npy(data_dir / "input.npy");
    const ctnn::npy_array out = ctnn::read_npy(data_dir / "expected.npy");
    fixture f{in.values<float>(), out.values<float>(), in.shape.empty() ? 0 : in.shape[0]};
    const std::vector<std::size_t> in_shape(torch_cnn_embed::onnx_input_shape.begin(),
                                            torch_cnn_embed::onnx_input_shape.end());
    const std::vector<std::size_t> out_shape(torch_cnn_embed::onnx_output_shape.begin(),
                                             torch_cnn_embed::onnx_output_shape.end());
    EXPECT_EQ(in.shape, in_shape) << "input.npy does not match the model's ONNX input";
    EXPECT_EQ(out.shape, out_shape) << "expected.npy does not match the model's ONNX output";
    return f;
}

std::vector<float> run(const net::parameters& p, const std::vector<float>& input) {
    const std::size_t batch = input.size() / net::input_size;
    std::vector<float> out(batch * net::output_size);
    ctnn::workspace<net> ws(batch);
    net::forward(p, input, out, ws);
    return out;
}

void expect_matches_torch(const net::parameters& p) {
    const fixture f = read_fixture();
    ASSERT_EQ(f.batch, 5u);
    ASSERT_EQ(f.input.size(), f.batch * net::input_size);
    ASSERT_EQ(f.expected.size(), f.batch * net::output_size);
    const std::vector<float> out = run(p, f.input);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const double want = f.expected[i], got = out[i];
        EXPECT_LE(std::abs(got - want), atol + rtol * std::abs(want))
            << "sample " << i / net::output_size << ", class " << i % net::output_size << ": ctnn " << got
            << ", PyTorch " << want;
    }
    // Not vacuous: log-probabilities of each sample sum to 1 and are not all alike.
    for (std::size_t s = 0; s < f.batch; ++s) {
        const auto first = f.expected.begin() + static_cast<std::ptrdiff_t>(s * net::output_size);
        double sum = 0;
        for (auto it = first; it != first + net::output_size; ++it) sum += std::exp(static_cast<double>(*it));
        EXPECT_NEAR(sum, 1.0, 1e-5);
        EXPECT_GT(*std::max_element(first, first + net::output_size) -
                      *std::min_element(first, first + net::output_size),
                  0.1f);
    }
}

TEST(OnnxTorch, EmbeddedWeightsMatchPyTorch) {
    auto p = std::make_unique<net::parameters>();
    torch_cnn_embed::load(*p);
    expect_matches_torch(*p);
}

TEST(OnnxTorch, EmbeddedWeightsRunInPlace) {
    // The embedded array is the whole parameter block: forward() reads it without a copy.
    static_assert(std::size(torch_cnn_embed::weights) == net::param_storage);
    const fixture f = read_fixture();
    std::vector<float> out(f.batch * net::output_size);
    ctnn::workspace<net> ws(f.batch);
    net::forward(std::span<const float, net::param_storage>(torch_cnn_embed::weights), f.input, out, ws);
    auto p = std::make_unique<net::parameters>();
    torch_cnn_embed::load(*p);
    EXPECT_EQ(out, run(*p, f.input));
}

TEST(OnnxTorch, CheckpointWeightsMatchPyTorch) {
    auto p = std::make_unique<net::parameters>();
    torch_cnn_checkpoint::load(*p, checkpoint);
    expect_matches_torch(*p);
}

TEST(OnnxTorch, BothModesLoadTheSameBits) {
    auto embedded = std::make_unique<net::parameters>();
    auto loaded = std::make_unique<net::parameters>();
    torch_cnn_embed::load(*embedded);
    torch_cnn_checkpoint::load(*loaded, checkpoint);
    EXPECT_TRUE(embedded->values == loaded->values);
}

TEST(OnnxTorch, CheckpointOfAnotherNetworkIsRefused) {
    using other = ctnn::network<ctnn::input<1, 4, 4>, ctnn::flatten, ctnn::dense<2>>;
    auto p = std::make_unique<other::parameters>();
    ASSERT_TRUE(fs::exists(checkpoint)) << checkpoint;
    try {
        ctnn::load_checkpoint<other>(checkpoint, *p);
        ADD_FAILURE() << "a checkpoint of another network was loaded";
    } catch (const ctnn::io_error& e) {
        EXPECT_NE(std::string(e.what()).find("another network"), std::string::npos) << e.what();
    }
}

} // namespace
