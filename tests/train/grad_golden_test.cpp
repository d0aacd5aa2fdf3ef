// Float gradients against PyTorch autograd (fixtures from make_grad_golden.py): the same
// weights, input and labels give the same cross-entropy loss and the same gradient of
// every trainable tensor, BatchNorm in training mode included.
#include <ctnn/ctnn.hpp>
#include <ctnn/train/engine.hpp>
#include <ctnn/train/loss.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace ctnn;

struct fixture {
    std::vector<std::pair<std::string, std::vector<double>>> items;
    std::size_t at = 0;
    const std::vector<double>& next(const std::string& prefix) {
        EXPECT_LT(at, items.size());
        EXPECT_EQ(items[at].first.rfind(prefix, 0), 0u) << "item " << at << " is " << items[at].first;
        return items[at++].second;
    }
};

fixture load(const std::string& name) {
    std::ifstream f(std::string(CTNN_GRAD_GOLDEN_DIR) + "/" + name + ".txt");
    EXPECT_TRUE(f) << "missing fixture " << name;
    fixture fx;
    std::string key;
    std::size_t n = 0;
    while (f >> key >> n) {
        std::vector<double> v(n);
        for (auto& x : v) f >> x;
        fx.items.emplace_back(key, std::move(v));
    }
    return fx;
}

template <class Net>
void check(const std::string& name, std::size_t batch) {
    fixture fx = load(name);
    auto p = std::make_unique<typename Net::parameters>();
    for (const auto& t : Net::tensors) {
        const auto& v = fx.next("param.");
        ASSERT_EQ(v.size(), t.tensor.size) << name << " tensor " << t.entry << "." << t.tensor.name;
        for (std::size_t i = 0; i < v.size(); ++i) p->values[t.offset + i] = static_cast<float>(v[i]);
    }
    const auto& x64 = fx.next("input");
    std::vector<float> x(x64.begin(), x64.end());
    ASSERT_EQ(x.size(), batch * Net::input_size);
    const auto& y64 = fx.next("labels");
    std::vector<unsigned> y;
    for (double v : y64) y.push_back(static_cast<unsigned>(v));
    const double expected_loss = fx.next("loss")[0];

    training_workspace<Net> ws(batch);
    forward_train<Net>(*p, x.data(), batch, ws);
    const loss_stats s = softmax_cross_entropy::evaluate<Net, unsigned>(train_output<Net>(ws, batch, x.data()), y,
                                                                          batch, ws.delta(0));
    EXPECT_NEAR(s.mean_loss(), expected_loss, 1e-5 * std::max(1.0, expected_loss)) << name;
    backward<Net, softmax_cross_entropy::start_entry<Net>>(*p, x.data(), batch, ws);
    const auto g = ws.gradients();
    // Tolerance relative to the largest gradient of the whole network: a tensor whose true
    // gradient is zero (a conv bias before BatchNorm) still gets float rounding noise.
    double scale = 1e-3;
    for (std::size_t k = fx.at; k < fx.items.size(); ++k)
        for (double v : fx.items[k].second) scale = std::max(scale, std::abs(v));
    for (const auto& t : Net::tensors) {
        if (!t.tensor.trainable) continue;
        const auto& expected = fx.next("grad.");
        ASSERT_EQ(expected.size(), t.tensor.size);
        double worst = 0;
        for (std::size_t i = 0; i < expected.size(); ++i)
            worst = std::max(worst, std::abs(static_cast<double>(g[t.offset + i]) - expected[i]));
        EXPECT_LE(worst, 2e-5 * scale) << name << " gradient of " << t.entry << "." << t.tensor.name << ": worst "
                                       << worst << " at scale " << scale;
    }
}

TEST(GradGolden, LenetLayersAgainstAutograd) {
    using net = network<input<1, 16, 16>, conv2d<6, 5, pad<2>>, relu, max_pool2d<2>, conv2d<16, 5>, relu,
                        max_pool2d<2>, flatten, dense<32>, relu, dense<16>, relu, dense<10>>;
    check<net>("lenet16", 4);
}

TEST(GradGolden, StridesAvgPoolBatchNormAgainstAutograd) {
    using net = network<input<3, 13, 11>, conv2d<8, 3, stride<2>, pad<1>>, batch_norm<>, ctnn::tanh,
                        avg_pool2d<3, stride<2>, pad<1>, ceil_mode>, conv2d<5, hw{3, 2}, stride<1, 2>, no_bias>,
                        leaky_relu<0.2>, flatten, dense<12>, batch_norm<>, relu, dense<7>>;
    check<net>("mixed", 5);
}

} // namespace
