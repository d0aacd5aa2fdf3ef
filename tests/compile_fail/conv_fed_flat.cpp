// Mistake: conv2d after the data was flattened. Twin: conv2d before flatten.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::flatten, ctnn::conv2d<2, 3>>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::conv2d<2, 3>, ctnn::flatten>;
static_assert(net::output_shape == ctnn::shape<8>{});
#endif
static_assert(net::entry_count == 3);
