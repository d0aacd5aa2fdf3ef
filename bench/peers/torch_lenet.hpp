// LeNet-5 in libtorch, the same network as ctnn's README and examples/mnist_train:
// conv 6@5x5 pad 2, relu, max pool 2, conv 16@5x5, relu, max pool 2, 400 -> 120 relu ->
// 84 relu -> 10 (softmax for inference; cross-entropy on the logits for training).
// Shared by the libtorch benchmarks and the epoch comparison. Also: what this process's
// BLAS is (libtorch calls it through libblas.so.3, which Debian's alternatives point at
// OpenBLAS when libopenblas0-* is installed).
#pragma once

#include <torch/torch.h>

#include <dlfcn.h>

#include <string>

namespace ctnn_bench {

struct lenet_torchImpl : torch::nn::Module {
    torch::nn::Conv2d conv1{torch::nn::Conv2dOptions(1, 6, 5).padding(2)};
    torch::nn::Conv2d conv2{torch::nn::Conv2dOptions(6, 16, 5)};
    torch::nn::Linear fc1{400, 120}, fc2{120, 84}, fc3{84, 10};

    lenet_torchImpl() {
        register_module("conv1", conv1);
        register_module("conv2", conv2);
        register_module("fc1", fc1);
        register_module("fc2", fc2);
        register_module("fc3", fc3);
    }
    torch::Tensor logits(torch::Tensor x) {
        namespace F = torch::nn::functional;
        x = F::max_pool2d(torch::relu(conv1(x)), F::MaxPool2dFuncOptions(2));
        x = F::max_pool2d(torch::relu(conv2(x)), F::MaxPool2dFuncOptions(2));
        x = x.flatten(1);
        x = torch::relu(fc1(x));
        x = torch::relu(fc2(x));
        return fc3(x);
    }
    torch::Tensor forward(torch::Tensor x) { return torch::softmax(logits(x), 1); }
};
TORCH_MODULE(lenet_torch);

/// "OpenBLAS <version> <core> (<library path>)", or what else provides sgemm_.
inline std::string blas_description() {
    std::string where = "unknown";
    if (void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_")) {
        Dl_info info{};
        if (dladdr(sgemm, &info) && info.dli_fname) where = info.dli_fname;
    }
    using str_fn = char* (*)();
    auto config = reinterpret_cast<str_fn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
    auto core = reinterpret_cast<str_fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    if (config && core) return std::string(config()) + ", core " + core() + " (" + where + ")";
    return "not OpenBLAS (" + where + ")";
}

} // namespace ctnn_bench
