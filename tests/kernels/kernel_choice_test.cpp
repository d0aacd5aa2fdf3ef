// The kernel_choice<> option of conv2d: the forced kernel is the one that runs, the reference
// choice takes no scratch and gives the reference bit for bit, and networks that force
// kernels train to the same gradients as one that lets the shape choose.
#include <ctnn/kernels/reference/conv2d.hpp>
#include <ctnn/train/engine.hpp>
#include <ctnn/train/loss.hpp>

#include <cstring>

#include "kernel_test_util.hpp"

namespace ctnn::test {
namespace {

template <class L>
constexpr conv_kernel chosen = kernels::simd::conv2d_forward_kernel<L::geometry, typename L::value_type,
                                                                     L::descriptor::options.kernel>();

using pointwise_auto = ctnn::conv2d<8, 1>::bind<float, ctnn::shape<5, 7, 9>, 1>;
using pointwise_direct = ctnn::conv2d<8, 1, ctnn::kernel_choice<conv_kernel::direct>>::bind<float, ctnn::shape<5, 7, 9>, 1>;
using padded_reference =
    ctnn::conv2d<8, 3, ctnn::pad<1>, ctnn::kernel_choice<conv_kernel::reference>>::bind<float, ctnn::shape<5, 7, 9>, 1>;
static_assert(chosen<pointwise_auto> == conv_kernel::gemm);
static_assert(chosen<pointwise_direct> == conv_kernel::direct);
static_assert(chosen<padded_reference> == conv_kernel::reference);
static_assert(padded_reference::scratch_size == 0, "the reference backward needs no scratch");
static_assert(pointwise_auto::scratch_size > 0);
// LeNet's second convolution (10-wide rows) runs along the channels, its first along the width.
static_assert(kernels::simd::conv2d_direct_by_channels<ctnn::conv2d<16, 5>::bind<float, ctnn::shape<6, 14, 14>, 1>::geometry, float> ||
              kernels::simd::vec<float, kernels::simd::default_arch>::size < 8);
static_assert(!kernels::simd::conv2d_direct_by_channels<ctnn::conv2d<6, 5, ctnn::pad<2>>::bind<float, ctnn::shape<1, 28, 28>, 1>::geometry, float>);

// LeNet's convolutions fuse with their 2x2 max pools (conv1 on the by-width kernel, conv2 on
// the by-channels one where the vector is wide enough to choose it).
template <class L, std::size_t H, std::size_t Wd>
constexpr pool2d_geometry pool_over = {L::geometry.out_c, H, Wd, H / 2, Wd / 2, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false};
using lenet_conv1 = ctnn::conv2d<6, 5, ctnn::pad<2>>::bind<float, ctnn::shape<1, 28, 28>, 1>;
using lenet_conv2 = ctnn::conv2d<16, 5>::bind<float, ctnn::shape<6, 14, 14>, 1>;
static_assert(kernels::simd::conv2d_pool_fusable<lenet_conv1::geometry, float, conv_kernel::automatic,
                                                 pool_over<lenet_conv1, 28, 28>>);
static_assert(kernels::simd::conv2d_pool_fusable<lenet_conv2::geometry, float, conv_kernel::automatic,
                                                 pool_over<lenet_conv2, 10, 10>>);
// Not a 2x2 stride-2 pool over the conv's own output, or not a direct kernel: no fusion.
static_assert(!kernels::simd::conv2d_pool_fusable<lenet_conv1::geometry, float, conv_kernel::automatic,
                                                  pool_over<lenet_conv1, 27, 28>>);
static_assert(!kernels::simd::conv2d_pool_fusable<pointwise_auto::geometry, float, conv_kernel::automatic,
                                                  pool_over<pointwise_auto, 7, 9>>);
static_assert(!kernels::simd::conv2d_pool_fusable<padded_reference::geometry, float, conv_kernel::reference,
                                                  pool_over<padded_reference, 7, 9>>);

template <class L>
std::vector<float> forward_of(const std::vector<float>& in, const std::vector<float>& params, std::size_t batch) {
    std::vector<float> out(batch * L::out_shape::size);
    L::forward(in.data(), out.data(), params.data(), batch);
    return out;
}

// A 1x1 conv whose output (67 x 1023 floats, 274 KB) is over gemm_prefetch_bytes: its GEMM
// asks for the next column block's lines while it works; 67 rows and 1023 columns leave
// rows and lanes over after the register blocks on every ISA.
using pointwise_large = ctnn::conv2d<67, 1>::bind<float, ctnn::shape<13, 31, 33>, 1>;
static_assert(chosen<pointwise_large> == conv_kernel::gemm);
static_assert(kernels::simd::gemm_nn<kernels::simd::default_arch, 31 * 33, float>::prefetch<67>);
static_assert(!kernels::simd::gemm_nn<kernels::simd::default_arch, 7 * 9, float>::prefetch<8>);

TEST(KernelChoice, LargePointwiseGemmWithPrefetchMatchesTheReference) {
    using L = pointwise_large;
    constexpr std::size_t batch = 2, guard = 64;
    const auto in = random_vector<float>(batch * L::in_shape::size, 4);
    const auto params = random_vector<float>(L::param_count, 5);
    std::vector<float> want(batch * L::out_shape::size);
    kernels::reference::conv2d_forward(L::geometry, in.data(), params.data(), params.data() + L::weight_size,
                                       want.data(), batch);
    std::vector<float> got(want.size() + guard, -7.0f);
    L::forward(in.data(), got.data(), params.data(), batch);
    for (std::size_t i = want.size(); i < got.size(); ++i) ASSERT_EQ(got[i], -7.0f) << "written past the output at " << i;
    got.resize(want.size());
    EXPECT_TRUE(close_to_reference(got, want, "gemm with prefetch"));
}

// A direct conv whose padded image (48 channels, 9 rows of 58 or more) is over the stack
// tile, so that with scratch it runs from the image there: its input channels in passes
// that conv_strip_bytes holds, and (8 lanes: 7 vectors a row) pairs of rows as one sweep of
// 14 vectors, the 7th row alone.
using wide_direct = ctnn::conv2d<24, 3, ctnn::pad<1>>::bind<float, ctnn::shape<48, 7, 56>, 1>;
using wide_kernel = kernels::simd::conv2d_direct<wide_direct::geometry, float>;
static_assert(!wide_kernel::whole_image && wide_kernel::image_chunk < 48);
static_assert(wide_kernel::row_pairs || kernels::simd::vec<float, kernels::simd::default_arch>::size != 8);

TEST(KernelChoice, DirectConvFromItsImageInPassesMatchesTheRowTiles) {
    using K = wide_kernel;
    constexpr std::size_t batch = 2;
    constexpr std::size_t out_size = batch * wide_direct::out_shape::size;
    const auto in = random_vector<float>(batch * wide_direct::in_shape::size, 11);
    const auto params = random_vector<float>(wide_direct::param_count, 12);
    const float* bias = params.data() + wide_direct::weight_size;
    std::vector<float> want(out_size);
    kernels::reference::conv2d_forward(wide_direct::geometry, in.data(), params.data(), bias, want.data(), batch);
    guarded<float> scratch(K::image_size), got(out_size);
    K::run(in.data(), params.data(), bias, got.get(), batch, kernels::reference::identity_op{}, {}, scratch.get());
    EXPECT_TRUE(close_to_reference(got.values(), want, "conv2d_direct from its image"));
    EXPECT_TRUE(got.guards_intact() && scratch.guards_intact());

    // The same bits as the row tiles (no scratch), the activation applied after the last pass.
    const kernels::reference::leaky_relu_op op{0.125};
    std::vector<float> tiles(out_size);
    K::run(in.data(), params.data(), bias, tiles.data(), batch, op);
    guarded<float> image(out_size);
    K::run(in.data(), params.data(), bias, image.get(), batch, op, {}, scratch.get());
    EXPECT_TRUE(same_bits(image.values(), tiles));
    EXPECT_TRUE(image.guards_intact() && scratch.guards_intact());
}

TEST(KernelChoice, ForcedKernelsMatchTheReference) {
    constexpr std::size_t batch = 3;
    const auto in = random_vector<float>(batch * pointwise_auto::in_shape::size, 1);
    const auto params = random_vector<float>(pointwise_auto::param_count, 2);
    std::vector<float> want(batch * pointwise_auto::out_shape::size);
    kernels::reference::conv2d_forward(pointwise_auto::geometry, in.data(), params.data(),
                                       params.data() + pointwise_auto::weight_size, want.data(), batch);
    EXPECT_TRUE(close_to_reference(forward_of<pointwise_auto>(in, params, batch), want, "gemm"));
    EXPECT_TRUE(close_to_reference(forward_of<pointwise_direct>(in, params, batch), want, "direct"));

    const auto params3 = random_vector<float>(padded_reference::param_count, 3);
    std::vector<float> want3(batch * padded_reference::out_shape::size);
    kernels::reference::conv2d_forward(padded_reference::geometry, in.data(), params3.data(),
                                       params3.data() + padded_reference::weight_size, want3.data(), batch);
    const auto got3 = forward_of<padded_reference>(in, params3, batch);
    EXPECT_EQ(0, std::memcmp(got3.data(), want3.data(), want3.size() * sizeof(float)));
}

template <conv_kernel K1, conv_kernel K2>
using choice_net = ctnn::basic_network<double, ctnn::input<3, 9, 9>,
                                       ctnn::conv2d<4, 3, ctnn::pad<1>, ctnn::kernel_choice<K1>>, ctnn::relu,
                                       ctnn::conv2d<5, 1, ctnn::kernel_choice<K2>>, ctnn::max_pool2d<2, ctnn::floor_mode>,
                                       ctnn::flatten, ctnn::dense<3>>;

template <class Net>
std::vector<double> gradients(std::size_t batch) {
    auto p = std::make_unique<typename Net::parameters>();
    const auto init = random_vector<double>(Net::param_storage, 7, -0.5, 0.5);
    std::copy(init.begin(), init.end(), p->values.begin());
    const auto in = random_vector<double>(batch * Net::input_size, 8);
    std::vector<unsigned> labels(batch);
    for (std::size_t i = 0; i < batch; ++i) labels[i] = static_cast<unsigned>(i % 3);
    training_workspace<Net> ws(batch);
    forward_train<Net>(*p, in.data(), batch, ws);
    softmax_cross_entropy::evaluate<Net, unsigned>(train_output<Net>(ws, batch, in.data()), labels, batch, ws.delta(0));
    backward<Net>(*p, in.data(), batch, ws);
    return {ws.gradients().begin(), ws.gradients().end()};
}

TEST(KernelChoice, ForcedKernelsTrainToTheSameGradients) {
    const auto automatic = gradients<choice_net<conv_kernel::automatic, conv_kernel::automatic>>(5);
    EXPECT_TRUE(close_to_reference(gradients<choice_net<conv_kernel::direct, conv_kernel::direct>>(5), automatic,
                                   "direct"));
    EXPECT_TRUE(close_to_reference(gradients<choice_net<conv_kernel::reference, conv_kernel::gemm>>(5), automatic,
                                   "reference and gemm"));
    double norm = 0;
    for (double g : automatic) norm += g * g;
    EXPECT_GT(norm, 1e-6) << "the gradients should not be trivially zero";
}

} // namespace
} // namespace ctnn::test
