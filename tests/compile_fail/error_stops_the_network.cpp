// Mistake: the first conv2d does not fit; the layers after it are not checked against the
// broken shape, so the mistake gives one error, not one per layer. Twin: pad<2>.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::conv2d<6, 5>, ctnn::relu, ctnn::max_pool2d<2>,
                          ctnn::flatten, ctnn::dense<3>, ctnn::softmax>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::conv2d<6, 5, ctnn::pad<2>>, ctnn::relu, ctnn::max_pool2d<2>,
                          ctnn::flatten, ctnn::dense<3>, ctnn::softmax>;
static_assert(net::layer_shape<3> == ctnn::shape<6, 2, 2>{});
static_assert(net::output_shape == ctnn::shape<3>{});
#endif
static_assert(net::entry_count == 7);
