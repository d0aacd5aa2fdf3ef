// Mistake: pooling after the data was flattened. Twin: pool before flatten.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::flatten, ctnn::max_pool2d<2>>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::max_pool2d<2>, ctnn::flatten>;
static_assert(net::output_shape == ctnn::shape<4>{});
#endif
static_assert(net::entry_count == 3);
