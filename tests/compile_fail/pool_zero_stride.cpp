// Mistake: a pooling stride of 0 across. Twin: stride 2.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::avg_pool2d<2, ctnn::stride<2, 0>>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::avg_pool2d<2, ctnn::stride<2, 2>>>;
static_assert(net::output_shape == ctnn::shape<1, 4, 4>{});
#endif
static_assert(net::output_shape.rank == 3);
