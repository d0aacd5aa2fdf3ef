// Mistake: a second ctnn::input inside the list. Twin: only the first.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::input<1, 8, 8>, ctnn::relu>;
#else
using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::relu>;
#endif
static_assert(net::output_size == 64);
