// The trainer: loss goes down on a learnable problem, results do not depend on the thread
// count, metrics reach the CSV and SVG files, early stopping and best-restore work.
#include <ctnn/ctnn.hpp>
#include <ctnn/train/trainer.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "ctnn_test_util.hpp"

namespace {

using namespace ctnn;

// Plain SGD, local to this test (the library's optimizers are tested in tests/optim).
struct plain_sgd {
    double lr;
    void step(std::span<float> p, std::span<const float> g) {
        for (std::size_t i = 0; i < p.size(); ++i) p[i] -= static_cast<float>(lr) * g[i];
    }
    double learning_rate() const { return lr; }
    void set_learning_rate(double v) { lr = v; }
};

// Four classes: which quadrant of a 6 x 6 image holds the bright blob.
using net = network<input<1, 6, 6>, conv2d<4, 3, pad<1>>, relu, max_pool2d<2>, flatten, dense<16>, batch_norm<>, relu,
                    dropout<0.1>, dense<4>, softmax>;

struct data {
    std::vector<float> x;
    std::vector<unsigned> y;
    dataset_view<float, unsigned> view() const { return {x, y, y.size()}; }
};

data make_data(std::size_t n, unsigned seed) {
    data d;
    const auto noise = test::random_vector<float>(n * 36, seed, 0.0f, 0.3f);
    d.x = noise;
    for (std::size_t s = 0; s < n; ++s) {
        const unsigned q = static_cast<unsigned>((s * 7 + seed) % 4);
        d.y.push_back(q);
        const std::size_t r0 = (q / 2) * 3, c0 = (q % 2) * 3;
        for (std::size_t r = 0; r < 3; ++r)
            for (std::size_t c = 0; c < 3; ++c) d.x[s * 36 + (r0 + r) * 6 + c0 + c] += 1.0f;
    }
    return d;
}

std::unique_ptr<net::parameters> initial_params() {
    auto p = std::make_unique<net::parameters>();
    const auto v = test::random_vector<float>(net::param_storage, 3, -0.4f, 0.4f);
    std::copy(v.begin(), v.end(), p->values.begin());
    static_assert(net::layer<6>::name == "batch_norm");
    for (const auto& t : net::tensors) // batch_norm: weight 1, running variance 1, the rest 0
        if (t.entry == 6)
            for (std::size_t i = 0; i < t.tensor.size; ++i)
                p->values[t.offset + i] = (t.tensor.name == "weight" || t.tensor.name == "running_var") ? 1.0f : 0.0f;
    return p;
}

TEST(Trainer, LearnsAndIsThreadIndependent) {
    const auto train = make_data(200, 1), val = make_data(60, 2);
    std::vector<epoch_record> runs[2];
    std::unique_ptr<net::parameters> finals[2];
    for (int k = 0; k < 2; ++k) {
        finals[k] = initial_params();
        std::ostringstream log;
        train_options o;
        o.epochs = 6;
        o.batch_size = 16;
        o.threads = k == 0 ? 1 : 2;
        o.log = &log;
        o.progress = 0;
        trainer<net> t(*finals[k], o);
        plain_sgd sgd{0.1};
        runs[k] = t.fit(sgd, train.view(), val.view());
        EXPECT_NE(log.str().find("epoch 6/6"), std::string::npos) << log.str();
    }
    ASSERT_EQ(runs[0].size(), 6u);
    EXPECT_LT(runs[0].back().train_loss, runs[0].front().train_loss * 0.7);
    EXPECT_GT(runs[0].back().val_accuracy, 0.9);
    for (std::size_t e = 0; e < 6; ++e) {
        EXPECT_EQ(runs[0][e].train_loss, runs[1][e].train_loss) << "epoch " << e + 1;
        EXPECT_EQ(runs[0][e].val_loss, runs[1][e].val_loss) << "epoch " << e + 1;
    }
    EXPECT_EQ(finals[0]->values, finals[1]->values);
}

TEST(Trainer, WritesCsvAndPlotAndStopsEarly) {
    const auto dir = std::filesystem::temp_directory_path() / ("ctnn_trainer_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto train = make_data(64, 3), val = make_data(32, 4);
    auto p = initial_params();
    std::ostringstream log;
    train_options o;
    o.epochs = 50;
    o.batch_size = 64;
    o.patience = 2;
    o.log = &log;
    o.progress = 0;
    o.csv_path = (dir / "m.csv").string();
    o.plot_path = (dir / "m.svg").string();
    std::size_t callbacks = 0;
    o.on_epoch = [&](const epoch_record&, std::span<const std::byte> bytes) {
        ++callbacks;
        EXPECT_EQ(bytes.size(), net::param_bytes);
    };
    trainer<net> t(*p, o);
    plain_sgd sgd{5.0}; // far too large: validation loss soon stops improving
    const auto h = t.fit(sgd, train.view(), val.view());
    EXPECT_LT(h.size(), 50u);
    EXPECT_EQ(callbacks, h.size());
    EXPECT_NE(log.str().find("stopping early"), std::string::npos);
    std::ifstream csv(o.csv_path);
    std::string header, line;
    std::getline(csv, header);
    EXPECT_EQ(header, "epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds,learning_rate,improved");
    std::size_t rows = 0;
    while (std::getline(csv, line)) ++rows;
    EXPECT_EQ(rows, h.size());
    std::ifstream svg(o.plot_path);
    std::stringstream s;
    s << svg.rdbuf();
    EXPECT_NE(s.str().find("<svg"), std::string::npos);
    EXPECT_NE(s.str().find("polyline"), std::string::npos);
    // restore_best: the parameters are the best epoch's, so evaluating gives its val loss.
    double best = 1e300;
    for (const auto& r : h) best = std::min(best, r.val_loss);
    EXPECT_NEAR(t.evaluate(val.view()).mean_loss(), best, 1e-6);
    std::filesystem::remove_all(dir);
}

TEST(Trainer, RejectsMismatchedData) {
    auto p = initial_params();
    trainer<net> t(*p, {});
    std::vector<float> x(35);
    std::vector<unsigned> y(1);
    plain_sgd sgd{0.1};
    EXPECT_THROW(t.fit(sgd, dataset_view<float, unsigned>{x, y, 1}, dataset_view<float, unsigned>{}),
                 std::invalid_argument);
}

} // namespace
