// Mistake: an option (pad) as an entry of the list. Twin: inside the conv2d's <>.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::pad<1>, ctnn::conv2d<6, 3>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::pad<1>>>;
#endif
static_assert(net::output_shape.rank == 3);
