// Mistake: 17 weights for a conv2d weight of 2 x 1 x 3 x 3 = 18. Twin: 18.
#include <ctnn/ctnn.hpp>

#include <array>

using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::conv2d<2, 3>>;

void load(net::parameters& params) {
#ifdef CTNN_CF_FAIL
    params.assign<1, 0>(std::array<float, 17>{});
#else
    params.assign<1, 0>(std::array<float, 18>{});
#endif
}
