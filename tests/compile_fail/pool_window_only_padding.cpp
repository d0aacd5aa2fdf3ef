// Mistake: with dilation 3, a window 2 wide with padding 1 on a 2-wide input has taps at -1
// and 2, both padding (max would give -inf, an average excluding padding 0/0).
// Twin: dilation 1, same padding: every window sees the input.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 1, 2>,
                          ctnn::max_pool2d<ctnn::hw{1, 2}, ctnn::dilation<1, 3>, ctnn::pad<0, 1>, ctnn::stride<1>>>;
#else
using net = ctnn::network<ctnn::input<1, 1, 2>,
                          ctnn::max_pool2d<ctnn::hw{1, 2}, ctnn::dilation<1, 1>, ctnn::pad<0, 1>, ctnn::stride<1>>>;
static_assert(net::output_shape == ctnn::shape<1, 1, 3>{});
#endif
static_assert(net::entry_count == 2);
