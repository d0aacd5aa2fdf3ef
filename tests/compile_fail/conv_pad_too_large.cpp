// Mistake: 3 rows of padding around a 3-row kernel. Twin: 2 rows.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::pad<3, 1>>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::pad<2, 1>>>;
static_assert(net::output_shape == ctnn::shape<6, 10, 8>{});
#endif
static_assert(net::output_shape.rank == 3);
