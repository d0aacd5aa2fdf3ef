// Mistake: a 5 x 5 kernel over a 4 x 4 input. Both axes are wrong in the same way, so the
// error is reported once (for H). Twin: pad<1>.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::conv2d<6, 5>>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::conv2d<6, 5, ctnn::pad<1>>>;
static_assert(net::output_shape == ctnn::shape<6, 2, 2>{});
#endif
static_assert(net::output_shape.rank == 3);
