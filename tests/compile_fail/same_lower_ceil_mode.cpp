// Mistake: same_lower with ceil_mode. Twin: same_lower alone (the size is already ceil(In / Stride)).
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 7, 7>, ctnn::avg_pool2d<3, ctnn::stride<2>, ctnn::same_lower, ctnn::ceil_mode>>;
#else
using net = ctnn::network<ctnn::input<1, 7, 7>, ctnn::avg_pool2d<3, ctnn::stride<2>, ctnn::same_lower>>;
static_assert(net::output_shape == ctnn::shape<1, 4, 4>{});
#endif
static_assert(net::output_shape.rank == 3);
