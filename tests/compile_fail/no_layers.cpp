// Mistake: a network that is only its input. Twin: one layer after it.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<16>>;
#else
using net = ctnn::network<ctnn::input<16>, ctnn::relu>;
#endif
static_assert(net::output_size == 16);
