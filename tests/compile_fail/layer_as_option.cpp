// Mistake: a layer (relu) inside conv2d's <>. Twin: relu as the next entry of the list.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::relu>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3>, ctnn::relu>;
#endif
static_assert(net::output_shape == ctnn::shape<6, 6, 6>{});
