// Mistake: the list starts with a layer, not the input. Twin: input first.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::conv2d<6, 3>, ctnn::relu>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3>, ctnn::relu>;
#endif
static_assert(net::entry_count >= 2);
