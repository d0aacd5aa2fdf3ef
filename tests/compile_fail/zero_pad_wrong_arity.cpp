// Mistake: zero_pad with 3 values. Twin: zero_pad<Top, Left, Bottom, Right>.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::zero_pad<1, 1, 0>>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::zero_pad<1, 1, 0, 0>>;
static_assert(net::output_shape == ctnn::shape<1, 5, 5>{});
#endif
static_assert(net::output_shape.rank == 3);
