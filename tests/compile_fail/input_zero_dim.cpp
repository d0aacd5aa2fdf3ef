// Mistake: an input with zero rows. Twin: 28 rows.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 0, 28>, ctnn::conv2d<6, 5>>;
#else
using net = ctnn::network<ctnn::input<1, 28, 28>, ctnn::conv2d<6, 5>>;
#endif
static_assert(net::output_shape.rank == 3);
