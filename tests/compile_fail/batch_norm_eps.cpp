// Mistake: batch_norm with eps 0 (divides by zero on a constant channel). Twin: 1e-5.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<3, 8, 8>, ctnn::conv2d<4, 3>, ctnn::batch_norm<0.1, 0.0>>;
#else
using net = ctnn::network<ctnn::input<3, 8, 8>, ctnn::conv2d<4, 3>, ctnn::batch_norm<0.1, 1e-5>>;
#endif
static_assert(net::output_shape == ctnn::shape<4, 6, 6>{});
