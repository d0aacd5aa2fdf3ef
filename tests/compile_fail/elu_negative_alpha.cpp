// Mistake: elu with a negative alpha. Twin: a positive one.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<8>, ctnn::elu<-0.5>>;
#else
using net = ctnn::network<ctnn::input<8>, ctnn::elu<0.5>>;
#endif
static_assert(net::output_size == 8);
