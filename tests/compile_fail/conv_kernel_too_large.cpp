// Mistake: a 5 x 5 kernel over 4 rows, unpadded. Twin: pad<1> makes the rows 6.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 8>, ctnn::conv2d<6, 5>>;
#else
using net = ctnn::network<ctnn::input<1, 4, 8>, ctnn::conv2d<6, 5, ctnn::pad<1>>>;
static_assert(net::output_shape == ctnn::shape<6, 2, 6>{});
#endif
static_assert(net::output_shape.rank == 3);
