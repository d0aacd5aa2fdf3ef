// Mistake: gemm with a conv option. Twin: gemm's own trans_b.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<8>, ctnn::gemm<3, 1.0, 1.0, ctnn::stride<2>>>;
#else
using net = ctnn::network<ctnn::input<8>, ctnn::gemm<3, 1.0, 1.0, ctnn::trans_b>>;
static_assert(net::output_shape == ctnn::shape<3>{});
#endif
static_assert(net::output_shape.rank == 1);
