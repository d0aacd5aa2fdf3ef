// Mistake: a 4 x 4 pooling window over 3 rows. Twin: a 4-row input.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 3, 8>, ctnn::max_pool2d<4>>;
#else
using net = ctnn::network<ctnn::input<1, 4, 8>, ctnn::max_pool2d<4>>;
static_assert(net::output_shape == ctnn::shape<1, 1, 2>{});
#endif
static_assert(net::output_shape.rank == 3);
