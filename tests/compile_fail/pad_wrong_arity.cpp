// Mistake: pad with 3 values. Twin: pad<Top, Left, Bottom, Right>.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::pad<1, 1, 0>>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::pad<1, 1, 0, 0>>>;
static_assert(net::output_shape == ctnn::shape<6, 7, 7>{});
#endif
static_assert(net::output_shape.rank == 3);
