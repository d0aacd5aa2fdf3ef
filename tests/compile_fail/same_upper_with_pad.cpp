// Mistake: same_upper and pad<> in one layer. Twin: same_upper alone.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::same_upper, ctnn::pad<1>>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::same_upper>>;
static_assert(net::output_shape == ctnn::shape<6, 8, 8>{});
#endif
static_assert(net::output_shape.rank == 3);
