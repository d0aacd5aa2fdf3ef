// Mistake: flatten on data that is already flat. Twin: flatten a C x H x W input.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<16>, ctnn::flatten>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::flatten>;
#endif
static_assert(net::output_shape == ctnn::shape<16>{});
