// Mistake: softmax along axis 3 of a C x H x W sample. Twin: axis 2 (W).
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::softmax_along<3>>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::softmax_along<2>>;
static_assert(net::output_shape == ctnn::shape<1, 4, 4>{});
#endif
static_assert(net::output_size == 16);
