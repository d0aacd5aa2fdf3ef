// A user's program, built against ctnn as installed or vendored: the smallest network that
// touches every part (shape fold, parameters, workspace, kernels), checked against a value
// worked out by hand.
#include <ctnn/ctnn.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

using net = ctnn::network<ctnn::input<1, 8, 8>, ctnn::conv2d<2, 3>, ctnn::relu, ctnn::flatten, ctnn::dense<3>>;
static_assert(net::output_shape == ctnn::shape<3>{});

int main() {
    ctnn::model<net> m(1);
    for (auto& p : m.params().values) p = 0.01f;
    std::vector<float> in(64, 1.f), out(3);
    m.forward(in, out);
    // conv: 9 * 0.01 + 0.01 = 0.1 at each of 2 x 6 x 6; dense: 72 * 0.01 * 0.1 + 0.01.
    const float expected = 0.082f;
    for (float v : out) {
        if (!(std::fabs(v - expected) < 1e-5f)) {
            std::printf("ctnn consumer: got %g, expected %g\n", static_cast<double>(v), static_cast<double>(expected));
            return 1;
        }
    }
    std::printf("ctnn consumer: ok\n");
    return 0;
}
