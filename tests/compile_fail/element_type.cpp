// Mistake: a network of int. Twin: float.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::basic_network<int, ctnn::input<16>, ctnn::dense<4>>;
#else
using net = ctnn::basic_network<float, ctnn::input<16>, ctnn::dense<4>>;
#endif
static_assert(net::output_size == 4);
