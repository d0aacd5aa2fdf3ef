// Mistake: 2 groups over 3 input channels. Twin: 3 groups.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<3, 8, 8>, ctnn::conv2d<6, 3, ctnn::groups<2>>>;
#else
using net = ctnn::network<ctnn::input<3, 8, 8>, ctnn::conv2d<6, 3, ctnn::groups<3>>>;
static_assert(net::param_count == 6 * 1 * 3 * 3 + 6);
#endif
static_assert(net::output_shape == ctnn::shape<6, 6, 6>{});
