// Mistake: a drop probability of 1 (every value dropped). Twin: 0.5.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<16>, ctnn::dropout<1.0>, ctnn::dense<4>>;
#else
using net = ctnn::network<ctnn::input<16>, ctnn::dropout<0.5>, ctnn::dense<4>>;
#endif
static_assert(net::output_shape == ctnn::shape<4>{});
