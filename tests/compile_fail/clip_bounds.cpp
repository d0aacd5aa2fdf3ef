// Mistake: clip with Lo > Hi. Twin: the bounds in order.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<8>, ctnn::clip<2.0, 1.0>>;
#else
using net = ctnn::network<ctnn::input<8>, ctnn::clip<1.0, 2.0>>;
#endif
static_assert(net::output_size == 8);
