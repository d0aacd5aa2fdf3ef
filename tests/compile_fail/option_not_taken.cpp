// Mistake: no_bias on a layer that has no bias. Twin: max_pool2d without it.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::max_pool2d<2, ctnn::no_bias>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::max_pool2d<2>>;
#endif
static_assert(net::output_shape == ctnn::shape<1, 4, 4>{});
