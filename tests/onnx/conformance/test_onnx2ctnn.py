#!/usr/bin/python3
"""tools/onnx2ctnn.py: its refusals name the node, the op type and the attribute or shape;
what it accepts compiles; a checkpoint-mode header computes what the embed-mode one does.

Run by ctest (onnx2ctnn_unit) or directly: tests/onnx/conformance/test_onnx2ctnn.py [-v].
Prints "SKIP: ..." and exits 0 when Python's onnx is missing. $CXX compiles (default c++).
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover
    print("SKIP: Python's onnx/numpy is missing (%s); install python3-onnx" % e)
    sys.exit(0)

import onnx2ctnn  # noqa: E402

CXX = os.environ.get("CXX", "c++")


def tensor(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "t", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


class Refusals(unittest.TestCase):
    def refused(self, m, *words, **kw):
        with self.assertRaises(onnx2ctnn.ConversionError) as cm:
            onnx2ctnn.convert(m, "t", **kw)
        msg = str(cm.exception)
        for w in words:
            self.assertIn(w, msg)
        return msg

    def test_unsupported_op(self):
        m = model([helper.make_node("Relu", ["x"], ["r"], name="act"),
                   helper.make_node("HardSwish", ["r"], ["y"], name="hswish")],
                  [tensor("x", [2, 4])], [tensor("y", [2, 4])], opset=14)
        self.refused(m, "node 1 'hswish'", "(HardSwish)", "not supported")

    def test_branching_graph(self):
        m = model([helper.make_node("Relu", ["x"], ["a"], name="left"),
                   helper.make_node("Sigmoid", ["x"], ["b"], name="right"),
                   helper.make_node("Add", ["a", "b"], ["y"], name="join")],
                  [tensor("x", [2, 4])], [tensor("y", [2, 4])])
        self.refused(m, "'left' (Relu)", "'right' (Sigmoid)", "branches")

    def test_pad_with_a_value(self):
        m = model([helper.make_node("Pad", ["x", "pads", "v"], ["y"], name="padder", mode="constant")],
                  [tensor("x", [1, 1, 4, 4])], [tensor("y", [1, 1, 6, 6])],
                  [const("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)), const("v", np.float32(1.5))])
        self.refused(m, "'padder' (Pad)", "constant_value=1.5")

    def test_pad_in_reflect_mode(self):
        m = model([helper.make_node("Pad", ["x", "pads"], ["y"], name="mirror", mode="reflect")],
                  [tensor("x", [1, 1, 4, 4])], [tensor("y", [1, 1, 6, 6])],
                  [const("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))])
        self.refused(m, "'mirror' (Pad)", "mode='reflect'")

    def test_dynamic_input_dim(self):
        m = model([helper.make_node("Relu", ["x"], ["y"], name="act")],
                  [tensor("x", [1, 3, "height", 8])], [tensor("y", [1, 3, "height", 8])])
        self.refused(m, "input 0 'x'", "dimension 2", "height")

    def test_dynamic_batch_is_accepted(self):
        m = model([helper.make_node("Relu", ["x"], ["y"], name="act")],
                  [tensor("x", ["N", 3, 4, 4])], [tensor("y", ["N", 3, 4, 4])])
        text = onnx2ctnn.convert(m, "t")
        self.assertIn("onnx_input_shape{-1, 3, 4, 4}", text)

    def test_maxpool_with_indices(self):
        m = model([helper.make_node("MaxPool", ["x"], ["y", "idx"], name="pool", kernel_shape=[2, 2])],
                  [tensor("x", [1, 1, 4, 4])], [tensor("y", [1, 1, 2, 2]), tensor("idx", [1, 1, 2, 2], TensorProto.INT64)])
        self.refused(m, "'pool' (MaxPool)", "Indices")

    def test_maxpool_storage_order(self):
        m = model([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], storage_order=1)],
                  [tensor("x", [1, 1, 4, 4])], [tensor("y", [1, 1, 2, 2])])
        self.refused(m, "'pool' (MaxPool)", "storage_order=1")

    def test_softmax_over_the_batch_axis(self):
        m = model([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=0)],
                  [tensor("x", [2, 5])], [tensor("y", [2, 5])])
        self.refused(m, "'sm' (Softmax)", "axis=0", "batch")

    def test_old_softmax_over_inner_axes(self):
        m = model([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=2)],
                  [tensor("x", [2, 3, 4, 5])], [tensor("y", [2, 3, 4, 5])], opset=11)
        self.refused(m, "'sm' (Softmax)", "axis=2")

    def test_flatten_that_drops_the_batch_axis(self):
        m = model([helper.make_node("Flatten", ["x"], ["y"], name="flat", axis=2)],
                  [tensor("x", [2, 3, 4, 5])], [tensor("y", [6, 20])])
        self.refused(m, "'flat' (Flatten)", "axis=2")

    def test_conv_3d(self):
        m = model([helper.make_node("Conv", ["x", "w"], ["y"], name="c3")],
                  [tensor("x", [1, 1, 4, 4, 4])], [tensor("y", [1, 1, 2, 2, 2])],
                  [const("w", np.ones((1, 1, 3, 3, 3), np.float32))])
        self.refused(m, "input 0 'x'", "at most 3 dimensions")

    def test_unbound_weight_input(self):
        m = model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
                  [tensor("x", [1, 1, 4, 4]), tensor("w", [1, 1, 3, 3])], [tensor("y", [1, 1, 2, 2])])
        self.refused(m, "'w'", "--bind")

    def test_missing_layer_is_named(self):
        m = model([helper.make_node("Elu", ["x"], ["y"], name="e")], [tensor("x", [2, 4])], [tensor("y", [2, 4])])
        avail = onnx2ctnn.available_layers() - {"elu"}
        self.refused(m, "'e' (Elu)", "needs ctnn::elu (not available)", avail=avail)

    def test_integer_input(self):
        m = model([helper.make_node("Relu", ["x"], ["y"], name="act")],
                  [tensor("x", [2, 4], TensorProto.INT32)], [tensor("y", [2, 4], TensorProto.INT32)])
        self.refused(m, "'x'", "INT32")


class Accepted(unittest.TestCase):
    def test_gemm_with_trans_a_takes_the_whole_input(self):
        m = model([helper.make_node("Gemm", ["a", "b"], ["y"], name="g", transA=1)],
                  [tensor("a", [6, 3])], [tensor("y", [3, 4])], [const("b", np.ones((6, 4), np.float32))])
        text = onnx2ctnn.convert(m, "t")
        self.assertIn("batch_is_first_axis = false", text)
        self.assertIn("ctnn::gemm<4, 1.0, 1.0, ctnn::trans_a, ctnn::no_bias>", text)

    def test_hex_floats_round_trip(self):
        for v in (0.1, -3.0e-38, 1e-45, 65504.0, 0.0, -0.0, 3.4028234663852886e38):
            f = np.float32(v)
            lit = onnx2ctnn.hex_float(f)
            self.assertEqual(np.float32(float.fromhex(lit[:-1])), f, lit)

    def test_pad_merges_into_conv(self):
        m = model([helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="constant"),
                   helper.make_node("Conv", ["p", "w"], ["y"], name="conv")],
                  [tensor("x", [1, 1, 4, 4])], [tensor("y", [1, 1, 4, 4])],
                  [const("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
                   const("w", np.ones((1, 1, 3, 3), np.float32))])
        text = onnx2ctnn.convert(m, "t")
        self.assertIn("ctnn::conv2d<1, 3, ctnn::pad<1>, ctnn::no_bias>", text)
        self.assertNotIn("zero_pad", text)

    def test_pad_before_maxpool_stays_a_layer(self):
        m = model([helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="constant"),
                   helper.make_node("MaxPool", ["p"], ["y"], name="pool", kernel_shape=[2, 2])],
                  [tensor("x", [1, 1, 4, 4])], [tensor("y", [1, 1, 5, 5])],
                  [const("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))])
        text = onnx2ctnn.convert(m, "t")
        self.assertIn("ctnn::zero_pad<1, 1, 1, 1>", text)


def small_cnn():
    rng = np.random.default_rng(5)
    r = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    inits = [const("w1", r(4, 2, 3, 3)), const("b1", r(4)), const("g", r(4)), const("be", r(4)),
             const("mu", r(4)), const("var", np.abs(r(4)) + 0.5), const("w2", r(5, 36)), const("b2", r(5))]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c"], name="conv", pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["n"], name="bn"),
             helper.make_node("Relu", ["n"], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "w2", "b2"], ["y"], name="fc", transB=1, alpha=0.5)]
    return model(nodes, [tensor("x", [3, 2, 6, 6])], [tensor("y", [3, 5])], inits)


class CheckpointRoundTrip(unittest.TestCase):
    def test_checkpoint_mode_computes_what_embed_mode_does(self):
        with tempfile.TemporaryDirectory(prefix="onnx2ctnn-test-") as tmp:
            path = os.path.join(tmp, "cnn.onnx")
            onnx.save(small_cnn(), path)
            tool = os.path.join(ROOT, "tools", "onnx2ctnn.py")
            run = lambda *a: subprocess.run([sys.executable, tool] + list(a), capture_output=True, text=True)  # noqa
            p = run(path, "-o", os.path.join(tmp, "embed.hpp"), "--namespace", "embedded")
            self.assertEqual(p.returncode, 0, p.stderr)
            p = run(path, "-o", os.path.join(tmp, "ck.hpp"), "--namespace", "from_file", "--weights", "checkpoint",
                    "--checkpoint", os.path.join(tmp, "cnn.ctnn"), "--cxx", CXX)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(os.path.join(tmp, "ck.hpp")) as fh:
                ck = fh.read()
            self.assertNotIn("weights[]", ck)
            self.assertIn("ctnn/io.hpp", ck)
            src = os.path.join(tmp, "main.cpp")
            with open(src, "w") as fh:
                fh.write(r"""
#include "embed.hpp"
#include "ck.hpp"
#include <cstdio>
#include <cstring>
#include <vector>
int main(int, char** argv) {
    static_assert(std::is_same_v<embedded::model::output_shape_type, from_file::model::output_shape_type>);
    auto a = std::make_unique<embedded::model::parameters>();
    auto b = std::make_unique<from_file::model::parameters>();
    embedded::load(*a);
    from_file::load(*b, argv[1]);
    std::vector<float> in(3 * embedded::model::input_size);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i % 7) * 0.25f - 0.6f;
    std::vector<float> x(3 * embedded::model::output_size), y(x.size()), z(x.size());
    ctnn::workspace<embedded::model> w1(3);
    ctnn::workspace<from_file::model> w2(3);
    embedded::model::forward(*a, in, x, w1);
    from_file::model::forward(*b, in, y, w2);
    // The constexpr array is the parameter block itself: forward can read it in place.
    embedded::model::forward(std::span<const float, embedded::model::param_storage>(embedded::weights), in, z, w1);
    for (float v : x) std::printf("%.9g\n", static_cast<double>(v));
    return std::memcmp(x.data(), y.data(), x.size() * 4) == 0 && std::memcmp(x.data(), z.data(), x.size() * 4) == 0
               ? 0 : 1;
}
""")
            exe = os.path.join(tmp, "main")
            p = subprocess.run([CXX, "-std=c++20", "-O1", "-Wall", "-Wextra", "-Wconversion", "-Werror",
                                "-I", os.path.join(ROOT, "include"), "-I", tmp, src, "-o", exe],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr[-3000:])
            p = subprocess.run([exe, os.path.join(tmp, "cnn.ctnn")], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, "embed and checkpoint outputs differ\n" + p.stdout + p.stderr)
            got = np.array([float(v) for v in p.stdout.split()], np.float32).reshape(3, 5)
            self.assertTrue(np.allclose(got, reference(small_cnn()), rtol=1e-4, atol=1e-5),
                            "%s\n%s" % (got, reference(small_cnn())))


def reference(m):
    """small_cnn's output for main.cpp's input, in NumPy."""
    w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    x = (np.arange(3 * 2 * 6 * 6) % 7 * 0.25 - 0.6).reshape(3, 2, 6, 6)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    c = np.zeros((3, 4, 3, 3))
    for i in range(3):
        for j in range(3):
            patch = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            c[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w["w1"]) + w["b1"]
    s = w["g"] / np.sqrt(w["var"] + 1e-5)
    n = (c - w["mu"][:, None, None]) * s[:, None, None] + w["be"][:, None, None]
    f = np.maximum(n, 0).reshape(3, -1)
    return 0.5 * f @ w["w2"].T + w["b2"]


if __name__ == "__main__":
    unittest.main()
