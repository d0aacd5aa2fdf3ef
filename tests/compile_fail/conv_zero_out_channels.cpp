// Mistake: a conv2d with no filters. Twin: one filter.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<0, 3>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<1, 3>>;
static_assert(net::output_shape == ctnn::shape<1, 6, 6>{});
#endif
static_assert(net::output_shape.rank == 3);
