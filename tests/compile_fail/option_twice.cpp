// Mistake: two strides in one layer. Twin: one.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::stride<1>, ctnn::stride<1>>>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<6, 3, ctnn::stride<1>>>;
#endif
static_assert(net::output_shape == ctnn::shape<6, 6, 6>{});
