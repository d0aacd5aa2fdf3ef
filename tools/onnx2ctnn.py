#!/usr/bin/python3
"""onnx2ctnn: turn an ONNX model into a C++ header declaring the same network as a ctnn type.

The generated header (namespace NAME) holds

  using model = ctnn::network<ctnn::input<...>, ...>;       // one ctnn layer per ONNX node (or fewer)
  inline constexpr bool batch_is_first_axis;                 // see "Batch" below
  inline constexpr std::array<std::int64_t, R> onnx_input_shape, onnx_output_shape;
  embed mode (default):
    alignas(64) inline constexpr float weights[] = {...};    // hexadecimal floats: exact
    inline void load(model::parameters& p);                  // copies weights into p
  checkpoint mode (--weights checkpoint --checkpoint FILE.ctnn):
    inline void load(model::parameters& p, const std::filesystem::path& file);   // ctnn::load_checkpoint
    (FILE.ctnn is written by compiling and running a small program against this repository's
    include/, so its topology hash is exactly ctnn's.)

`weights` is the whole parameter block, alignment gaps included (model::param_storage values),
so `model::forward(std::span<const float, model::param_storage>(weights), in, out, ws)` runs
straight from read-only memory; load() copies it into a model::parameters.

Batch: the first axis of the (first) graph input is the runtime batch and the rest is one
sample: rank 0 -> input<1>, (A) -> input<A>, (A, B) -> input<A, B, 1>, (C, H, W) -> input<C, H, W>.
When the graph is not separable along axis 0 (Gemm with transA or with a bias that varies
along rows, a PRelu slope that varies along axis 0), batch_is_first_axis is false: the whole
ONNX input is one sample and the program runs with batch 1.

The graph must be a chain: each node consumes the previous node's output plus constants
(initializers, Constant nodes, inputs bound with --bind). Anything that ctnn cannot compute
exactly is refused with a message naming the node, its op type and the attribute or shape;
the tool never writes a header that computes something else.

Used as a module: onnx2ctnn.convert(model_or_path, namespace, bindings={...}) returns the
header text or raises onnx2ctnn.ConversionError.
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_INCLUDE = os.path.normpath(os.path.join(HERE, "..", "include"))
ALIGN_BYTES = 64  # ctnn's default CTNN_ALIGNMENT; the header static_asserts the layout it assumes

FLT_MAX = float(np.finfo(np.float32).max)
N_SYM = -(1 << 40) - 7  # Shape() of a dynamic batch axis while folding: only Reshape's first entry may hold it
FOLDABLE = {"Constant", "Identity", "Transpose", "Reshape", "Cast", "Squeeze", "Unsqueeze", "Shape", "Size",
            "Gather", "Concat", "ConstantOfShape", "Slice", "Add", "Sub", "Mul", "Div", "Neg", "Expand", "Range"}


class ConversionError(Exception):
    """The model cannot be expressed as a ctnn network; the message says which node and why."""


class _NeedWholeInput(Exception):
    """Raised in batch-first mode by a node that is not separable along axis 0."""


# ----------------------------------------------------------------------------------------------
# Which ctnn layers exist (the library grows while this tool is used)

NEW_LAYERS = ("global_avg_pool", "global_max_pool", "gemm", "prelu", "elu", "clip", "log_softmax",
              "softmax_along", "log_softmax_along", "zero_pad", "trans_a", "trans_b")


def available_layers(include_dir=REPO_INCLUDE):
    """Names of the ctnn layers and options that <ctnn/ctnn.hpp> declares under include_dir
    (plus 'softmax_any_rank' when ctnn::softmax takes any sample rank)."""
    umbrella = os.path.join(include_dir, "ctnn", "ctnn.hpp")
    if not os.path.exists(umbrella):
        raise ConversionError("ctnn's headers are not in %s (no ctnn/ctnn.hpp)" % include_dir)
    with open(umbrella, encoding="utf-8") as fh:
        included = re.findall(r'#include\s+"([^"]+)"', fh.read())
    text = ""
    for inc in included:
        path = os.path.join(include_dir, "ctnn", inc)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                text += fh.read()
    names = set()
    for n in NEW_LAYERS + ("softmax", "relu", "conv2d", "same_upper", "same_lower", "valid", "relu6"):
        if re.search(r"\b(struct|using|class)\s+%s\b" % n, text):
            names.add(n)
    if "prelu" in names and "prelu_slopes" not in text:
        names.discard("prelu")
    m = re.search(r"struct softmax\b[^;]*", text)
    sm = os.path.join(include_dir, "ctnn", "layers", "softmax.hpp")
    if os.path.exists(sm):
        with open(sm, encoding="utf-8") as fh:
            if "the input must be flat" not in fh.read():
                names.add("softmax_any_rank")
    return names


# ----------------------------------------------------------------------------------------------
# Formatting

def real_literal(v):
    """A float32 value as an exact double literal for a ctnn::real template argument."""
    v = float(np.float32(v))
    if math.isnan(v):
        raise ValueError("NaN")
    if math.isinf(v):
        return "std::numeric_limits<double>::infinity()" if v > 0 else "-std::numeric_limits<double>::infinity()"
    r = repr(v)
    return r


def hex_float(v):
    """float32 value -> exact C++ hexadecimal float literal."""
    v = float(v)
    if math.isnan(v):
        return "std::numeric_limits<float>::quiet_NaN()"
    if math.isinf(v):
        return ("" if v > 0 else "-") + "std::numeric_limits<float>::infinity()"
    h = v.hex()  # e.g. -0x1.99999a0000000p-4
    mant, exp = h.split("p")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return "%sp%sf" % (mant, exp)


def _dims(ds):
    return ", ".join(str(int(d)) for d in ds)


# ----------------------------------------------------------------------------------------------
# Graph model

class Node:
    def __init__(self, index, op, name, inputs, outputs, attrs, domain=""):
        self.index, self.op, self.name = index, op, name
        self.inputs, self.outputs, self.attrs, self.domain = list(inputs), list(outputs), dict(attrs), domain

    def label(self):
        if self.name:
            return "node %s '%s' (%s)" % (self.index, self.name, self.op)
        return "node %s (%s)" % (self.index, self.op)

    def attr(self, key, default=None):
        return self.attrs.get(key, default)


class Layer:
    """One entry of the ctnn list: ctnn::name<args..., opts...> and its parameter tensors."""

    def __init__(self, name, args=(), opts=(), tensors=(), comment="", kind=None, out=None):
        self.name, self.args, self.opts = name, list(args), list(opts)
        self.tensors = [np.asarray(t, dtype=np.float32) for t in tensors]
        self.comment, self.kind, self.out = comment, kind, out
        self.expected_counts = None  # sizes of the tensors the layer must declare

    def cpp(self):
        inner = [str(a) for a in self.args] + ["ctnn::" + o for o in self.opts]
        return "ctnn::%s<%s>" % (self.name, ", ".join(inner)) if inner else "ctnn::" + self.name

    def param_count(self):
        return sum(int(t.size) for t in self.tensors)


def _sample_to_ctnn(sample):
    if len(sample) == 0:
        return (1,)
    if len(sample) == 1:
        return (sample[0],)
    if len(sample) == 2:
        return (sample[0], sample[1], 1)
    if len(sample) == 3:
        return tuple(sample)
    return None


def _pool_out(n, k, pb, pe, s, d, ceil):
    span = d * (k - 1) + 1
    total = n + pb + pe - span
    if ceil:
        return -(-total // s) + 1
    return total // s + 1


def _ctnn_window_out(n, k, pb, pe, s, d, ceil):
    """ctnn's rule (core/window.hpp)."""
    span = n + pb + pe - (d * (k - 1) + 1)
    if not ceil:
        return span // s + 1
    out = (span + s - 1) // s + 1
    if (out - 1) * s >= n + pb:
        out -= 1
    return out


def _every_window_sees_input(n, k, pb, s, d, out):
    for o in range(out):
        if not any(pb <= o * s + j * d < pb + n for j in range(k)):
            return False
    return True


def _same_pads(n, k, s, d, upper):
    span = d * (k - 1) + 1
    out = -(-n // s)
    total = max(0, (out - 1) * s + span - n)
    small = total // 2
    return (small, total - small) if upper else (total - small, small)


# ----------------------------------------------------------------------------------------------

def _load_onnx():
    try:
        import onnx  # noqa: F401
        from onnx import numpy_helper  # noqa: F401
    except ImportError as e:  # pragma: no cover
        raise ConversionError("the Python onnx package is missing (%s); install python3-onnx" % e)
    import onnx
    return onnx


def load_tensor_file(path):
    """A tensor from a TensorProto .pb file or a NumPy .npy file."""
    if path.endswith(".npy"):
        return np.load(path)
    onnx = _load_onnx()
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as fh:
        t.ParseFromString(fh.read())
    return numpy_helper.to_array(t)


class _Converter:
    def __init__(self, model, bindings, avail, batch_first):
        self.onnx = _load_onnx()
        from onnx import numpy_helper, helper
        self.nh, self.helper = numpy_helper, helper
        self.model, self.g = model, model.graph
        self.avail = avail
        self.off = 1 if batch_first else 0
        self.batch_first = batch_first
        self.bindings = dict(bindings or {})
        self.opset = 1
        for o in model.opset_import:
            if o.domain in ("", "ai.onnx"):
                self.opset = o.version
        self.layers = []
        self.pending_pad = None  # (top, left, bottom, right, shape before the pad)
        self.uses_limits = False

    # -- helpers ------------------------------------------------------------------------------
    def need(self, node, layer):
        if layer not in self.avail:
            raise ConversionError("%s: needs ctnn::%s (not available)" % (node.label(), layer))

    def fail(self, node, msg):
        raise ConversionError("%s: %s" % (node.label(), msg))

    def const(self, node, i, what):
        if i >= len(node.inputs) or node.inputs[i] == "":
            return None
        n = node.inputs[i]
        if n not in self.consts:
            self.fail(node, "input %d (%s, '%s') must be a constant (an initializer, a Constant node, or a "
                            "graph input bound with --bind)" % (i, what, n))
        return self.consts[n]

    def sample(self, shape=None):
        shape = self.shape if shape is None else shape
        return list(shape[self.off:])

    def ctnn_shape(self, shape=None):
        return _sample_to_ctnn(self.sample(shape))

    def sample_axis(self, node, axis, rank, what="axis"):
        a = axis + rank if axis < 0 else axis
        if not 0 <= a < rank:
            self.fail(node, "%s=%d is out of range for an input of rank %d" % (what, axis, rank))
        if a < self.off:
            self.fail(node, "%s=%d runs over the batch axis (axis 0, the runtime batch); ctnn computes each "
                            "sample on its own" % (what, axis))
        return a - self.off

    def add(self, layer, node):
        layer.comment = layer.comment or node.label()
        self.layers.append(layer)
        return layer

    def float_weights(self, node, arr, what):
        if arr.dtype != np.float32:
            if arr.dtype in (np.float16,):
                return arr.astype(np.float32)
            self.fail(node, "%s has type %s; only float32 weights are supported" % (what, arr.dtype))
        return arr

    def scalar(self, node, arr, what):
        a = np.asarray(arr)
        if a.size != 1:
            self.fail(node, "%s must be a single value, not shape %s" % (what, list(a.shape)))
        return float(a.reshape(()))

    # -- entry --------------------------------------------------------------------------------
    def run(self):
        g, nh = self.g, self.nh
        self.consts = {}
        for t in g.initializer:
            self.consts[t.name] = nh.to_array(t)
        for k, v in self.bindings.items():
            self.consts[k] = np.asarray(v)
        names = [i.name for i in g.input]
        for k in self.bindings:
            if k not in names:
                raise ConversionError("--bind %s: the graph has no input named '%s' (inputs: %s)"
                                      % (k, k, ", ".join(names)))
        if not g.input:
            raise ConversionError("the graph has no inputs")
        first = g.input[0]
        if first.name in self.consts:
            raise ConversionError("graph input 0 '%s' has an initializer or is bound: the first graph input "
                                  "must be the data" % first.name)
        for i, inp in enumerate(g.input[1:], 1):
            if inp.name not in self.consts:
                raise ConversionError("graph input %d '%s' has no initializer; bind it to a constant tensor with "
                                      "--bind %s=FILE.pb|FILE.npy (only the first input is data)"
                                      % (i, inp.name, inp.name))
        tt = first.type.tensor_type
        if not first.type.HasField("tensor_type"):
            raise ConversionError("graph input 0 '%s' is not a tensor" % first.name)
        if tt.elem_type != self.onnx.TensorProto.FLOAT:
            raise ConversionError("graph input 0 '%s' has element type %s; ctnn computes float32 only"
                                  % (first.name, self.onnx.TensorProto.DataType.Name(tt.elem_type)))
        if not tt.HasField("shape"):
            raise ConversionError("graph input 0 '%s' has no shape" % first.name)
        shape = []
        for ax, d in enumerate(tt.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(int(d.dim_value))
            elif ax == 0 and self.batch_first:
                shape.append(-1)
            else:
                raise ConversionError("graph input 0 '%s': dimension %d is dynamic (%s); ctnn needs a fixed "
                                      "sample shape (only axis 0, the batch, may vary)"
                                      % (first.name, ax, d.dim_param or "unknown"))
        if len(shape) == 0 and self.batch_first:
            raise _NeedWholeInput()
        self.input_name, self.input_shape = first.name, list(shape)
        ctnn_in = _sample_to_ctnn(shape[self.off:])
        if ctnn_in is None:
            raise ConversionError("graph input 0 '%s' has shape %s: a sample (%s) may have at most 3 dimensions"
                                  % (first.name, shape, "all but the first axis" if self.off else "the whole input"))
        self.ctnn_input = ctnn_in

        nodes = []
        for i, n in enumerate(g.node):
            attrs = {a.name: self.helper.get_attribute_value(a) for a in n.attribute}
            nodes.append(Node(i, n.op_type, n.name, n.input, n.output, attrs, n.domain))
        for n in nodes:
            if n.domain not in ("", "ai.onnx"):
                self.fail(n, "operator domain '%s' is not supported" % n.domain)
        nodes = self.fuse_softmax(nodes)

        self.outputs = [o.name for o in g.output]
        if len(self.outputs) != 1:
            # Find a node whose extra output is a graph output, to name it.
            for n in nodes:
                extra = [o for o in n.outputs[1:] if o in self.outputs]
                if extra:
                    self.check_extra_outputs(n, {})
            raise ConversionError("the graph has %d outputs (%s); ctnn networks have one"
                                  % (len(self.outputs), ", ".join(self.outputs)))
        consumers = {}
        for n in nodes:
            for x in n.inputs:
                if x:
                    consumers.setdefault(x, []).append(n)
        self.consumers = consumers
        self.nodes = nodes

        self.cur, self.shape = first.name, shape
        self.value_shapes = {first.name: list(shape)}
        skip = set()
        # Constant subgraphs first (a Constant may come after the node that uses it with another).
        for n in nodes:
            if all(not x or x in self.consts for x in n.inputs) and n.op in FOLDABLE and n.op != "Shape" \
                    or (n.op == "Constant"):
                try:
                    self.fold(n)
                except Exception:  # noqa: BLE001 -- reported with the node when the walk reaches it
                    continue
                skip.add(n.index)
        for pos, n in enumerate(nodes):
            if n.index in skip:
                continue
            if n.op in ("Shape", "Size") and n.inputs and n.inputs[0] in self.value_shapes:
                self.fold_shape(n)
                continue
            dyn = [x for x in n.inputs if x and x not in self.consts]
            if not dyn:
                try:
                    self.fold(n)
                except ConversionError:
                    raise
                except Exception as e:  # noqa: BLE001
                    self.fail(n, "cannot compute this constant (%s: %s)" % (type(e).__name__, e))
                continue
            for x in dyn:
                if x != self.cur:
                    self.fail(n, "input '%s' is not the output of the previous layer ('%s'): the graph must be "
                                 "a chain (branches and joins are not supported)" % (x, self.cur))
            if len(dyn) > 1:
                self.fail(n, "consumes '%s' twice; the graph must be a chain" % self.cur)
            users = [u for u in consumers.get(self.cur, []) if u.op not in ("Shape", "Size")]
            if len(users) > 1:
                self.fail(n, "value '%s' is used by %s: branches are not supported (the graph must be a chain)"
                          % (self.cur, " and ".join(u.label() for u in users)))
            if self.cur in self.outputs:
                self.fail(n, "value '%s' is a graph output and also feeds this node; ctnn networks have one "
                             "output" % self.cur)
            self.check_extra_outputs(n, consumers)
            if self.pending_pad is not None and n.op not in ("Conv", "AveragePool", "Pad"):
                self.flush_pad(n)
            handler = getattr(self, "op_" + n.op, None)
            if handler is None:
                self.fail(n, "operator %s is not supported" % n.op)
            absorbed = handler(n, pos)
            if absorbed:
                skip.update(absorbed)
            self.value_shapes[self.cur] = list(self.shape)
        if self.pending_pad is not None:
            self.flush_pad(None)
        if self.cur != self.outputs[0]:
            raise ConversionError("the graph output '%s' is not computed from the input by the chain (the chain "
                                  "ends at '%s')" % (self.outputs[0], self.cur))
        if not self.layers:
            self.layers.append(Layer("identity", comment="the graph only passes its input through"))
        # Output shape as declared, when it is.
        out_vi = g.output[0]
        if out_vi.type.HasField("tensor_type"):
            ot = out_vi.type.tensor_type
            if ot.elem_type not in (0, self.onnx.TensorProto.FLOAT):
                raise ConversionError("graph output '%s' has element type %s; ctnn computes float32 only"
                                      % (out_vi.name, self.onnx.TensorProto.DataType.Name(ot.elem_type)))
            if ot.HasField("shape"):
                decl = [int(d.dim_value) if d.HasField("dim_value") else -1 for d in ot.shape.dim]
                if len(decl) != len(self.shape) or any(
                        a != b and a != -1 and b != -1 for a, b in zip(decl, self.shape)):
                    raise ConversionError("the graph declares output '%s' with shape %s, but the converted "
                                          "layers compute %s" % (out_vi.name, decl, self.shape))
        out_ctnn = self.ctnn_shape()
        if out_ctnn is None:
            raise ConversionError("the output has shape %s: a sample may have at most 3 dimensions" % self.shape)
        return self

    def check_extra_outputs(self, n, consumers):
        for k, o in enumerate(n.outputs[1:], 1):
            if not o:
                continue
            if o in self.outputs or consumers.get(o):
                what = {"MaxPool": "Indices", "Dropout": "mask",
                        "BatchNormalization": "running statistics"}.get(n.op, "")
                self.fail(n, "output %d ('%s'%s) is used; only the first output of a node may be used"
                          % (k, o, ", " + what if what else ""))

    # -- constant folding ---------------------------------------------------------------------
    def fold(self, n):
        c = self.consts
        if n.op == "Constant":
            a = n.attrs
            if "value" in a:
                v = self.nh.to_array(a["value"])
            elif "value_float" in a:
                v = np.array(a["value_float"], dtype=np.float32)
            elif "value_floats" in a:
                v = np.array(a["value_floats"], dtype=np.float32)
            elif "value_int" in a:
                v = np.array(a["value_int"], dtype=np.int64)
            elif "value_ints" in a:
                v = np.array(a["value_ints"], dtype=np.int64)
            else:
                self.fail(n, "only value, value_float(s) and value_int(s) Constants are supported")
            c[n.outputs[0]] = v
        elif n.op == "Identity":
            c[n.outputs[0]] = c[n.inputs[0]]
        elif n.op == "Transpose":
            perm = n.attr("perm")
            c[n.outputs[0]] = np.transpose(c[n.inputs[0]], perm)
        elif n.op == "Reshape":
            x = c[n.inputs[0]]
            target = list(n.attr("shape")) if self.opset < 5 else [int(v) for v in c[n.inputs[1]].reshape(-1)]
            allowzero = n.attr("allowzero", 0)
            t = [x.shape[i] if (v == 0 and not allowzero) else v for i, v in enumerate(target)]
            c[n.outputs[0]] = x.reshape(t)
        elif n.op == "Cast":
            onnx = self.onnx
            to = n.attr("to")
            dt = onnx.helper.tensor_dtype_to_np_dtype(to) if hasattr(onnx.helper, "tensor_dtype_to_np_dtype") \
                else onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[to]
            c[n.outputs[0]] = c[n.inputs[0]].astype(dt)
        elif n.op in ("Unsqueeze", "Squeeze"):
            x = c[n.inputs[0]]
            axes = n.attr("axes")
            if axes is None and len(n.inputs) > 1 and n.inputs[1]:
                axes = [int(v) for v in c[n.inputs[1]].reshape(-1)]
            if n.op == "Unsqueeze":
                r = x.ndim + len(axes)
                for a in sorted(a + r if a < 0 else a for a in axes):
                    x = np.expand_dims(x, a)
            else:
                x = np.squeeze(x, axis=tuple(axes) if axes is not None else None)
            c[n.outputs[0]] = x
        elif n.op in ("Shape", "Size"):
            x = c[n.inputs[0]]
            c[n.outputs[0]] = np.array(x.shape if n.op == "Shape" else x.size, dtype=np.int64)
            if n.op == "Shape" and (n.attr("start") is not None or n.attr("end") is not None):
                c[n.outputs[0]] = c[n.outputs[0]][n.attr("start", 0):n.attr("end", None)]
        elif n.op == "Gather":
            idx = c[n.inputs[1]]
            c[n.outputs[0]] = np.take(c[n.inputs[0]], idx, axis=int(n.attr("axis", 0)))
        elif n.op == "Concat":
            c[n.outputs[0]] = np.concatenate([c[x] for x in n.inputs if x], axis=int(n.attr("axis")))
        elif n.op == "ConstantOfShape":
            v = self.nh.to_array(n.attr("value")) if n.attr("value") is not None else np.zeros(1, np.float32)
            c[n.outputs[0]] = np.full([int(d) for d in c[n.inputs[0]].reshape(-1)], v.reshape(-1)[0], dtype=v.dtype)
        elif n.op == "Slice":
            x = c[n.inputs[0]]
            if self.opset < 10:
                starts, ends = list(n.attr("starts")), list(n.attr("ends"))
                axes, steps = n.attr("axes"), None
            else:
                get = lambda i: None if len(n.inputs) <= i or not n.inputs[i] else [int(v) for v in c[n.inputs[i]].reshape(-1)]  # noqa
                starts, ends, axes, steps = get(1), get(2), get(3), get(4)
            axes = list(range(len(starts))) if axes is None else list(axes)
            steps = [1] * len(starts) if steps is None else steps
            sl = [slice(None)] * x.ndim
            for a, b, e, st in zip(axes, starts, ends, steps):
                sl[a] = slice(b, e, st)
            c[n.outputs[0]] = x[tuple(sl)]
        elif n.op in ("Add", "Sub", "Mul", "Div"):
            a, b = c[n.inputs[0]], c[n.inputs[1]]
            if n.op == "Div" and a.dtype.kind in "iu":
                r = np.trunc(a / b).astype(a.dtype)
            else:
                r = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[n.op](a, b)
            c[n.outputs[0]] = np.asarray(r).astype(np.result_type(a, b))
        elif n.op == "Neg":
            c[n.outputs[0]] = -c[n.inputs[0]]
        elif n.op == "Expand":
            x = c[n.inputs[0]]
            shp = [int(d) for d in c[n.inputs[1]].reshape(-1)]
            c[n.outputs[0]] = x * np.ones(shp, dtype=x.dtype)
        elif n.op == "Range":
            st, lim, d = (c[x].reshape(()) for x in n.inputs[:3])
            c[n.outputs[0]] = np.arange(st, lim, d, dtype=c[n.inputs[0]].dtype)
        else:
            self.fail(n, "operator %s on constants only is not supported (only %s are folded)"
                      % (n.op, ", ".join(sorted(FOLDABLE))))

    def fold_shape(self, n):
        """Shape/Size of a value of the chain: its shape is known (a dynamic batch is N_SYM)."""
        shp = [N_SYM if d == -1 else d for d in self.value_shapes[n.inputs[0]]]
        if n.op == "Size":
            if N_SYM in shp:
                self.fail(n, "the size of a value with a dynamic batch is not a constant")
            self.consts[n.outputs[0]] = np.array(int(np.prod(shp)), dtype=np.int64)
            return
        v = np.array(shp, dtype=np.int64)
        if n.attr("start") is not None or n.attr("end") is not None:
            v = v[n.attr("start", 0):n.attr("end", None)]
        self.consts[n.outputs[0]] = v

    # -- softmax written out as ReduceMax, Sub, Exp, ReduceSum, Div (or Log, Sub) -------------
    def fuse_softmax(self, nodes):
        producers = {o: n for n in nodes for o in n.outputs if o}
        users = {}
        for n in nodes:
            for x in n.inputs:
                if x:
                    users.setdefault(x, []).append(n)
        graph_out = {o.name for o in self.g.output}

        def const_of(name):
            if name in self.consts:
                return self.consts[name]
            p = producers.get(name)
            if p is not None and p.op == "Constant" and "value" in p.attrs:
                return self.nh.to_array(p.attrs["value"])
            return None

        def axes_of(n):
            if n.attr("axes") is not None:
                return list(n.attr("axes"))
            if len(n.inputs) > 1 and n.inputs[1]:
                v = const_of(n.inputs[1])
                return None if v is None else [int(a) for a in v.reshape(-1)]
            return None

        def only(name, *expected):
            u = users.get(name, [])
            return name not in graph_out and sorted(id(x) for x in u) == sorted(id(x) for x in expected)

        def single(name, op):
            u = users.get(name, [])
            return u[0] if len(u) >= 1 and all(x.op == op for x in u[:1]) else None

        removed, inserted = set(), {}
        # Transpose(swap axis a and the last) -> (Log)Softmax over the last axis -> the same Transpose:
        # how PyTorch exports softmax(x, dim=a) before opset 13. It is softmax along axis a.
        for t1 in nodes:
            perm = t1.attr("perm")
            if t1.op != "Transpose" or perm is None or id(t1) in removed:
                continue
            r = len(perm)
            moved = [i for i in range(r) if perm[i] != i]
            if len(moved) != 2 or moved[1] != r - 1 or perm[moved[0]] != r - 1 or perm[r - 1] != moved[0]:
                continue
            u = users.get(t1.outputs[0], [])
            if len(u) != 1 or u[0].op not in ("Softmax", "LogSoftmax") or not only(t1.outputs[0], u[0]):
                continue
            sm = u[0]
            ax = sm.attr("axis", -1 if self.opset >= 13 else 1)
            if ax not in (-1, r - 1):
                continue
            u2 = users.get(sm.outputs[0], [])
            if len(u2) != 1 or u2[0].op != "Transpose" or list(u2[0].attr("perm") or []) != list(perm) \
                    or not only(sm.outputs[0], u2[0]):
                continue
            t2 = u2[0]
            group = [t1, sm, t2]
            fused = Node("%d-%d" % (t1.index, t2.index), sm.op, "%s between two Transposes" % sm.op,
                         [t1.inputs[0]], [t2.outputs[0]], {"axis": moved[0], "_opset13": True})
            for n in group:
                removed.add(id(n))
            inserted[t2.index] = fused
        for rm in nodes:
            if rm.op != "ReduceMax" or rm.attr("keepdims", 1) != 1:
                continue
            x = rm.inputs[0]
            ax = axes_of(rm)
            if not ax or len(ax) != 1:
                continue
            subs = [u for u in users.get(rm.outputs[0], []) if u.op == "Sub" and u.inputs == [x, rm.outputs[0]]]
            if len(subs) != 1:
                continue
            sub = subs[0]
            e = single(sub.outputs[0], "Exp")
            if e is None:
                continue
            rs = [u for u in users.get(e.outputs[0], []) if u.op == "ReduceSum"]
            if len(rs) != 1 or rs[0].attr("keepdims", 1) != 1 or axes_of(rs[0]) != ax:
                continue
            rs = rs[0]
            if not only(rm.outputs[0], sub):
                continue
            divs = [u for u in users.get(e.outputs[0], []) if u.op == "Div" and u.inputs == [e.outputs[0], rs.outputs[0]]]
            logs = [u for u in users.get(rs.outputs[0], []) if u.op == "Log"]
            if divs and only(e.outputs[0], rs, divs[0]) and only(rs.outputs[0], divs[0]) and only(sub.outputs[0], e):
                group, out, op = [rm, sub, e, rs, divs[0]], divs[0].outputs[0], "Softmax"
            elif logs and only(e.outputs[0], rs) and only(rs.outputs[0], logs[0]):
                lg = logs[0]
                s2 = [u for u in users.get(lg.outputs[0], []) if u.op == "Sub" and u.inputs == [sub.outputs[0], lg.outputs[0]]]
                if len(s2) != 1 or not only(lg.outputs[0], s2[0]) or not only(sub.outputs[0], e, s2[0]):
                    continue
                group, out, op = [rm, sub, e, rs, lg, s2[0]], s2[0].outputs[0], "LogSoftmax"
            else:
                continue
            if not only(x, rm, sub):
                continue
            last = max(n.index for n in group)
            fused = Node("%d-%d" % (min(n.index for n in group), last), op,
                         "%s written out as %s" % (op, ", ".join(n.op for n in group)),
                         [x], [out], {"axis": ax[0], "_opset13": True})
            for n in group:
                removed.add(id(n))
            inserted[last] = fused
        if not removed:
            return nodes
        out = []
        for n in nodes:
            if id(n) not in removed:
                out.append(n)
            if n.index in inserted:
                out.append(inserted[n.index])
        return out

    # -- padding ------------------------------------------------------------------------------
    def flush_pad(self, node):
        t, l, b, r, before = self.pending_pad
        self.pending_pad = None
        if "zero_pad" not in self.avail:
            raise ConversionError("%s: needs ctnn::zero_pad (not available)" % self.pad_node.label())
        self.layers.append(Layer("zero_pad", args=[t, l, b, r], comment=self.pad_node.label()))

    def op_Pad(self, n, pos):
        if self.opset < 11:
            mode = n.attr("mode", b"constant")
            pads = list(n.attr("pads", n.attr("paddings", [])))
            value = float(n.attr("value", 0.0))
        else:
            mode = n.attr("mode", b"constant")
            p = self.const(n, 1, "pads")
            if p is None:
                self.fail(n, "has no pads")
            pads = [int(v) for v in p.reshape(-1)]
            v = self.const(n, 2, "constant_value")
            value = 0.0 if v is None else self.scalar(n, v, "constant_value")
            if len(n.inputs) > 3 and n.inputs[3]:
                axes = [int(a) for a in self.const(n, 3, "axes").reshape(-1)]
                full = [0] * (2 * len(self.shape))
                r = len(self.shape)
                for k, a in enumerate(axes):
                    a = a + r if a < 0 else a
                    full[a], full[a + r] = pads[k], pads[k + len(axes)]
                pads = full
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode != "constant":
            self.fail(n, "mode='%s' is not supported (only constant zero padding)" % mode)
        if value != 0.0:
            self.fail(n, "constant_value=%r is not supported (only zero padding; ctnn pads with zeros)" % value)
        rank = len(self.shape)
        if len(pads) != 2 * rank:
            self.fail(n, "pads has %d values for an input of rank %d" % (len(pads), rank))
        if any(v < 0 for v in pads):
            self.fail(n, "negative pads %s (cropping) are not supported" % pads)
        if rank != 4 or not self.batch_first:
            self.fail(n, "only padding of the H and W axes of an N x C x H x W input is supported (input shape %s)"
                      % self.shape)
        if pads[0] or pads[1] or pads[4] or pads[5]:
            self.fail(n, "pads %s pad the batch or channel axis; only H and W can be padded" % pads)
        t, l, b, r = pads[2], pads[3], pads[6], pads[7]
        before = list(self.shape)
        self.pad_node = n
        if self.pending_pad is not None:
            pt, pl, pb, pr, before = self.pending_pad
            t, l, b, r = t + pt, l + pl, b + pb, r + pr
        self.pending_pad = (t, l, b, r, before)
        self.shape = [self.shape[0], self.shape[1], self.shape[2] + pads[2] + pads[6], self.shape[3] + pads[3] + pads[7]]
        self.cur = n.outputs[0]

    # -- convolution --------------------------------------------------------------------------
    def spatial(self, n, kernel, what):
        """strides, dilations, pads (top, left, bottom, right) and auto_pad kind of a 2-D window; a 1-D
        window over N x C x L runs as a 2-D one over C x L x 1 (its sample's ctnn shape)."""
        nd = len(self.shape) - 2
        if nd not in (1, 2) or not self.batch_first:
            self.fail(n, "only 1-D and 2-D %s over an N x C x (H x) W input is supported (input shape %s)"
                      % (what, self.shape))
        strides = list(n.attr("strides", [1] * nd))
        dil = list(n.attr("dilations", [1] * nd))
        if len(strides) != nd or len(dil) != nd:
            self.fail(n, "strides %s / dilations %s must have %d values" % (strides, dil, nd))
        if min(strides) < 1 or min(dil) < 1:
            self.fail(n, "strides %s and dilations %s must be at least 1" % (strides, dil))
        if nd == 1:
            strides, dil = strides + [1], dil + [1]
        ap = n.attr("auto_pad", b"NOTSET")
        ap = ap.decode() if isinstance(ap, bytes) else ap
        H, W = self.view4()[2], self.view4()[3]
        auto = None
        if ap in ("NOTSET", ""):
            pads = list(n.attr("pads", [0] * (2 * nd)))
            if len(pads) != 2 * nd:
                self.fail(n, "pads %s must have %d values" % (pads, 2 * nd))
            if min(pads) < 0:
                self.fail(n, "negative pads %s are not supported" % pads)
            if nd == 1:
                pads = [pads[0], 0, pads[1], 0]
        elif ap == "VALID":
            pads, auto = [0, 0, 0, 0], "valid"
        elif ap in ("SAME_UPPER", "SAME_LOWER"):
            up = ap == "SAME_UPPER"
            auto = ap.lower()
            t, b = _same_pads(H, kernel[0], strides[0], dil[0], up)
            l, r = _same_pads(W, kernel[1], strides[1], dil[1], up)
            pads = [t, l, b, r]
        else:
            self.fail(n, "auto_pad='%s' is not supported" % ap)
        return strides, dil, pads, auto

    @staticmethod
    def pad_opt(pads):
        t, l, b, r = pads
        if not any(pads):
            return []
        if t == b == l == r:
            return ["pad<%d>" % t]
        if t == b and l == r:
            return ["pad<%d, %d>" % (t, l)]
        return ["pad<%d, %d, %d, %d>" % (t, l, b, r)]

    def view4(self):
        """The shape as N x C x H x W (N x C x L is N x C x L x 1)."""
        return list(self.shape) + [1] * (4 - len(self.shape))

    def set_spatial(self, c, h, w):
        self.shape = [self.shape[0], c, h, w] if len(self.shape) == 4 else [self.shape[0], c, h]

    def auto_opt(self, auto, pads):
        """ctnn::same_upper/same_lower/valid when ctnn has them (they compute the same pads), else the pads."""
        if auto is not None and auto in self.avail:
            return [] if auto == "valid" else [auto]
        return self.pad_opt(pads)

    @staticmethod
    def hw(k):
        return str(k[0]) if k[0] == k[1] else "ctnn::hw{%d, %d}" % (k[0], k[1])

    def op_Conv(self, n, pos):
        if len(self.shape) not in (3, 4):
            self.fail(n, "only 1-D and 2-D convolution (input N x C x L or N x C x H x W) is supported; this input "
                         "has shape %s" % self.shape)
        w = self.const(n, 1, "W")
        w = self.float_weights(n, w, "W")
        if w.ndim != len(self.shape):
            self.fail(n, "W has shape %s for an input of shape %s" % (list(w.shape), self.shape))
        if w.ndim == 3:
            w = w.reshape(list(w.shape) + [1])  # a 1-D kernel is k x 1 over C x L x 1
        bias = self.const(n, 2, "B")
        M, Cg, KH, KW = (int(v) for v in w.shape)
        ks = n.attr("kernel_shape")
        if ks is not None and list(ks) != [KH, KW][:len(self.shape) - 2]:
            self.fail(n, "kernel_shape %s does not match W's shape %s" % (list(ks), list(w.shape)))
        group = int(n.attr("group", 1))
        C = self.shape[1]
        if group < 1 or C % group or M % group or Cg * group != C:
            self.fail(n, "group=%d does not fit %d input channels and W of shape %s" % (group, C, list(w.shape)))
        strides, dil, pads, auto = self.spatial(n, (KH, KW), "convolution")
        if self.pending_pad is not None:
            pt, pl, pb, pr, before = self.pending_pad
            self.pending_pad = None
            pads = [pads[0] + pt, pads[1] + pl, pads[2] + pb, pads[3] + pr]
            in_h, in_w = before[2], before[3]
            merged, auto = True, None
        else:
            in_h, in_w = self.view4()[2], self.view4()[3]
            merged = False
        opts = []
        span = (dil[0] * (KH - 1) + 1, dil[1] * (KW - 1) + 1)
        for ax, (nin, pb_, pe_) in enumerate(((in_h, pads[0], pads[2]), (in_w, pads[1], pads[3]))):
            if nin + pb_ + pe_ < span[ax]:
                self.fail(n, "the kernel (%d with dilation) does not fit the padded input (%d + %d + %d)"
                          % (span[ax], nin, pb_, pe_))
        if max(pads[0], pads[2]) >= span[0] or max(pads[1], pads[3]) >= span[1]:
            # ctnn's conv2d takes padding smaller than the kernel; pad first with zero_pad.
            if "zero_pad" not in self.avail:
                self.need(n, "zero_pad")
            self.layers.append(Layer("zero_pad", args=pads, comment=(self.pad_node.label() + " + " if merged else "")
                                     + n.label() + " padding"))
            in_h, in_w = in_h + pads[0] + pads[2], in_w + pads[1] + pads[3]
            pads, auto = [0, 0, 0, 0], None
        oh = (in_h + pads[0] + pads[2] - span[0]) // strides[0] + 1
        ow = (in_w + pads[1] + pads[3] - span[1]) // strides[1] + 1
        opts += self.auto_opt(auto, pads)
        if strides != [1, 1]:
            opts.append("stride<%d>" % strides[0] if strides[0] == strides[1] else "stride<%d, %d>" % tuple(strides))
        if dil != [1, 1]:
            opts.append("dilation<%d>" % dil[0] if dil[0] == dil[1] else "dilation<%d, %d>" % tuple(dil))
        if group != 1:
            opts.append("groups<%d>" % group)
        tensors = [w]
        if bias is None:
            opts.append("no_bias")
        else:
            bias = self.float_weights(n, bias, "B").reshape(-1)
            if bias.size != M:
                self.fail(n, "B has %d values for %d output channels" % (bias.size, M))
            tensors.append(bias)
        if (in_h + pads[0] + pads[2] - span[0]) % strides[0] or (in_w + pads[1] + pads[3] - span[1]) % strides[1]:
            opts.append("floor_mode")
        comment = (self.pad_node.label() + " + " if merged else "") + n.label()
        self.add(Layer("conv2d", args=[M, self.hw((KH, KW))], opts=opts, tensors=tensors, comment=comment,
                       kind="conv", out=n.outputs[0]), n)
        self.set_spatial(M, oh, ow)
        self.cur = n.outputs[0]

    # -- pooling ------------------------------------------------------------------------------
    def pool(self, n, kind):
        if len(self.shape) not in (3, 4):
            self.fail(n, "only 1-D and 2-D pooling (input N x C x L or N x C x H x W) is supported; this input "
                         "has shape %s" % self.shape)
        ks = n.attr("kernel_shape")
        if ks is None or len(ks) != len(self.shape) - 2:
            self.fail(n, "kernel_shape %s does not fit an input of shape %s" % (list(ks) if ks else ks, self.shape))
        k = [int(v) for v in ks] + ([1] if len(ks) == 1 else [])
        strides, dil, pads, auto = self.spatial(n, k, "pooling")
        # With auto_pad SAME_* or VALID, ONNX's output size does not depend on ceil_mode.
        ceil = bool(n.attr("ceil_mode", 0)) and auto is None
        if kind == "max" and int(n.attr("storage_order", 0)) != 0:
            self.fail(n, "storage_order=%d is not supported (only 0)" % n.attr("storage_order"))
        cip = int(n.attr("count_include_pad", 0))
        if kind == "avg" and dil != [1, 1]:
            self.fail(n, "dilations %s are not supported for AveragePool" % dil)
        H, W = self.view4()[2], self.view4()[3]
        onnx_out = [_pool_out(H, k[0], pads[0], pads[2], strides[0], dil[0], ceil),
                    _pool_out(W, k[1], pads[1], pads[3], strides[1], dil[1], ceil)]
        in_dims = [H, W]
        pending_label = ""
        if self.pending_pad is not None:
            pt, pl, pb, pr, before = self.pending_pad
            merged_pads = [pads[0] + pt, pads[1] + pl, pads[2] + pb, pads[3] + pr]
            bh, bw = before[2], before[3]
            ok = kind == "avg" and (cip == 1 or not any(pads))
            if ok:
                mo = [_ctnn_window_out(bh, k[0], merged_pads[0], merged_pads[2], strides[0], 1, ceil),
                      _ctnn_window_out(bw, k[1], merged_pads[1], merged_pads[3], strides[1], 1, ceil)]
                ok = (mo == onnx_out and max(merged_pads[0], merged_pads[2]) < k[0]
                      and max(merged_pads[1], merged_pads[3]) < k[1]
                      and all((o - 1) * s + kk <= nn + pb_ + pe_ for o, s, kk, nn, pb_, pe_ in
                              ((mo[0], strides[0], k[0], bh, merged_pads[0], merged_pads[2]),
                               (mo[1], strides[1], k[1], bw, merged_pads[1], merged_pads[3]))))
            if ok:
                pending_label = self.pad_node.label() + " + "
                self.pending_pad = None
                auto = None
                pads, in_dims, cip = merged_pads, [bh, bw], 1
            else:
                self.flush_pad(n)
        span = [dil[0] * (k[0] - 1) + 1, dil[1] * (k[1] - 1) + 1]
        for ax in range(2):
            nin, pb_, pe_ = in_dims[ax], pads[ax], pads[ax + 2]
            if pb_ >= span[ax] or pe_ >= span[ax]:
                self.fail(n, "pads %s: the padding must be smaller than the window %s" % (pads, k))
            if nin + pb_ + pe_ < span[ax]:
                self.fail(n, "the window %s does not fit the padded input" % k)
            co = _ctnn_window_out(nin, k[ax], pb_, pe_, strides[ax], dil[ax], ceil)
            if co != onnx_out[ax]:
                self.fail(n, "ceil_mode=1: the last window would start in the end padding; ONNX keeps it, ctnn "
                             "(as PyTorch) drops it (axis %s: %d vs %d outputs)" % ("HW"[ax], onnx_out[ax], co))
            if not _every_window_sees_input(nin, k[ax], pb_, strides[ax], dil[ax], co):
                self.fail(n, "a window holds only padding (dilations %s, pads %s)" % (dil, pads))
            if kind == "avg" and cip and (co - 1) * strides[ax] + span[ax] > nin + pb_ + pe_:
                self.fail(n, "count_include_pad=1 with a ceil_mode window that hangs over the padded input "
                             "is not supported")
        opts = self.auto_opt(auto, pads)
        if strides != k:
            opts.append("stride<%d>" % strides[0] if strides[0] == strides[1] else "stride<%d, %d>" % tuple(strides))
        if dil != [1, 1]:
            opts.append("dilation<%d>" % dil[0] if dil[0] == dil[1] else "dilation<%d, %d>" % tuple(dil))
        exact = all((in_dims[a] + pads[a] + pads[a + 2] - span[a]) % strides[a] == 0 for a in range(2))
        if not exact:
            opts.append("ceil_mode" if ceil else "floor_mode")
        if kind == "avg" and any(pads) and not cip:
            opts.append("count_exclude_pad")
        self.add(Layer("max_pool2d" if kind == "max" else "avg_pool2d", args=[self.hw(k)], opts=opts,
                       comment=pending_label + n.label()), n)
        self.set_spatial(self.shape[1], onnx_out[0], onnx_out[1])
        self.cur = n.outputs[0]

    def op_MaxPool(self, n, pos):
        self.pool(n, "max")

    def op_AveragePool(self, n, pos):
        self.pool(n, "avg")

    def global_pool(self, n, kind):
        if len(self.shape) not in (3, 4) or not self.batch_first:
            self.fail(n, "only N x C x L and N x C x H x W inputs are supported (input shape %s)" % self.shape)
        H, W = self.view4()[2], self.view4()[3]
        name = "global_avg_pool" if kind == "avg" else "global_max_pool"
        if name in self.avail:
            self.add(Layer(name), n)
        else:  # a window over the whole input is the same computation
            self.add(Layer("avg_pool2d" if kind == "avg" else "max_pool2d", args=[self.hw((H, W))]), n)
        self.set_spatial(self.shape[1], 1, 1)
        self.cur = n.outputs[0]

    def op_GlobalAveragePool(self, n, pos):
        self.global_pool(n, "avg")

    def op_GlobalMaxPool(self, n, pos):
        self.global_pool(n, "max")

    # -- normalization ------------------------------------------------------------------------
    def op_BatchNormalization(self, n, pos):
        if not self.batch_first or len(self.shape) < 2:
            self.fail(n, "needs an input N x C (x ...) with the batch first (input shape %s)" % self.shape)
        if int(n.attr("training_mode", 0)) != 0:
            self.fail(n, "training_mode=1 is not supported (inference only)")
        if self.opset < 7 and int(n.attr("is_test", 0)) == 0:
            self.fail(n, "is_test=0 (training mode) is not supported (inference only)")
        if self.opset < 9 and int(n.attr("spatial", 1)) != 1:
            self.fail(n, "spatial=0 is not supported")
        if len(self.shape) > 4:
            self.fail(n, "input rank %d: only N x C, N x C x L and N x C x H x W are supported" % len(self.shape))
        C = self.shape[1]
        vals = []
        for i, what in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var")):
            v = self.const(n, i, what)
            if v is None:
                self.fail(n, "input %s is missing" % what)
            v = self.float_weights(n, v, what).reshape(-1)
            if v.size != C:
                self.fail(n, "%s has %d values for %d channels" % (what, v.size, C))
            vals.append(v)
        scale, b, mean, var = vals
        eps = float(np.float32(n.attr("epsilon", 1e-5)))
        if not eps > 0:
            self.fail(n, "epsilon=%r must be positive" % eps)
        last = self.layers[-1] if self.layers else None
        if last is not None and last.kind == "conv" and last.out == self.cur and self.pending_pad is None:
            s = scale.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps)
            w = last.tensors[0].astype(np.float64) * s[:, None, None, None]
            b0 = last.tensors[1].astype(np.float64) if len(last.tensors) > 1 else np.zeros(C)
            nb = (b0 - mean) * s + b
            last.tensors = [w.astype(np.float32), nb.astype(np.float32)]
            last.opts = [o for o in last.opts if o != "no_bias"]
            last.comment += " + " + n.label() + " (folded)"
            last.kind, last.out = "conv+bn", n.outputs[0]
        else:
            m = 1.0 - float(np.float32(n.attr("momentum", 0.9)))
            m = min(max(m, 0.0), 1.0)
            self.add(Layer("batch_norm", args=[repr(m), real_literal(eps)], tensors=[scale, b, mean, var]), n)
        self.cur = n.outputs[0]

    # -- fully connected ----------------------------------------------------------------------
    def op_Gemm(self, n, pos):
        if len(self.shape) != 2:
            self.fail(n, "A must be a matrix (input shape %s)" % self.shape)
        alpha = float(np.float32(n.attr("alpha", 1.0)))
        beta = float(np.float32(n.attr("beta", 1.0)))
        ta, tb = int(n.attr("transA", 0)), int(n.attr("transB", 0))
        B = self.float_weights(n, self.const(n, 1, "B"), "B")
        if B.ndim != 2:
            self.fail(n, "B has shape %s; it must be a matrix" % list(B.shape))
        C = self.const(n, 2, "C")
        if C is not None:
            C = self.float_weights(n, C, "C")
        K = self.shape[0] if ta else self.shape[1]
        M = self.shape[1] if ta else self.shape[0]
        Kb, N = (B.shape[1], B.shape[0]) if tb else (B.shape[0], B.shape[1])
        if Kb != K:
            self.fail(n, "B has shape %s, which does not fit A of shape %s (transA=%d, transB=%d)"
                      % (list(B.shape), self.shape, ta, tb))
        rows_vary = False
        if C is not None:
            if C.ndim > 2:
                self.fail(n, "C has shape %s; it must broadcast to M x N" % list(C.shape))
            cs = list(C.shape)
            if len(cs) == 2 and cs[0] != 1:
                if M == -1:
                    self.fail(n, "C has %d rows but the batch (M) is dynamic" % cs[0])
                try:
                    Cb = np.broadcast_to(C, (M, N))
                except ValueError:
                    self.fail(n, "C has shape %s, which does not broadcast to M x N = %d x %d" % (cs, M, N))
                rows_vary = not np.array_equal(Cb, np.broadcast_to(Cb[0:1], Cb.shape))
            else:
                try:
                    np.broadcast_to(C, (1, N))
                except ValueError:
                    self.fail(n, "C has shape %s, which does not broadcast to M x N = %d x %d" % (cs, M, N))
        if self.batch_first and (ta or rows_vary):
            raise _NeedWholeInput()
        if not self.batch_first:
            self.need(n, "gemm")
            if -1 in self.shape:
                self.fail(n, "dynamic shape %s" % self.shape)
            opts = (["trans_a"] if ta else []) + (["trans_b"] if tb else [])
            tensors = [B]
            if C is None:
                opts.append("no_bias")
            else:
                tensors.append(np.broadcast_to(C, (M, N)).astype(np.float32))
            self.add(Layer("gemm", args=[N, real_literal(alpha), real_literal(beta)], opts=opts, tensors=tensors), n)
            self.shape = [M, N]
            self.cur = n.outputs[0]
            return
        W = (B if tb else B.T).astype(np.float64) * alpha
        tensors = [W.astype(np.float32)]
        opts = []
        if C is None:
            opts.append("no_bias")
        else:
            rows = C.shape[0] if C.ndim == 2 else 1
            bias = np.broadcast_to(C.astype(np.float64), (rows, N))[0] * beta
            tensors.append(bias.astype(np.float32))
        self.add(Layer("dense", args=[N], opts=opts, tensors=tensors, kind="dense", out=n.outputs[0]), n)
        self.shape = [self.shape[0], N]
        self.cur = n.outputs[0]

    def op_MatMul(self, n, pos):
        if n.inputs[0] != self.cur:
            self.fail(n, "the constant must be the second operand (B)")
        B = self.float_weights(n, self.const(n, 1, "B"), "B")
        if B.ndim != 2:
            self.fail(n, "B has shape %s; only a constant matrix B is supported" % list(B.shape))
        if len(self.shape) != 2 or not self.batch_first:
            self.fail(n, "A has shape %s; only a matrix A (batch x features) is supported" % self.shape)
        K, N = B.shape
        if self.shape[1] != K:
            self.fail(n, "B has shape %s, which does not fit A of shape %s" % (list(B.shape), self.shape))
        absorbed = []
        tensors = [B.T.astype(np.float32)]
        opts = ["no_bias"]
        out = n.outputs[0]
        users = self.consumers.get(out, [])
        comment = n.label()
        if len(users) == 1 and users[0].op == "Add" and out not in self.outputs:
            add = users[0]
            other = [x for x in add.inputs if x != out]
            if len(add.inputs) == 2 and len(other) == 1 and other[0] in self.consts:
                c = np.asarray(self.consts[other[0]])
                if c.dtype == np.float32 and c.ndim <= 2 and (c.ndim < 2 or c.shape[0] == 1) and c.size in (1, N):
                    tensors.append(np.broadcast_to(c.reshape(-1), (N,)).astype(np.float32))
                    opts = []
                    absorbed.append(add.index)
                    out = add.outputs[0]
                    comment += " + " + add.label()
        self.add(Layer("dense", args=[N], opts=opts, tensors=tensors, comment=comment, kind="dense", out=out), n)
        self.shape = [self.shape[0], N]
        self.cur = out
        return absorbed

    def op_Add(self, n, pos):
        """A constant bias after a Conv, Gemm or MatMul: added to that layer's bias."""
        other = [x for x in n.inputs if x != self.cur]
        last = self.layers[-1] if self.layers else None
        if len(n.inputs) != 2 or len(other) != 1 or other[0] not in self.consts or last is None \
                or last.kind not in ("conv", "conv+bn", "dense") or last.out != self.cur:
            self.fail(n, "only the addition of a constant bias right after a Conv, Gemm or MatMul is supported")
        c = np.asarray(self.consts[other[0]])
        if c.dtype != np.float32:
            self.fail(n, "the constant has type %s, not float32" % c.dtype)
        rank = len(self.shape)
        if c.ndim > rank:
            self.fail(n, "the constant of shape %s has more axes than %s" % (list(c.shape), self.shape))
        cs = [1] * (rank - c.ndim) + list(c.shape)
        M = self.shape[1]
        if cs[0] != 1 or cs[1] not in (1, M) or any(d != 1 for d in cs[2:]):
            self.fail(n, "the constant of shape %s is not one value per channel (shape %s)" % (list(c.shape), self.shape))
        add = np.broadcast_to(c.reshape(-1).astype(np.float64), (M,)) if c.size > 1 else np.full(M, float(c.reshape(-1)[0]))
        old = last.tensors[1].astype(np.float64) if len(last.tensors) > 1 else np.zeros(M)
        last.tensors = [last.tensors[0], (old + add).astype(np.float32)]
        last.opts = [o for o in last.opts if o != "no_bias"]
        last.comment += " + " + n.label()
        last.out = n.outputs[0]
        self.cur = n.outputs[0]

    # -- element-wise -------------------------------------------------------------------------
    def same(self, n, layer):
        self.add(layer, n)
        self.cur = n.outputs[0]

    def op_Relu(self, n, pos):
        self.same(n, Layer("relu"))

    def op_LeakyRelu(self, n, pos):
        a = float(np.float32(n.attr("alpha", 0.01)))
        if a < 0:
            self.fail(n, "alpha=%r: ctnn::leaky_relu takes no negative slope" % a)
        self.same(n, Layer("leaky_relu", args=[real_literal(a)]))

    def op_Sigmoid(self, n, pos):
        self.same(n, Layer("sigmoid"))

    def op_Tanh(self, n, pos):
        self.same(n, Layer("tanh"))

    def op_Elu(self, n, pos):
        self.need(n, "elu")
        a = float(np.float32(n.attr("alpha", 1.0)))
        if a < 0:
            self.fail(n, "alpha=%r: ctnn::elu takes no negative alpha" % a)
        self.same(n, Layer("elu", args=[real_literal(a)]))

    def op_Clip(self, n, pos):
        if self.opset < 11:
            lo = float(np.float32(n.attr("min", -FLT_MAX)))
            hi = float(np.float32(n.attr("max", FLT_MAX)))
        else:
            vlo, vhi = self.const(n, 1, "min"), self.const(n, 2, "max")
            lo = -math.inf if vlo is None else float(np.float32(self.scalar(n, vlo, "min")))
            hi = math.inf if vhi is None else float(np.float32(self.scalar(n, vhi, "max")))
        if math.isnan(lo) or math.isnan(hi):
            self.fail(n, "min/max must not be NaN")
        if lo > hi:
            self.fail(n, "min=%r is greater than max=%r" % (lo, hi))
        if lo == 0.0 and hi == math.inf:
            self.same(n, Layer("relu", comment=n.label() + " (min 0, no max)"))
            return
        self.need(n, "clip")
        if lo == 0.0 and hi == 6.0 and "relu6" in self.avail:
            self.same(n, Layer("relu6"))
            return
        if math.isinf(lo) or math.isinf(hi):
            self.uses_limits = True
        self.same(n, Layer("clip", args=[real_literal(lo), real_literal(hi)]))

    def op_PRelu(self, n, pos):
        self.need(n, "prelu")
        slope = self.float_weights(n, self.const(n, 1, "slope"), "slope")
        rank = len(self.shape)
        if slope.ndim > rank:
            self.fail(n, "slope has shape %s, more axes than the input %s" % (list(slope.shape), self.shape))
        sshape = [1] * (rank - slope.ndim) + list(slope.shape)
        if self.opset < 7 and slope.ndim == 1 and slope.size > 1 and rank >= 2 and slope.size == self.shape[1]:
            sshape = [1, slope.size] + [1] * (rank - 2)  # opset < 7: one slope per channel (axis 1)
        for a in range(rank):
            if sshape[a] not in (1, self.shape[a]):
                self.fail(n, "slope of shape %s does not broadcast to the input %s" % (list(slope.shape), self.shape))
        s = slope.reshape(sshape)
        if self.batch_first and sshape[0] != 1:
            raise _NeedWholeInput()
        if -1 in self.shape and not self.batch_first:
            self.fail(n, "dynamic shape %s" % self.shape)
        per_sample = s.reshape(sshape[self.off:])  # broadcastable to the sample
        sample = self.sample()
        varying = [a for a, d in enumerate(per_sample.shape) if d != 1]
        ct = _sample_to_ctnn(sample)
        if slope.size == 1:
            kind, w = "shared", slope.reshape(1)
        elif len(ct) == 3 and varying == [0]:
            kind, w = "per_channel", per_sample.reshape(-1)
        else:
            kind, w = "per_element", np.broadcast_to(per_sample, sample).reshape(-1)
        self.same(n, Layer("prelu", args=["ctnn::prelu_slopes::" + kind], tensors=[w]))

    def softmax(self, n, log):
        name = "log_softmax" if log else "softmax"
        if log:
            self.need(n, "log_softmax")
        rank = len(self.shape)
        default = -1 if (self.opset >= 13 or n.attr("_opset13")) else 1
        axis = int(n.attr("axis", default))
        a = axis + rank if axis < 0 else axis
        if not 0 <= a < rank:
            self.fail(n, "axis=%d is out of range for an input of rank %d" % (axis, rank))
        ct = self.ctnn_shape()
        sample = self.sample()
        if self.opset >= 13 or n.attr("_opset13"):
            s = self.sample_axis(n, axis, rank)
            whole = all(d == 1 for i, d in enumerate(sample) if i != s)
        else:
            if a < self.off:
                self.fail(n, "axis=%d: softmax over the batch axis; ctnn computes each sample on its own" % axis)
            if a == self.off:
                s, whole = None, True
            elif a == rank - 1 or all(d == 1 for d in self.shape[a + 1:]):
                s = a - self.off
                whole = all(d == 1 for i, d in enumerate(sample) if i != s)
            else:
                self.fail(n, "axis=%d (opset %d: over the flattened axes %d..%d) is not supported; only axis %d "
                             "(the whole sample) or the last axis" % (axis, self.opset, a, rank - 1, self.off))
        if len(ct) == 1:
            layer = Layer(name)
        elif whole and (log or "softmax_any_rank" in self.avail):
            layer = Layer(name)
        elif s is not None:
            along = name + "_along"
            self.need(n, along)
            layer = Layer(along, args=[s])
        else:
            self.fail(n, "needs ctnn::%s over a C x H x W sample (not available)" % name)
        self.same(n, layer)

    def op_Softmax(self, n, pos):
        self.softmax(n, False)

    def op_LogSoftmax(self, n, pos):
        self.softmax(n, True)

    # -- shape --------------------------------------------------------------------------------
    def flatten_to(self, n, new_shape):
        before = self.ctnn_shape()
        self.shape = new_shape
        if len(before) == 3:
            self.add(Layer("flatten"), n)
        self.cur = n.outputs[0]

    def op_Flatten(self, n, pos):
        rank = len(self.shape)
        axis = int(n.attr("axis", 1))
        a = axis + rank if axis < 0 else axis
        if not self.batch_first or a != 1:
            self.fail(n, "axis=%d: only Flatten that keeps the batch axis (axis 1) is supported" % axis)
        size = int(np.prod(self.shape[1:])) if rank > 1 else 1
        self.flatten_to(n, [self.shape[0], size])

    def op_Reshape(self, n, pos):
        if self.opset < 5:
            target = [int(v) for v in n.attr("shape", [])]
        else:
            t = self.const(n, 1, "shape")
            if t is None:
                self.fail(n, "has no shape")
            target = [int(v) for v in t.reshape(-1)]
        allowzero = int(n.attr("allowzero", 0))
        size = int(np.prod(self.shape[1:])) if len(self.shape) > 1 else 1
        N = self.shape[0] if self.shape else None
        ok = False
        if self.batch_first and len(target) == 2 and target.count(-1) <= 1 and not (allowzero and 0 in target):
            t0, t1 = target
            if t0 == N_SYM and N == -1:
                t0 = N
            if t0 == 0:
                t0 = N
            if t1 == 0:
                t1 = self.shape[1] if len(self.shape) > 1 else None
            if t0 == -1 and t1 is not None and t1 > 0:
                ok = t1 == size  # (-1, size): the batch is inferred
            elif t0 == N and N != -1 and t1 == -1:
                ok = True
            elif t0 == N and t1 == -1:
                ok = True  # (0, -1) with a dynamic batch
            elif t0 == N and t1 == size:
                ok = True
        if not ok:
            self.fail(n, "shape %s (input %s): only a reshape to (N, -1) / (N, %d), which keeps the batch axis "
                         "and flattens the sample, is supported" % (target, self.shape, size))
        if self.shape[self.off:] == [size]:
            self.cur = n.outputs[0]  # already flat
            return
        self.flatten_to(n, [self.shape[0], size])

    def op_Identity(self, n, pos):
        self.cur = n.outputs[0]

    def op_Dropout(self, n, pos):
        if self.opset < 7 and int(n.attr("is_test", 0)) == 0:
            self.fail(n, "is_test=0 (training mode) is not supported (inference only)")
        if self.opset >= 12 and len(n.inputs) > 2 and n.inputs[2]:
            tm = self.const(n, 2, "training_mode")
            if bool(np.asarray(tm).reshape(-1)[0]):
                self.fail(n, "training_mode=true is not supported (inference only)")
        self.cur = n.outputs[0]


# ----------------------------------------------------------------------------------------------
# Output

def _layout(layers):
    """Offsets of each entry's parameters in ctnn's block (entry 0 is the input)."""
    step = ALIGN_BYTES // 4
    offsets, at = [0], 0  # entry 0 (input) has none
    for L in layers:
        offsets.append(at)
        c = L.param_count()
        at += -(-c // step) * step
    return offsets, at


class Result:
    """What convert() found: the layers and everything the header says."""

    def __init__(self, conv):
        self.layers = conv.layers
        self.batch_first = conv.batch_first
        self.ctnn_input = conv.ctnn_input
        self.input_name = conv.input_name
        self.onnx_input_shape = conv.input_shape
        self.onnx_output_shape = conv.shape
        self.opset = conv.opset
        self.uses_limits = conv.uses_limits or any(
            "numeric_limits" in str(a) for L in conv.layers for a in L.args)
        offsets, storage = _layout(self.layers)
        self.offsets, self.param_storage = offsets, storage
        self.param_count = sum(L.param_count() for L in self.layers)

    def block(self):
        """The parameter block (param_storage float32 values, zero gaps)."""
        b = np.zeros(self.param_storage, dtype=np.float32)
        for i, L in enumerate(self.layers, 1):
            at = self.offsets[i]
            for t in L.tensors:
                b[at:at + t.size] = t.reshape(-1)
                at += t.size
        return b


def build(model, bindings=None, include_dir=REPO_INCLUDE, avail=None):
    """Converts a loaded ModelProto; returns a Result or raises ConversionError."""
    avail = available_layers(include_dir) if avail is None else avail
    try:
        conv = _Converter(model, bindings, avail, True).run()
    except _NeedWholeInput:
        conv = _Converter(model, bindings, avail, False).run()
    return Result(conv)


def format_array(values, per_line=6, indent="    "):
    lits = [hex_float(v) for v in values]
    lines = []
    for i in range(0, len(lits), per_line):
        lines.append(indent + ", ".join(lits[i:i + per_line]) + ",")
    return "\n".join(lines)


def header_text(res, namespace, weights="embed", source="model.onnx"):
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*", namespace):
        raise ConversionError("--namespace '%s' is not a C++ namespace name" % namespace)
    out = []
    w = out.append
    w("// Generated by tools/onnx2ctnn.py from %s (ONNX opset %d). Do not edit; regenerate." % (source, res.opset))
    w("// ONNX input '%s' %s -> ctnn::input<%s>; %s."
      % (res.input_name, list(res.onnx_input_shape), _dims(res.ctnn_input),
         "the first axis is the runtime batch" if res.batch_first else
         "the whole ONNX input is one sample (run with batch 1)"))
    w("#pragma once")
    w("")
    w("#include <algorithm>")
    w("#include <array>")
    w("#include <cstdint>")
    if weights == "checkpoint":
        w("#include <filesystem>")
    w("#include <iterator>")
    w("#include <limits>")
    w("")
    w("#include <ctnn/ctnn.hpp>")
    if weights == "checkpoint":
        w("#include <ctnn/io.hpp>")
    w("")
    w("namespace %s {" % namespace)
    w("")
    entries = ["ctnn::input<%s>" % _dims(res.ctnn_input)] + [L.cpp() for L in res.layers]
    comments = ["ONNX input '%s'" % res.input_name] + [L.comment for L in res.layers]
    w("using model = ctnn::network<")
    for i, (e, c) in enumerate(zip(entries, comments)):
        sep = "," if i + 1 < len(entries) else ">;"
        w("    %s%s // %d: %s" % (e, sep, i, c.replace("\n", " ")))
    w("")
    w("/// True: axis 0 of the ONNX input is the batch (forward with batch = onnx_input_shape[0]).")
    w("/// False: the whole ONNX input is one sample (forward with batch 1).")
    w("inline constexpr bool batch_is_first_axis = %s;" % ("true" if res.batch_first else "false"))
    w("/// Shapes as in the ONNX file (-1: a dynamic batch).")
    w("inline constexpr std::array<std::int64_t, %d> onnx_input_shape{%s};"
      % (len(res.onnx_input_shape), _dims(res.onnx_input_shape)))
    w("inline constexpr std::array<std::int64_t, %d> onnx_output_shape{%s};"
      % (len(res.onnx_output_shape), _dims(res.onnx_output_shape)))
    w("")
    w("static_assert(model::param_count == %d, \"onnx2ctnn: the ctnn layers hold another number of parameters "
      "than the converter wrote; regenerate the header with this version of ctnn\");" % res.param_count)
    for i, L in enumerate(res.layers, 1):
        if L.param_count():
            w("static_assert(model::layer_param_count[%d] == %d && model::param_offset[%d] == %d, \"onnx2ctnn: "
              "parameter layout of entry %d differs (another CTNN_ALIGNMENT or ctnn version?)\");"
              % (i, L.param_count(), i, res.offsets[i], i))
    w("")
    if weights == "embed":
        w("/// The parameter block, alignment gaps included (model::param_storage values, exact hexadecimal")
        w("/// floats): forward() can read it in place as std::span<const float, model::param_storage>.")
        if res.param_storage == 0:
            w("alignas(64) inline constexpr std::array<float, 0> weights{};")
        else:
            w("alignas(64) inline constexpr float weights[] = {")
            w(format_array(res.block()))
            w("};")
        w("static_assert(std::size(weights) == model::param_storage, \"onnx2ctnn: the parameter block has "
          "another size (another CTNN_ALIGNMENT?); regenerate the header\");")
        w("")
        w("/// Copies the weights into a parameter block.")
        w("inline void load(model::parameters& p) { std::copy(std::begin(weights), std::end(weights), p.values.begin()); }")
    else:
        w("/// Reads the weights from the checkpoint the converter wrote (ctnn::load_checkpoint checks the")
        w("/// topology hash, shapes and CRC; it throws ctnn::io_error on any mismatch).")
        w("inline void load(model::parameters& p, const std::filesystem::path& file) {")
        w("    ctnn::load_checkpoint<model>(file, p);")
        w("}")
    w("")
    w("} // namespace %s" % namespace)
    w("")
    return "\n".join(out)


def _as_model(model_or_path):
    onnx = _load_onnx()
    if isinstance(model_or_path, (str, os.PathLike)):
        try:
            return onnx.load(str(model_or_path)), os.path.basename(str(model_or_path))
        except Exception as e:
            raise ConversionError("cannot read %s: %s" % (model_or_path, e))
    return model_or_path, "model.onnx"


def convert(model_or_path, namespace, bindings=None, weights="embed", include_dir=REPO_INCLUDE, avail=None):
    """Returns the header text for an ONNX model (path or ModelProto); raises ConversionError."""
    model, source = _as_model(model_or_path)
    res = build(model, bindings, include_dir, avail)
    return header_text(res, namespace, weights, source)


def checkpoint_program(header_path, namespace, res):
    lines = ["#include \"%s\"" % header_path, "#include <ctnn/io.hpp>", "#include <cstdio>", "#include <memory>", ""]
    if res.param_storage:
        lines += ["alignas(64) static const float raw[] = {", format_array(res.block()), "};"]
    lines += ["", "int main(int argc, char** argv) {",
              "    if (argc != 2) { std::fprintf(stderr, \"usage: save FILE.ctnn\\n\"); return 2; }",
              "    auto p = std::make_unique<%s::model::parameters>();" % namespace]
    if res.param_storage:
        lines += ["    static_assert(std::size(raw) == %s::model::param_storage);" % namespace,
                  "    std::copy(std::begin(raw), std::end(raw), p->values.begin());"]
    lines += ["    ctnn::save_checkpoint<%s::model>(argv[1], *p);" % namespace, "    return 0;", "}", ""]
    return "\n".join(lines)


def write_checkpoint(res, header_path, namespace, checkpoint, cxx="c++", cxxflags=(), include_dir=REPO_INCLUDE):
    with tempfile.TemporaryDirectory(prefix="onnx2ctnn-") as tmp:
        src = os.path.join(tmp, "save.cpp")
        exe = os.path.join(tmp, "save")
        with open(src, "w") as fh:
            fh.write(checkpoint_program(os.path.abspath(header_path), namespace, res))
        cmd = [cxx, "-std=c++20", "-O1", "-I", include_dir] + list(cxxflags) + [src, "-o", exe]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise ConversionError("compiling the checkpoint writer failed (%s):\n%s" % (" ".join(cmd), p.stderr[-4000:]))
        p = subprocess.run([exe, os.path.abspath(checkpoint)], capture_output=True, text=True)
        if p.returncode != 0:
            raise ConversionError("the checkpoint writer failed:\n%s" % p.stderr[-4000:])


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="onnx2ctnn.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Convert an ONNX model into a C++ header that declares it as a ctnn::network type "
                    "(using model = ctnn::network<...>) with its weights.",
        epilog=__doc__.split("\n", 2)[2] + """
Supported operators (ONNX -> ctnn):
  Conv (1-D, 2-D; pads, strides, dilations, group, auto_pad) -> conv2d (zero_pad first if a pad >= kernel);
                                                            1-D runs over C x L x 1 with a k x 1 kernel
  MaxPool (one output), AveragePool                      -> max_pool2d, avg_pool2d
  GlobalAveragePool, GlobalMaxPool                       -> global_avg_pool, global_max_pool
  BatchNormalization (inference)                         -> folded into the Conv before it, else batch_norm
  Gemm                                                   -> dense (alpha, beta folded), or gemm (whole input)
  MatMul with a constant matrix (+ Add of a vector)      -> dense
  Add of a constant per-channel bias after Conv or Gemm  -> added to that layer's bias
  Relu, LeakyRelu, PRelu, Elu, Sigmoid, Tanh, Clip       -> relu, leaky_relu, prelu, elu, sigmoid, tanh, clip/relu6
  Softmax, LogSoftmax (also written out as ReduceMax,
    Sub, Exp, ReduceSum, Div/Log, or between Transposes) -> softmax, log_softmax, *_along<Axis>
  Flatten (axis 1), Reshape to (N, -1)                   -> flatten
  Pad (constant 0 on H, W)                               -> merged into the next Conv (or AveragePool where
                                                            exact), else zero_pad
  Dropout, Identity                                      -> removed
  Constant subgraphs (Constant, Shape of any value, Gather, Concat, Slice, Reshape, Transpose, Cast,
  Unsqueeze, Squeeze, ConstantOfShape, Add/Sub/Mul/Div, ...) are computed by the converter.
A ctnn layer that the headers under --include do not declare yet is reported as
"needs ctnn::X (not available)".

Examples:
  tools/onnx2ctnn.py lenet.onnx -o lenet.hpp --namespace lenet
  tools/onnx2ctnn.py lenet.onnx -o lenet.hpp --namespace lenet --weights checkpoint --checkpoint lenet.ctnn
  tools/onnx2ctnn.py model.onnx -o m.hpp --namespace m --bind W=test_data_set_0/input_1.pb

Exit status: 0 on success, 1 when the model is refused (the message names the node, its
op type and the attribute or shape that ctnn cannot express), 2 on usage errors.""")
    ap.add_argument("model", help="the ONNX model file")
    ap.add_argument("-o", "--output", required=True, help="the header to write")
    ap.add_argument("--namespace", required=True, help="C++ namespace of the generated declarations")
    ap.add_argument("--weights", choices=("embed", "checkpoint"), default="embed",
                    help="embed: the weights as a constexpr array in the header (default); checkpoint: write "
                         "them to the --checkpoint file and declare load(parameters&, path)")
    ap.add_argument("--checkpoint", help="checkpoint file to write in --weights checkpoint mode")
    ap.add_argument("--bind", action="append", default=[], metavar="INPUT=FILE",
                    help="bind graph input INPUT (not the first) to the constant tensor in FILE "
                         "(ONNX TensorProto .pb, as test_data_set_*/input_N.pb, or NumPy .npy); repeatable")
    ap.add_argument("--cxx", default=os.environ.get("CXX", "c++"),
                    help="C++ compiler for the checkpoint writer (default: $CXX or c++)")
    ap.add_argument("--cxxflags", default="", help="extra flags for that compiler (one string, split on spaces)")
    ap.add_argument("--include", default=REPO_INCLUDE,
                    help="ctnn's include directory (default: this repository's include/)")
    args = ap.parse_args(argv)
    if args.weights == "checkpoint" and not args.checkpoint:
        ap.error("--weights checkpoint needs --checkpoint FILE.ctnn")
    if args.weights == "embed" and args.checkpoint:
        ap.error("--checkpoint is only used with --weights checkpoint")
    bindings = {}
    try:
        for b in args.bind:
            if "=" not in b:
                ap.error("--bind takes INPUT=FILE, not '%s'" % b)
            name, path = b.split("=", 1)
            try:
                bindings[name] = load_tensor_file(path)
            except (OSError, ValueError) as e:
                raise ConversionError("--bind %s: cannot read %s: %s" % (name, path, e))
        model, source = _as_model(args.model)
        res = build(model, bindings, args.include)
        text = header_text(res, args.namespace, args.weights, source)
        out_dir = os.path.dirname(os.path.abspath(args.output))
        os.makedirs(out_dir, exist_ok=True)
        with open(args.output, "w") as fh:
            fh.write(text)
        if args.weights == "checkpoint":
            write_checkpoint(res, args.output, args.namespace, args.checkpoint, args.cxx, args.cxxflags.split(),
                             args.include)
    except ConversionError as e:
        print("onnx2ctnn: %s: %s" % (args.model, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
