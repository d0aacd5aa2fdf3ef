// Mistake: softmax over a C x H x W shape. Twin: flatten first.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::softmax>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::flatten, ctnn::softmax>;
static_assert(net::output_shape == ctnn::shape<16>{});
#endif
static_assert(net::output_size == 16);
