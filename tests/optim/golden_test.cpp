// Optimizers against torch.optim: 5 steps from fixed parameters with fixed gradients, every
// case of data/optimizers.golden (format in make_golden.py), in double (1e-12) and float
// (1e-5), relative to max(1, |torch|). The block's alignment gaps start as a sentinel and
// the gradients' gaps as NaN: the gaps must come out unchanged.
#include <ctnn/train/optimizer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "optim_nets.hpp"

namespace {

struct golden_case {
    std::string name, kind;
    std::map<std::string, double> options;
    std::vector<std::optional<double>> lr;    // per step: a new learning rate, or none
    std::vector<std::vector<double>> params; // per step, after it
};

struct golden_file {
    std::vector<double> start;
    std::vector<std::vector<double>> grads;
    std::vector<golden_case> cases;
};

std::vector<double> numbers(std::istringstream& line) {
    std::vector<double> v;
    for (std::string word; line >> word;) v.push_back(std::stod(word));
    return v;
}

const golden_file& golden() {
    static const golden_file file = [] {
        golden_file f;
        std::ifstream in(CTNN_OPTIM_GOLDEN);
        std::optional<double> pending_lr;
        for (std::string text; std::getline(in, text);) {
            std::istringstream line(text);
            std::string key;
            if (!(line >> key) || key[0] == '#') continue;
            if (key == "start") {
                f.start = numbers(line);
            } else if (key == "grad") {
                f.grads.push_back(numbers(line));
            } else if (key == "case") {
                golden_case c;
                line >> c.name >> c.kind;
                std::string option;
                double value = 0;
                while (line >> option >> value) c.options[option] = value;
                f.cases.push_back(c);
            } else if (key == "lr") {
                double v = 0;
                line >> v;
                pending_lr = v;
            } else if (key == "param" && !f.cases.empty()) {
                f.cases.back().lr.push_back(pending_lr);
                f.cases.back().params.push_back(numbers(line));
                pending_lr.reset();
            } else {
                ADD_FAILURE() << "optimizers.golden: unknown record " << key;
            }
        }
        return f;
    }();
    return file;
}

std::vector<std::string> case_names() {
    std::vector<std::string> names;
    for (const auto& c : golden().cases) names.push_back(c.name);
    return names;
}

const golden_case& find_case(const std::string& name) {
    for (const auto& c : golden().cases)
        if (c.name == name) return c;
    throw std::logic_error("no golden case " + name);
}

/// Takes the case's options into an options struct; an option the test does not know fails.
class option_reader {
  public:
    explicit option_reader(const std::map<std::string, double>& o) : left_(o) {}
    void read(const char* key, double& field) {
        if (auto it = left_.find(key); it != left_.end()) field = it->second, left_.erase(it);
    }
    void read(const char* key, bool& field) {
        if (auto it = left_.find(key); it != left_.end()) field = it->second != 0, left_.erase(it);
    }
    ~option_reader() {
        for (const auto& [key, value] : left_) ADD_FAILURE() << "option " << key << " is not read by the test";
    }

  private:
    std::map<std::string, double> left_;
};

template <class T, template <class> class Optimizer, class Options>
void run(const golden_case& c, const Options& options, double tol) {
    using net = ctnn::test::golden_net<T>;
    const golden_file& f = golden();
    const auto gap = ctnn::test::gap_mask<net>();
    const T sentinel = T(777.25);

    typename net::parameters p;
    std::vector<T> grads(net::param_storage, std::numeric_limits<T>::quiet_NaN());
    std::fill(p.values.begin(), p.values.end(), sentinel);
    auto scatter = [](const std::vector<double>& flat, std::span<T> block) {
        std::size_t at = 0;
        for (const ctnn::network_tensor& t : net::tensors)
            for (std::size_t i = 0; i < t.tensor.size; ++i) block[t.offset + i] = static_cast<T>(flat[at++]);
        ASSERT_EQ(at, flat.size());
    };
    scatter(f.start, p.values);

    Optimizer<net> opt(options);
    for (std::size_t s = 0; s < c.params.size(); ++s) {
        SCOPED_TRACE("step " + std::to_string(s + 1));
        if (c.lr[s]) opt.set_learning_rate(*c.lr[s]);
        scatter(f.grads[s], grads);
        opt.step(p.values, grads);

        double worst = 0, scale = 1;
        std::size_t at = 0;
        for (const ctnn::network_tensor& t : net::tensors)
            for (std::size_t i = 0; i < t.tensor.size; ++i, ++at) {
                const double want = c.params[s][at], got = static_cast<double>(p.values[t.offset + i]);
                worst = std::max(worst, std::isnan(got) ? INFINITY : std::abs(got - want));
                scale = std::max(scale, std::abs(want));
            }
        EXPECT_LE(worst, tol * scale);
        for (std::size_t i = 0; i < net::param_storage; ++i)
            if (gap[i]) {
                EXPECT_EQ(p.values[i], sentinel) << "gap element " << i;
            }
    }
    EXPECT_EQ(opt.steps(), c.params.size());
}

template <class T>
void run_case(const golden_case& c, double tol) {
    option_reader r(c.options);
    if (c.kind == "sgd") {
        ctnn::sgd_options o;
        r.read("learning_rate", o.learning_rate), r.read("momentum", o.momentum), r.read("dampening", o.dampening);
        r.read("nesterov", o.nesterov), r.read("weight_decay", o.weight_decay);
        run<T, ctnn::sgd>(c, o, tol);
    } else if (c.kind == "adagrad") {
        ctnn::adagrad_options o;
        r.read("learning_rate", o.learning_rate), r.read("lr_decay", o.lr_decay), r.read("eps", o.eps);
        r.read("weight_decay", o.weight_decay), r.read("initial_accumulator_value", o.initial_accumulator_value);
        run<T, ctnn::adagrad>(c, o, tol);
    } else if (c.kind == "adadelta") {
        ctnn::adadelta_options o;
        r.read("learning_rate", o.learning_rate), r.read("rho", o.rho), r.read("eps", o.eps);
        r.read("weight_decay", o.weight_decay);
        run<T, ctnn::adadelta>(c, o, tol);
    } else if (c.kind == "rmsprop") {
        ctnn::rmsprop_options o;
        r.read("learning_rate", o.learning_rate), r.read("alpha", o.alpha), r.read("eps", o.eps);
        r.read("weight_decay", o.weight_decay), r.read("momentum", o.momentum), r.read("centered", o.centered);
        run<T, ctnn::rmsprop>(c, o, tol);
    } else if (c.kind == "adam") {
        ctnn::adam_options o;
        r.read("learning_rate", o.learning_rate), r.read("beta1", o.beta1), r.read("beta2", o.beta2);
        r.read("eps", o.eps), r.read("weight_decay", o.weight_decay), r.read("amsgrad", o.amsgrad);
        run<T, ctnn::adam>(c, o, tol);
    } else {
        ADD_FAILURE() << "unknown optimizer " << c.kind;
    }
}

TEST(OptimizerGoldenFile, HoldsEveryCase) {
    const golden_file& f = golden();
    ASSERT_EQ(f.start.size(), ctnn::test::golden_net<double>::param_count);
    ASSERT_EQ(f.grads.size(), 5u);
    for (const auto& g : f.grads) EXPECT_EQ(g.size(), f.start.size());
    EXPECT_EQ(f.cases.size(), 21u);
    std::map<std::string, int> kinds;
    for (const auto& c : f.cases) {
        ++kinds[c.kind];
        EXPECT_EQ(c.params.size(), 5u) << c.name;
        for (const auto& p : c.params) EXPECT_EQ(p.size(), f.start.size()) << c.name;
    }
    for (const char* k : {"sgd", "adagrad", "adadelta", "rmsprop", "adam"}) EXPECT_GE(kinds[k], 2) << k;
}

class OptimizerGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(OptimizerGolden, InDouble) { run_case<double>(find_case(GetParam()), 1e-12); }
TEST_P(OptimizerGolden, InFloat) { run_case<float>(find_case(GetParam()), 1e-5); }

INSTANTIATE_TEST_SUITE_P(Torch, OptimizerGolden, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& case_info) { return case_info.param; });

} // namespace
