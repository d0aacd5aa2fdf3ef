// Mistake: a kernel with zero rows. Twin: one row.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, ctnn::hw{0, 3}>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, ctnn::hw{1, 3}>>;
static_assert(net::output_shape == ctnn::shape<6, 8, 6>{});
#endif
static_assert(net::output_shape.rank == 3);
