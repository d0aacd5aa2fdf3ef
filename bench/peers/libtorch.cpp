// libtorch on ctnn's benchmark cases, one thread (torch::set_num_threads(1); bench/run
// also sets OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1).
//
// Plain contiguous NCHW tensors, as a libtorch user writes them: inference under
// c10::InferenceMode (no autograd), each call allocating its output as torch does. The
// label of each conv case names the backend torch chose (Mkldnn = oneDNN inside torch,
// with its reorders; Slow2d = im2col + BLAS sgemm).
//   train64/libtorch: one SGD step of LeNet-5 on a batch of 64: zero_grad, forward,
//   cross-entropy on the logits, backward, torch::optim::SGD (momentum 0.9) step.
#include "cases.hpp"
#include "torch_lenet.hpp"

#include <ATen/native/ConvUtils.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <sstream>
#include <string>

namespace {

std::string backend_name(at::native::ConvBackend b) {
    using B = at::native::ConvBackend;
    switch (b) {
    case B::Mkldnn: return "Mkldnn (oneDNN)";
    case B::MkldnnEmpty: return "MkldnnEmpty";
    case B::Slow2d: return "Slow2d (im2col + sgemm)";
    case B::SlowDilated2d: return "SlowDilated2d";
    case B::NnpackSpatial: return "NnpackSpatial";
    case B::Xnnpack2d: return "Xnnpack2d";
    default: return "other (" + std::to_string(int(b)) + ")";
    }
}

torch::Tensor tensor(std::vector<std::int64_t> dims, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::int64_t n = 1;
    for (auto d : dims) n *= d;
    auto v = ctnn_bench::random_values(static_cast<std::size_t>(n), seed, lo, hi);
    return torch::from_blob(v.data(), dims, torch::kFloat32).clone();
}

void conv(benchmark::State& state, const ctnn_bench::conv_case& c) {
    const float scale = 1.0f / float(c.c * c.kh * c.kw);
    const auto x = tensor({c.n, c.c, c.h, c.w}, 3);
    const auto w = tensor({c.k, c.c, c.kh, c.kw}, 7, -scale, scale);
    const auto b = tensor({c.k}, 8, -0.1f, 0.1f);
    const std::vector<std::int64_t> stride{c.stride, c.stride}, pad{c.pad, c.pad}, dil{1, 1}, outpad{0, 0};
    const auto backend = at::native::select_conv_backend(x, w, b, stride, pad, dil, false, outpad, 1);
    c10::InferenceMode guard;
    (void)torch::conv2d(x, w, b, stride, pad); // warm-up
    for (auto _ : state) {
        auto y = torch::conv2d(x, w, b, stride, pad);
        benchmark::DoNotOptimize(y.data_ptr());
    }
    ctnn_bench::set_conv_counters(state, c.macs());
    state.SetLabel(backend_name(backend));
}

void pool(benchmark::State& state, const ctnn_bench::pool_case& p) {
    const auto x = tensor({p.n, p.c, p.h, p.w}, 3);
    c10::InferenceMode guard;
    auto once = [&] {
        return p.max ? torch::max_pool2d(x, {p.window, p.window}, {p.stride, p.stride})
                     : torch::avg_pool2d(x, {p.window, p.window}, {p.stride, p.stride});
    };
    (void)once(); // warm-up
    for (auto _ : state) {
        auto y = once();
        benchmark::DoNotOptimize(y.data_ptr());
    }
    ctnn_bench::set_pool_counters(state, p);
}

void net(benchmark::State& state, int n) {
    torch::manual_seed(1);
    ctnn_bench::lenet_torch model;
    model->eval();
    const auto x = tensor({n, 1, 28, 28}, 11, 0.0f, 1.0f);
    c10::InferenceMode guard;
    (void)model->forward(x); // warm-up
    for (auto _ : state) {
        auto y = model->forward(x);
        benchmark::DoNotOptimize(y.data_ptr());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

void train(benchmark::State& state) {
    const int n = ctnn_bench::train_batch;
    torch::manual_seed(1);
    ctnn_bench::lenet_torch model;
    model->train();
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    const auto x = tensor({n, 1, 28, 28}, 11, 0.0f, 1.0f);
    const auto labels = ctnn_bench::random_labels(n, 12);
    const auto y = torch::tensor(labels, torch::kInt64);
    auto step = [&] {
        opt.zero_grad();
        auto loss = torch::nn::functional::cross_entropy(model->logits(x), y);
        loss.backward();
        opt.step();
        return loss;
    };
    (void)step(); // warm-up (also creates the momentum buffers)
    for (auto _ : state) {
        auto loss = step();
        benchmark::DoNotOptimize(loss.data_ptr());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

} // namespace

int main(int argc, char** argv) {
    torch::set_num_threads(1);
    benchmark::AddCustomContext("libtorch_version", TORCH_VERSION);
    benchmark::AddCustomContext("libtorch_threads", std::to_string(at::get_num_threads()));
    benchmark::AddCustomContext("libtorch_blas", ctnn_bench::blas_description());
    {
        std::istringstream config(torch::show_config());
        for (std::string line; std::getline(config, line);)
            if (auto at = line.find("CPU capability usage: "); at != std::string::npos)
                benchmark::AddCustomContext("libtorch_cpu_capability", line.substr(at + 22));
    }
    for (const auto& c : ctnn_bench::conv_cases) ctnn_bench::add(c.id, "libtorch", [c](benchmark::State& s) { conv(s, c); });
    for (const auto& p : ctnn_bench::pool_cases) ctnn_bench::add(p.id, "libtorch", [p](benchmark::State& s) { pool(s, p); });
    ctnn_bench::add("net1", "libtorch", [](benchmark::State& s) { net(s, 1); });
    ctnn_bench::add("net64", "libtorch", [](benchmark::State& s) { net(s, 64); });
    ctnn_bench::add("train64", "libtorch", [](benchmark::State& s) { train(s); });

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
