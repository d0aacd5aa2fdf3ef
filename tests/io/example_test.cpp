// The io example of the docs, compiled and run: a model trained in PyTorch, exported with
// tools/torch_to_npz.py, loaded into the equivalent ctnn network, checkpointed and reloaded.
#include <ctnn/ctnn.hpp>
#include <ctnn/io/checkpoint.hpp>
#include <ctnn/io/npz.hpp>

#include "io_test_util.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using namespace ctnn::io_test;

class IoExample : public temp_dir_test {};

TEST_F(IoExample, FromPyTorchToCheckpoint) {
    const fs::path exported = data_dir / "lenet_demo.npz"; // python3 tools/torch_to_npz.py model.pt lenet.npz
    const fs::path checkpoint = file("lenet.ckpt");
    const std::vector<float> images = ctnn::read_npy(data_dir / "lenet_demo_input.npy").values<float>();

    // docs begin
    using net = ctnn::network<ctnn::input<1, 12, 12>,                                     //
                              ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu, ctnn::max_pool2d<2>, //
                              ctnn::conv2d<8, 3>, ctnn::relu, ctnn::max_pool2d<2>,               //
                              ctnn::flatten, ctnn::dense<16>, ctnn::relu, ctnn::dense<5>>;
    ctnn::model<net> m(3);
    // The state_dict's keys are PyTorch's ("0.weight", "3.weight", ...): match in order.
    ctnn::load_npz<net>(exported, m.params(), {ctnn::npz_match::in_order});
    std::vector<float> scores(3 * net::output_size);
    m.forward(images, scores);

    ctnn::save_checkpoint<net>(checkpoint, m.params()); // atomic: a failure keeps the old file
    ctnn::model<net> restored(3);
    ctnn::load_checkpoint<net>(checkpoint, restored.params()); // refuses any other network
    // docs end

    std::vector<float> again(scores.size());
    restored.forward(images, again);
    EXPECT_EQ(again, scores);
    const auto torch = ctnn::read_npy(data_dir / "lenet_demo_output.npy").values<float>();
    for (std::size_t i = 0; i < scores.size(); ++i) EXPECT_NEAR(scores[i], torch[i], 1e-5);
}

} // namespace
