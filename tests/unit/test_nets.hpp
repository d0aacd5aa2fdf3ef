// Networks shared by the network, plan and memory tests: LeNet (float and double), nets
// whose first or last layer is element-wise, single-layer nets, an activation-only chain,
// and a net that uses most options. Each is small enough to run in a unit test.
#pragma once

#include <ctnn/ctnn.hpp>

#include <ctnn_test_util.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>

namespace ctnn::unit {

template <class T>
using basic_lenet = ctnn::basic_network<T, ctnn::input<1, 28, 28>,                            //
                                        ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::relu,          //
                                        ctnn::max_pool2d<2>,                                   //
                                        ctnn::conv2d<16, 5>, ctnn::relu,                       //
                                        ctnn::max_pool2d<2>,                                   //
                                        ctnn::flatten,                                         //
                                        ctnn::dense<120>, ctnn::relu, ctnn::dense<84>, ctnn::relu, //
                                        ctnn::dense<10>, ctnn::softmax>;
using lenet = basic_lenet<float>;
using lenet_double = basic_lenet<double>;

/// LeNet without the softmax: its outputs are logits, more sensitive to rounding.
template <class T>
using basic_lenet_logits = ctnn::basic_network<T, ctnn::input<1, 28, 28>,                          //
                                               ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::tanh,        //
                                               ctnn::avg_pool2d<2>,                                 //
                                               ctnn::conv2d<16, 5>, ctnn::leaky_relu<0.1>,          //
                                               ctnn::max_pool2d<2>,                                 //
                                               ctnn::flatten,                                       //
                                               ctnn::dense<120>, ctnn::sigmoid, ctnn::dense<84>,    //
                                               ctnn::relu, ctnn::dense<10>>;

/// The first layer is element-wise: it must not run in place on the caller's input.
using first_elementwise = ctnn::network<ctnn::input<2, 6, 6>, ctnn::relu, ctnn::conv2d<3, 3, ctnn::pad<1>>,
                                        ctnn::max_pool2d<2>, ctnn::flatten, ctnn::dense<4>>;
/// The last layer is element-wise: it must write the caller's output.
using last_elementwise = ctnn::network<ctnn::input<1, 7, 7>, ctnn::conv2d<2, 3, ctnn::stride<2>>, ctnn::relu>;
/// Ends with flatten (the copying "element-wise" layer).
using last_flatten = ctnn::network<ctnn::input<2, 2, 3>, ctnn::conv2d<1, 1>, ctnn::flatten>;
/// Two element-wise layers first.
using two_elementwise_first = ctnn::basic_network<double, ctnn::input<1, 4, 4>, ctnn::sigmoid, ctnn::relu,
                                                  ctnn::conv2d<1, 2, ctnn::stride<2>>, ctnn::tanh>;

using single_conv = ctnn::network<ctnn::input<3, 5, 5>, ctnn::conv2d<2, 3, ctnn::pad<1>>>;
using single_pool = ctnn::basic_network<double, ctnn::input<2, 5, 5>, ctnn::avg_pool2d<2, ctnn::ceil_mode>>;
using single_relu = ctnn::network<ctnn::input<4>, ctnn::relu>;
using single_softmax = ctnn::network<ctnn::input<10>, ctnn::softmax>;
using single_dense = ctnn::basic_network<double, ctnn::input<6>, ctnn::dense<3>>;
using single_flatten = ctnn::network<ctnn::input<2, 3, 1>, ctnn::flatten>;

using activations_only = ctnn::network<ctnn::input<2, 3, 3>, ctnn::leaky_relu<0.1>, ctnn::sigmoid, ctnn::tanh,
                                       ctnn::identity>;

/// Most options in one net: rectangular kernel, per-axis padding, stride, ceil mode,
/// count_exclude_pad, groups, no_bias, dilation.
using mixed = ctnn::network<ctnn::input<3, 9, 9>,                                                   //
                            ctnn::conv2d<4, ctnn::hw{3, 5}, ctnn::pad<1, 2>, ctnn::stride<2>>,       //
                            ctnn::leaky_relu<0.2>,                                                  //
                            ctnn::avg_pool2d<3, ctnn::stride<2>, ctnn::pad<1>, ctnn::ceil_mode,     //
                                             ctnn::count_exclude_pad>,                              //
                            ctnn::conv2d<6, 3, ctnn::groups<2>, ctnn::no_bias, ctnn::pad<1>>,        //
                            ctnn::tanh,                                                             //
                            ctnn::max_pool2d<2, ctnn::dilation<2>, ctnn::stride<1>, ctnn::pad<1>>,   //
                            ctnn::flatten, ctnn::dense<5, ctnn::no_bias>, ctnn::sigmoid, ctnn::dense<3>,
                            ctnn::softmax>;

/// Convs that take the workspace's scratch area (network.hpp's step_scratch): conv + relu
/// with its padded input there (rows of 32 fill the vectors), then a conv alone (tanh does
/// not fuse) along the flattened image (rows of 33 leave most of a vector empty, with
/// SSE2, AVX2 or AVX-512). Both split into output tiles.
using planned_scratch = ctnn::network<ctnn::input<20, 32, 32>,                      //
                                      ctnn::conv2d<20, 3, ctnn::pad<1>>, ctnn::relu, //
                                      ctnn::conv2d<20, 2, ctnn::pad<1>>, ctnn::tanh, //
                                      ctnn::flatten, ctnn::dense<10>>;

using all_nets = ::testing::Types<lenet, lenet_double, basic_lenet_logits<float>, first_elementwise,
                                  last_elementwise, last_flatten, two_elementwise_first, single_conv, single_pool,
                                  single_relu, single_softmax, single_dense, single_flatten, activations_only,
                                  mixed, planned_scratch>;

/// Parameters on the heap (LeNet's are 240 KB), every value seeded-random in [-scale, scale).
template <class Net>
std::unique_ptr<typename Net::parameters> random_parameters(unsigned seed, double scale = 0.2) {
    using T = typename Net::value_type;
    auto p = std::make_unique<typename Net::parameters>();
    const auto v = ctnn::test::random_vector<T>(Net::param_storage, seed, static_cast<T>(-scale), static_cast<T>(scale));
    for (std::size_t i = 0; i < v.size(); ++i) p->values[i] = v[i];
    return p;
}

} // namespace ctnn::unit
