// Mistake: 2 columns of padding around a 2-wide pooling window. Twin: 1 column.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::max_pool2d<2, ctnn::pad<0, 2>>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::max_pool2d<2, ctnn::pad<0, 1>>>;
static_assert(net::output_shape == ctnn::shape<1, 4, 5>{});
#endif
static_assert(net::output_shape.rank == 3);
