// Mistake: a dense layer with no outputs. Twin: one output.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<16>, ctnn::dense<0>>;
#else
using net = ctnn::network<ctnn::input<16>, ctnn::dense<1>>;
static_assert(net::output_shape == ctnn::shape<1>{});
#endif
static_assert(net::output_shape.rank == 1);
