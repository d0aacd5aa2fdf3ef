// Mistake: stride 2 over 28 rows with a 5-row kernel leaves one row over (strict rule).
// Twin: floor_mode drops it, as PyTorch does.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<1, 28, 29>, ctnn::conv2d<6, 5, ctnn::stride<2>>>;
#else
using net = ctnn::network<ctnn::input<1, 28, 29>, ctnn::conv2d<6, 5, ctnn::stride<2>, ctnn::floor_mode>>;
static_assert(net::output_shape == ctnn::shape<6, 12, 13>{});
#endif
static_assert(net::output_shape.rank == 3);
