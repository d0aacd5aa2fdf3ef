// Mistake: same_lower and valid in one layer. Twin: one of them.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::max_pool2d<2, ctnn::same_lower, ctnn::valid>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::max_pool2d<2, ctnn::same_lower>>;
static_assert(net::output_shape == ctnn::shape<1, 4, 4>{});
#endif
static_assert(net::output_shape.rank == 3);
