// Mistake: gemm<0>. Twin: gemm<1>.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<8>, ctnn::gemm<0>>;
#else
using net = ctnn::network<ctnn::input<8>, ctnn::gemm<1>>;
static_assert(net::output_shape == ctnn::shape<1>{});
#endif
static_assert(net::output_shape.rank == 1);
