// Mistake: a global pool after flatten. Twin: before it.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<3, 4, 4>, ctnn::flatten, ctnn::global_avg_pool>;
#else
using net = ctnn::network<ctnn::input<3, 4, 4>, ctnn::global_avg_pool, ctnn::flatten>;
static_assert(net::output_shape == ctnn::shape<3>{});
#endif
static_assert(net::output_size >= 1);
