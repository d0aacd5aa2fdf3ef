// Mistake: dense straight after a C x H x W shape. Twin: flatten first.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::dense<10>>;
#else
using net = ctnn::network<ctnn::input<1, 4, 4>, ctnn::flatten, ctnn::dense<10>>;
#endif
static_assert(net::output_shape == ctnn::shape<10>{});
