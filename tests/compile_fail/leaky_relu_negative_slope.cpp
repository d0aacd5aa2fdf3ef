// Mistake: a negative leaky_relu slope. Twin: a positive one.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<16>, ctnn::leaky_relu<-0.1>>;
#else
using net = ctnn::network<ctnn::input<16>, ctnn::leaky_relu<0.1>>;
#endif
static_assert(net::output_shape == ctnn::shape<16>{});
