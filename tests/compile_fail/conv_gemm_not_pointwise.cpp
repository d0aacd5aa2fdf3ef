// Mistake: kernel_choice<gemm> on a 3x3 conv (the GEMM kernel takes the input as its matrix,
// so it needs a 1x1 kernel). Twin: the same choice on a 1x1 conv.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_CF_FAIL
using net = ctnn::network<ctnn::input<4, 8, 8>, ctnn::conv2d<6, 3, ctnn::pad<1>, ctnn::kernel_choice<ctnn::conv_kernel::gemm>>>;
#else
using net = ctnn::network<ctnn::input<4, 8, 8>, ctnn::conv2d<6, 1, ctnn::kernel_choice<ctnn::conv_kernel::gemm>>>;
#endif
static_assert(net::output_shape == ctnn::shape<6, 8, 8>{});
