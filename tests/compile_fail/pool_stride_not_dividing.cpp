// Mistake: 2 x 2 pooling over 7 rows (strict rule). Twin: ceil_mode keeps the last window.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 7, 8>, ctnn::max_pool2d<2>>;
#else
using net = ctnn::network<ctnn::input<1, 7, 8>, ctnn::max_pool2d<2, ctnn::ceil_mode>>;
static_assert(net::output_shape == ctnn::shape<1, 4, 4>{});
#endif
static_assert(net::output_shape.rank == 3);
