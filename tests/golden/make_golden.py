#!/usr/bin/python3
"""Golden fixtures for ctnn, computed by PyTorch in float64.

Regenerate (only on purpose: the fixtures are the committed truth):

    /usr/bin/python3 tests/golden/make_golden.py

(Debian's /usr/bin/python3, the one with torch.) The script writes

  tests/golden/data/<case>.golden   one file per case (stale *.golden files are removed)
  tests/golden/golden_cases.inc     each case as the ctnn network type that must reproduce it

and is reproducible: seeds come from the case names, no time stamps, one torch thread, so
running it twice gives byte-identical files. The C++ tests need no torch: each group below
(conv_shapes, conv_options, pool, misc, nets, onnx_layers, onnx_padding) is one executable, <group>_test.cpp, that runs
every case of the group in float and in double through golden_runner.hpp. To add a case, add
a line to the lists below and rerun; the new file and type appear by themselves.

Every case is a network: ctnn::input<...> then one layer (a layer case) or many (a network
case). PyTorch runs the same list as an nn.Sequential; module k of the Sequential is ctnn
entry k + 1 (entry 0 is the input), so state_dict key "k.weight" is stored as "<k+1>.weight",
the name of tensor "weight" of ctnn entry k+1. Where PyTorch lacks a ctnn option (asymmetric
padding, conv2d ceil_mode, pooling padding above half the window), the module pads explicitly
(F.pad with zeros, or -inf for max pooling) and then runs PyTorch's own op; avg_pool2d is
then window sum / window count, both from PyTorch's avg_pool2d. check_emulation() first
proves these modules equal PyTorch's own ops wherever both exist.

Inputs and parameters are rounded to float32 (then held in float64), so the float run of a
case starts from exactly the same numbers and its error is ctnn's arithmetic alone.

File format of a .golden file: ASCII header lines, then raw data.
    ctnn-golden 1
    <name> <rank> <dim0> ... <dim rank-1>     one line per tensor, in data order
    data
    <little-endian IEEE-754 float64 values of every tensor, row-major, in header order>
Tensors: "input" (batch first: N x C x H x W or N x F), the parameters "<entry>.<tensor>"
(PyTorch layout: conv weight OIHW, dense weight [out, in], bias [out]), and "output".
"""

import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
INC = os.path.join(HERE, "golden_cases.inc")
GROUPS = ("conv_shapes", "conv_options", "pool", "misc", "nets", "onnx_layers", "onnx_padding")


# ---------------------------------------------------------------------------------------------
# ctnn's shape rule (core/window.hpp), re-derived here to size explicit padding and to
# check that every case is one ctnn accepts.

def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def pads(v):
    """ctnn's pad<> spelling to (top, left, bottom, right)."""
    if isinstance(v, int):
        return (v, v, v, v)
    if len(v) == 2:
        return (v[0], v[1], v[0], v[1])
    return tuple(v)


def window_out(n, k, pb, pe, s, d, rounding):
    eff = d * (k - 1) + 1
    assert pb < eff and pe < eff, "ctnn: padding must be smaller than the kernel"
    span = n + pb + pe - eff
    assert span >= 0, "ctnn: kernel larger than the padded input"
    if rounding == "strict":
        assert span % s == 0, "ctnn: strict rounding needs the stride to divide"
    if rounding != "ceil":
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= n + pb:
        out -= 1
    return out


def spatial_out(in_hw, k, p, s, d, rounding):
    (h, w), (kh, kw), (t, l, b, r), (sh, sw), (dh, dw) = in_hw, k, p, s, d
    oh = window_out(h, kh, t, b, sh, dh, rounding)
    ow = window_out(w, kw, l, r, sw, dw, rounding)
    # Cells past the padded input that the last window (ceil_mode) reaches.
    extra_h = max(0, (oh - 1) * sh + dh * (kh - 1) + 1 - (h + t + b))
    extra_w = max(0, (ow - 1) * sw + dw * (kw - 1) + 1 - (w + l + r))
    return (oh, ow), (extra_h, extra_w)


def auto_pads(in_hw, k, s, d, mode):
    """ONNX auto_pad SAME_UPPER / SAME_LOWER as (top, left, bottom, right): Out = ceil(In / S),
    total = max((Out - 1) * S + (K - 1) * D + 1 - In, 0), the odd cell at the end (upper) or
    the beginning (lower). valid: no padding."""
    if mode == "valid":
        return (0, 0, 0, 0)
    sides = []
    for n, kk, ss, dd in zip(in_hw, k, s, d):
        out = -(-n // ss)
        total = max((out - 1) * ss + (kk - 1) * dd + 1 - n, 0)
        half = total // 2
        sides.append((half, total - half) if mode == "same_upper" else (total - half, half))
    (t, b), (l, r) = sides
    return (t, l, b, r)


def cpp_hw(v):
    h, w = pair(v)
    return str(h) if h == w else "ctnn::hw{%d, %d}" % (h, w)


def cpp_list(v):
    return ", ".join(str(x) for x in ((v,) if isinstance(v, int) else v))


def cpp_layer(name, args, options):
    return "ctnn::%s<%s>" % (name, ", ".join(list(args) + options))


# ---------------------------------------------------------------------------------------------
# Layers: each knows its ctnn spelling and builds the PyTorch module for an input shape.

class PaddedConv(nn.Module):
    """conv2d after explicit zero padding (asymmetric pads, ceil_mode)."""

    def __init__(self, cin, cout, kernel, stride, dilation, groups, bias, torch_pad):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin // groups, *kernel, dtype=torch.float64))
        self.bias = nn.Parameter(torch.empty(cout, dtype=torch.float64)) if bias else None
        self.stride, self.dilation, self.groups, self.torch_pad = stride, dilation, groups, torch_pad

    def forward(self, x):
        return F.conv2d(F.pad(x, self.torch_pad), self.weight, self.bias, self.stride, 0, self.dilation,
                        self.groups)


class PaddedMaxPool(nn.Module):
    """max_pool2d after explicit -inf padding: padding never wins, as in PyTorch."""

    def __init__(self, kernel, stride, dilation, torch_pad):
        super().__init__()
        self.kernel, self.stride, self.dilation, self.torch_pad = kernel, stride, dilation, torch_pad

    def forward(self, x):
        return F.max_pool2d(F.pad(x, self.torch_pad, value=-math.inf), self.kernel, self.stride, 0,
                            self.dilation)


class PaddedAvgPool(nn.Module):
    """avg_pool2d as window sum / window count, both by PyTorch's avg_pool2d(divisor_override=1).
    The count covers the input cells, plus the padding cells when count_include_pad; never the
    cells past the padded input that a ceil_mode window hangs over (PyTorch's rule)."""

    def __init__(self, kernel, stride, pad_tlbr, extra_hw, include_pad):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        t, l, b, r = pad_tlbr
        self.pad_in = (l, r, t, b)
        self.pad_extra = (0, extra_hw[1], 0, extra_hw[0])
        self.include_pad = include_pad

    def forward(self, x):
        ones = torch.ones_like(x[:1, :1])
        mask = F.pad(ones, self.pad_in, value=1.0 if self.include_pad else 0.0)
        mask = F.pad(mask, self.pad_extra, value=0.0)
        total = F.avg_pool2d(F.pad(F.pad(x, self.pad_in), self.pad_extra), self.kernel, self.stride,
                             divisor_override=1)
        count = F.avg_pool2d(mask, self.kernel, self.stride, divisor_override=1)
        return total / count


class Conv:
    def __init__(self, out, kernel, pad=0, stride=1, dilation=1, groups=1, bias=True, rounding="strict", auto=None):
        self.out, self.kernel, self.pad, self.stride = out, kernel, pad, stride
        self.dilation, self.groups, self.bias, self.rounding = dilation, groups, bias, rounding
        self.auto = auto  # None, "same_upper", "same_lower" or "valid"

    def cpp(self):
        opts = ["ctnn::%s" % self.auto] if self.auto else []
        if any(pads(self.pad)):
            opts.append("ctnn::pad<%s>" % cpp_list(self.pad))
        if pair(self.stride) != (1, 1):
            opts.append("ctnn::stride<%s>" % cpp_list(self.stride))
        if pair(self.dilation) != (1, 1):
            opts.append("ctnn::dilation<%s>" % cpp_list(self.dilation))
        if self.groups != 1:
            opts.append("ctnn::groups<%d>" % self.groups)
        if not self.bias:
            opts.append("ctnn::no_bias")
        if self.rounding != "strict":
            opts.append("ctnn::%s_mode" % self.rounding)
        return cpp_layer("conv2d", [str(self.out), cpp_hw(self.kernel)], opts)

    def build(self, in_shape):
        c, h, w = in_shape
        k, p, s, d = pair(self.kernel), pads(self.pad), pair(self.stride), pair(self.dilation)
        if self.auto:
            p = auto_pads((h, w), k, s, d, self.auto)
        (oh, ow), (eh, ew) = spatial_out((h, w), k, p, s, d, self.rounding)
        t, l, b, r = p
        if t == b and l == r and eh == 0 and ew == 0:
            m = nn.Conv2d(c, self.out, k, s, (t, l), d, self.groups, self.bias, dtype=torch.float64)
        else:
            m = PaddedConv(c, self.out, k, s, d, self.groups, self.bias, (l, r + ew, t, b + eh))
        return m, (self.out, oh, ow)


class Pool:
    def __init__(self, kind, window, pad=0, stride=None, dilation=1, rounding="strict", include_pad=None, auto=None):
        assert kind in ("max", "avg")
        assert include_pad is None or kind == "avg"
        self.kind, self.window, self.pad, self.stride = kind, window, pad, stride
        self.dilation, self.rounding, self.include_pad = dilation, rounding, include_pad
        self.auto = auto

    def cpp(self):
        opts = ["ctnn::%s" % self.auto] if self.auto else []
        if any(pads(self.pad)):
            opts.append("ctnn::pad<%s>" % cpp_list(self.pad))
        if self.stride is not None:
            opts.append("ctnn::stride<%s>" % cpp_list(self.stride))
        if pair(self.dilation) != (1, 1):
            opts.append("ctnn::dilation<%s>" % cpp_list(self.dilation))
        if self.rounding != "strict":
            opts.append("ctnn::%s_mode" % self.rounding)
        if self.include_pad is not None:
            opts.append("ctnn::count_%s_pad" % ("include" if self.include_pad else "exclude"))
        return cpp_layer("%s_pool2d" % self.kind, [cpp_hw(self.window)], opts)

    def build(self, in_shape):
        c, h, w = in_shape
        k, p, d = pair(self.window), pads(self.pad), pair(self.dilation)
        s = pair(self.stride if self.stride is not None else self.window)
        if self.auto:
            p = auto_pads((h, w), k, s, d, self.auto)
        (oh, ow), (eh, ew) = spatial_out((h, w), k, p, s, d, self.rounding)
        t, l, b, r = p
        ceil = self.rounding == "ceil"
        # PyTorch's own op where it has the option: symmetric pads of at most half the window.
        native = t == b and l == r and t <= k[0] // 2 and l <= k[1] // 2
        if self.kind == "max":
            if native:
                m = nn.MaxPool2d(k, s, (t, l), d, ceil_mode=ceil)
            else:
                m = PaddedMaxPool(k, s, d, (l, r + ew, t, b + eh))
        else:
            assert d == (1, 1), "PyTorch's avg_pool2d has no dilation"
            include = self.include_pad is not False
            if native:
                m = nn.AvgPool2d(k, s, (t, l), ceil_mode=ceil, count_include_pad=include)
            else:
                m = PaddedAvgPool(k, s, p, (eh, ew), include)
        return m, (c, oh, ow)


class Dense:
    def __init__(self, out, bias=True):
        self.out, self.bias = out, bias

    def cpp(self):
        return cpp_layer("dense", [str(self.out)], [] if self.bias else ["ctnn::no_bias"])

    def build(self, in_shape):
        assert len(in_shape) == 1
        return nn.Linear(in_shape[0], self.out, self.bias, dtype=torch.float64), (self.out,)


class Simple:
    """A layer without parameters whose output shape follows from its input shape."""

    def __init__(self, cpp, module, shape=lambda s: s):
        self._cpp, self.module, self.shape = cpp, module, shape

    def cpp(self):
        return self._cpp

    def build(self, in_shape):
        return self.module(), self.shape(in_shape)


relu = Simple("ctnn::relu", nn.ReLU)
sigmoid = Simple("ctnn::sigmoid", nn.Sigmoid)
tanh = Simple("ctnn::tanh", nn.Tanh)
identity = Simple("ctnn::identity", nn.Identity)
softmax = Simple("ctnn::softmax", lambda: nn.Softmax(dim=1))
flatten = Simple("ctnn::flatten", nn.Flatten, lambda s: (math.prod(s),))


def leaky_relu(slope=None):
    cpp = "ctnn::leaky_relu<>" if slope is None else "ctnn::leaky_relu<%r>" % slope
    return Simple(cpp, lambda: nn.LeakyReLU(0.01 if slope is None else slope))


def cpp_real(v):
    return repr(float(v))


def elu(alpha=None):
    cpp = "ctnn::elu<>" if alpha is None else "ctnn::elu<%s>" % cpp_real(alpha)
    return Simple(cpp, lambda: nn.ELU(1.0 if alpha is None else alpha))


def clip(lo, hi):
    return Simple("ctnn::clip<%s, %s>" % (cpp_real(lo), cpp_real(hi)), lambda: nn.Hardtanh(lo, hi))


relu6 = Simple("ctnn::relu6", nn.ReLU6)


class WholeSoftmax(nn.Module):
    """Softmax or log-softmax over each sample as one vector, whatever its rank."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def forward(self, x):
        flat = x.flatten(1)
        return (flat.log_softmax(1) if self.log else flat.softmax(1)).view_as(x)


whole_softmax = Simple("ctnn::softmax", lambda: WholeSoftmax(False))
log_softmax = Simple("ctnn::log_softmax", lambda: WholeSoftmax(True))


def softmax_along(axis, log=False):
    cpp = "ctnn::%ssoftmax_along<%d>" % ("log_" if log else "", axis)
    return Simple(cpp, lambda: (nn.LogSoftmax if log else nn.Softmax)(dim=axis + 1))


global_avg_pool = Simple("ctnn::global_avg_pool", lambda: nn.AdaptiveAvgPool2d(1), lambda s: (s[0], 1, 1))
global_max_pool = Simple("ctnn::global_max_pool", lambda: nn.AdaptiveMaxPool2d(1), lambda s: (s[0], 1, 1))


class ZeroPad:
    def __init__(self, *p):
        self.p = p

    def cpp(self):
        return "ctnn::zero_pad<%s>" % cpp_list(self.p)

    def build(self, in_shape):
        c, h, w = in_shape
        t, l, b, r = pads(self.p if len(self.p) > 1 else self.p[0])
        return nn.ZeroPad2d((l, r, t, b)), (c, h + t + b, w + l + r)


class ElementSlopes(nn.Module):
    """PReLU with one slope per value of the sample (PyTorch's PReLU has 1 or C)."""

    def __init__(self, shape):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(*shape, dtype=torch.float64))

    def forward(self, x):
        return torch.where(x > 0, x, self.weight * x)


class PReLU:
    def __init__(self, mode="per_channel"):
        self.mode = mode

    def cpp(self):
        return "ctnn::prelu<>" if self.mode == "per_channel" else "ctnn::prelu<ctnn::prelu_slopes::%s>" % self.mode

    def build(self, in_shape):
        if self.mode == "per_element":
            return ElementSlopes(in_shape), in_shape
        return nn.PReLU(1 if self.mode == "shared" else in_shape[0], dtype=torch.float64), in_shape


class BatchNorm:
    """BatchNorm2d / 1d at inference (running statistics set by run_case)."""

    def cpp(self):
        return "ctnn::batch_norm<>"

    def build(self, in_shape):
        kind = nn.BatchNorm2d if len(in_shape) == 3 else nn.BatchNorm1d
        return kind(in_shape[0], dtype=torch.float64), in_shape


class NumpyGemm(nn.Module):
    """ONNX Gemm on each sample, computed by numpy (PyTorch has no Gemm with transposes):
    Y = alpha * A' B' + beta * C, the sample being A (1 x K flat, C x HW for C x H x W)."""

    def __init__(self, rows, cols, n, alpha, beta, trans_a, trans_b, bias, flat):
        super().__init__()
        self.rows, self.cols, self.alpha, self.beta = rows, cols, alpha, beta
        self.trans_a, self.trans_b = trans_a, trans_b
        m, k = (cols, rows) if trans_a else (rows, cols)
        self.weight = nn.Parameter(torch.empty(*((n, k) if trans_b else (k, n)), dtype=torch.float64))
        self.bias = nn.Parameter(torch.empty(m, n, dtype=torch.float64)) if bias else None
        self.out_shape = (n,) if flat and not trans_a else (m, n, 1)

    def forward(self, x):
        a = x.detach().numpy().reshape(x.shape[0], self.rows, self.cols)
        if self.trans_a:
            a = a.transpose(0, 2, 1)
        b = self.weight.detach().numpy()
        if self.trans_b:
            b = b.T
        y = self.alpha * np.einsum("bmk,kn->bmn", a, b)
        if self.bias is not None:
            y = y + self.beta * self.bias.detach().numpy()
        return torch.from_numpy(np.ascontiguousarray(y)).reshape((x.shape[0],) + self.out_shape)


class Gemm:
    def __init__(self, n, alpha=1.0, beta=1.0, trans_a=False, trans_b=False, bias=True):
        self.n, self.alpha, self.beta = n, alpha, beta
        self.trans_a, self.trans_b, self.bias = trans_a, trans_b, bias

    def cpp(self):
        opts = [o for o, on in (("ctnn::trans_a", self.trans_a), ("ctnn::trans_b", self.trans_b),
                                ("ctnn::no_bias", not self.bias)) if on]
        return cpp_layer("gemm", [str(self.n), cpp_real(self.alpha), cpp_real(self.beta)], opts)

    def build(self, in_shape):
        rows = in_shape[0] if len(in_shape) == 3 else 1
        cols = math.prod(in_shape) // rows
        m = NumpyGemm(rows, cols, self.n, self.alpha, self.beta, self.trans_a, self.trans_b, self.bias,
                      len(in_shape) == 1)
        return m, m.out_shape


# ---------------------------------------------------------------------------------------------
# Cases.

CASES = []


def case(group, name, in_shape, layers, batch=1, data=None, init="uniform"):
    """data(x): edits the float64 input in place (special values); init: 'uniform' sets every
    parameter uniform in [-1, 1), 'torch' keeps PyTorch's default initialization."""
    assert group in GROUPS and name.isidentifier() and name not in [c["name"] for c in CASES]
    CASES.append(dict(group=group, name=name, in_shape=tuple(in_shape), layers=layers, batch=batch,
                      data=data, init=init))


def conv(name, in_shape, *args, batch=1, **kw):
    # Sizes, strides and symmetric padding; the other options in conv_options.
    top, left, bottom, right = pads(kw.get("pad", 0))
    plain = set(kw) <= {"pad", "stride"} and (top, left) == (bottom, right)
    case("conv_shapes" if plain else "conv_options", "conv_" + name, in_shape, [Conv(*args, **kw)], batch)


conv("c1_k3", (1, 7, 7), 1, 3)
conv("c3_k3_p1", (3, 9, 9), 4, 3, pad=1, batch=2)
conv("c2_k5_p2_odd", (2, 11, 13), 5, 5, pad=2)
conv("c3_k3_s2_p1", (3, 9, 9), 6, 3, pad=1, stride=2, batch=3)
conv("c4_k3_s3", (4, 12, 15), 3, 3, stride=3)
conv("c20_k1", (20, 5, 7), 20, 1, batch=2)
conv("c1_to20_k3_p1", (1, 8, 8), 20, 3, pad=1)
conv("c2_k4_p3", (2, 6, 6), 3, 4, pad=3)
conv("c3_k7_s2_p3", (3, 15, 15), 4, 7, pad=3, stride=2, batch=2)
conv("c16_to20_k3_p1_b3", (16, 9, 11), 20, 3, pad=1, batch=3)
conv("rect_k3x5_p1x2", (2, 7, 9), 3, (3, 5), pad=(1, 2))
conv("rect_k5x3_s2x1_p2x1", (3, 9, 8), 4, (5, 3), pad=(2, 1), stride=(2, 1), batch=2)
conv("rect_k1x7_p0x3", (2, 5, 10), 3, (1, 7), pad=(0, 3))
conv("rect_k2x3_s1x3_p0x2_floor", (3, 6, 12), 2, (2, 3), stride=(1, 3), pad=(0, 2), rounding="floor")
conv("asym_k4_p0123", (2, 6, 7), 3, 4, pad=(0, 1, 2, 3), batch=2)
conv("asym_p1001_s2", (3, 8, 8), 4, 3, pad=(1, 0, 0, 1), stride=2)
conv("dil2", (2, 9, 9), 3, 3, dilation=2)
conv("dil2_p2", (3, 7, 8), 4, 3, pad=2, dilation=2, batch=2)
conv("dil2x1_k3_p2x1", (2, 8, 6), 3, 3, pad=(2, 1), dilation=(2, 1))
conv("groups2", (4, 6, 6), 6, 3, pad=1, groups=2, batch=2)
conv("groups3_s2", (6, 7, 7), 9, 3, stride=2, groups=3)
conv("depthwise8", (8, 8, 8), 8, 3, pad=1, groups=8, batch=2)
conv("depthwise4_x2_s2_floor", (4, 9, 8), 8, 3, pad=1, stride=2, groups=4, rounding="floor")
conv("no_bias", (3, 6, 6), 5, 3, pad=1, bias=False)
conv("no_bias_groups2", (4, 5, 5), 4, 3, groups=2, bias=False, batch=3)
conv("floor_k3_s2", (2, 8, 8), 3, 3, stride=2, rounding="floor")
conv("floor_k4_s3_p1", (3, 10, 11), 2, 4, pad=1, stride=3, rounding="floor")
conv("ceil_k3_s2", (2, 8, 8), 3, 3, stride=2, rounding="ceil", batch=2)
conv("ceil_k3_s3_p1", (1, 11, 12), 2, 3, pad=1, stride=3, rounding="ceil")


def pool(name, in_shape, *args, batch=1, data=None, **kw):
    case("pool", name, in_shape, [Pool(*args, **kw)], batch, data)


def negative(x):  # every input below zero: zero padding would win a max pool
    x.sub_(2.0)


pool("max_k2", (3, 8, 8), "max", 2, batch=2)
pool("max_k3_s1_p1_negative", (2, 7, 7), "max", 3, pad=1, stride=1, data=negative)
pool("max_k3_s2_p1", (4, 9, 9), "max", 3, pad=1, stride=2, batch=3)
pool("max_k3_s2_ceil", (2, 8, 8), "max", 3, stride=2, rounding="ceil")
pool("max_k2_s2_p1_ceil", (2, 5, 6), "max", 2, pad=1, stride=2, rounding="ceil", data=negative)
pool("max_k3_s2_floor", (3, 8, 9), "max", 3, stride=2, rounding="floor")
pool("max_rect_k2x3", (2, 6, 9), "max", (2, 3), batch=2)
pool("max_rect_k3x2_s1x2_p1x0", (2, 7, 8), "max", (3, 2), pad=(1, 0), stride=(1, 2))
pool("max_dil2", (2, 9, 9), "max", 3, stride=1, dilation=2)
pool("max_dil2_s2_p1", (3, 9, 10), "max", 3, pad=1, stride=2, dilation=2, rounding="floor", batch=2)
pool("max_asym_p1001", (3, 7, 7), "max", 2, pad=(1, 0, 0, 1), data=negative)
pool("max_k3_p2_wide", (2, 6, 6), "max", 3, pad=2, stride=1, data=negative)
pool("avg_k2", (3, 8, 8), "avg", 2, batch=2)
pool("avg_k3_s1_p1_include", (2, 7, 7), "avg", 3, pad=1, stride=1, include_pad=True)
pool("avg_k3_s1_p1_exclude", (2, 7, 7), "avg", 3, pad=1, stride=1, include_pad=False, batch=3)
pool("avg_k3_s2_p1_ceil_include", (2, 8, 8), "avg", 3, pad=1, stride=2, rounding="ceil")
pool("avg_k3_s2_p1_ceil_exclude", (2, 8, 8), "avg", 3, pad=1, stride=2, rounding="ceil", include_pad=False)
pool("avg_k3_s2_floor", (1, 8, 9), "avg", 3, stride=2, rounding="floor")
pool("avg_rect_k2x4_s1x2_p1x2", (2, 5, 8), "avg", (2, 4), pad=(1, 2), stride=(1, 2), batch=2)
pool("avg_asym_p0110_include", (2, 6, 5), "avg", 2, pad=(0, 1, 1, 0), stride=1)
pool("avg_asym_p1021_exclude", (2, 6, 5), "avg", 3, pad=(1, 0, 2, 1), stride=(2, 1), include_pad=False)


def specials(values):
    def put(x):
        flat = x.view(-1)
        flat[:len(values)] = torch.tensor(values, dtype=torch.float64)
    return put


def softmax_data(x):  # rows: near +1000, near -1000, one +1000 among -1000s, ordinary
    x[0].add_(1000.0)
    x[1].sub_(1000.0)
    x[2].fill_(-1000.0)
    x[2, 3] = 1000.0


case("misc", "dense_12_to_7", (12,), [Dense(7)], batch=3)
case("misc", "dense_20_to_5_no_bias", (20,), [Dense(5, bias=False)], batch=2)
case("misc", "dense_33_to_1", (33,), [Dense(1)])
case("misc", "flatten_dense", (2, 3, 4), [flatten, Dense(6)], batch=2)
case("misc", "relu_chw", (3, 5, 5), [relu], batch=2)
case("misc", "relu_flat", (17,), [relu])
case("misc", "leaky_relu_default", (2, 4, 6), [leaky_relu()], batch=2)
case("misc", "leaky_relu_001", (2, 4, 6), [leaky_relu(0.01)])
case("misc", "leaky_relu_02", (19,), [leaky_relu(0.2)], batch=3)
case("misc", "sigmoid_extremes", (2, 5, 5), [sigmoid], batch=2,
     data=specials([-50.0, 50.0, -30.0, 30.0, -12.5, 12.5, 0.0, -1e-3, 1e-3]))
case("misc", "tanh_extremes", (3, 4, 4), [tanh],
     data=specials([-50.0, 50.0, -20.0, 20.0, -0.25, 0.0, 1e-4]))
case("misc", "identity_chw", (2, 3, 3), [identity])
case("misc", "softmax_extremes", (10,), [softmax], batch=4, data=softmax_data)
case("misc", "softmax_single", (1,), [softmax], batch=2)
case("misc", "softmax_37", (37,), [softmax], batch=1, data=lambda x: x.mul_(8.0))

# Layers and options for ONNX models; PyTorch where it has the op, numpy for Gemm.
def onnx(name, in_shape, layers, batch=1, data=None):
    """Element-wise layers, softmax, pads, global pools and gemm: cheap to compile."""
    case("onnx_layers", name, in_shape, layers, batch, data)


def onnx_padding(name, in_shape, layers, batch=1, data=None):
    """conv2d and the pools with auto padding, batch_norm, a whole ONNX-style network."""
    case("onnx_padding", name, in_shape, layers, batch, data)


onnx("elu_default", (2, 4, 5), [elu()], batch=2, data=lambda x: x.mul_(3.0))
onnx("elu_03", (11,), [elu(0.3)], data=lambda x: x.mul_(4.0))
onnx("clip_m1_2", (3, 3, 4), [clip(-0.5, 0.25)], batch=2)
onnx("relu6_chw", (2, 3, 3), [relu6], data=lambda x: x.mul_(10.0))
onnx("prelu_channel", (3, 4, 4), [PReLU()], batch=2)
onnx("prelu_shared", (2, 3, 3), [PReLU("shared")])
onnx("prelu_element", (2, 3, 2), [PReLU("per_element")], batch=2)
onnx("prelu_flat", (9,), [PReLU()])
onnx("softmax_chw", (2, 3, 4), [whole_softmax], batch=2, data=lambda x: x.mul_(5.0))
onnx("log_softmax_flat", (10,), [log_softmax], batch=4, data=softmax_data)
onnx("log_softmax_chw", (2, 2, 3), [log_softmax])
onnx("softmax_along_c", (4, 3, 5), [softmax_along(0)], batch=2, data=lambda x: x.mul_(8.0))
onnx("softmax_along_h", (2, 5, 3), [softmax_along(1)])
onnx("softmax_along_w", (2, 3, 6), [softmax_along(2)], batch=2)
onnx("log_softmax_along_c", (5, 2, 2), [softmax_along(0, log=True)], batch=2)
onnx("log_softmax_along_w", (2, 2, 7), [softmax_along(2, log=True)])
onnx("softmax_along_flat", (8,), [softmax_along(0)], batch=3)
onnx("global_avg_pool", (4, 5, 6), [global_avg_pool], batch=2)
onnx("global_max_pool", (3, 4, 7), [global_max_pool], batch=2)
onnx("zero_pad_1", (2, 3, 4), [ZeroPad(1)])
onnx("zero_pad_hw", (2, 3, 4), [ZeroPad(2, 0)], batch=2)
onnx("zero_pad_tlbr", (3, 2, 3), [ZeroPad(0, 1, 2, 3)])
onnx("gemm_flat", (6,), [Gemm(4)], batch=3)
onnx("gemm_flat_ab", (5,), [Gemm(3, 0.5, 2.0, trans_b=True)], batch=2)
onnx("gemm_flat_trans_a", (4,), [Gemm(3, 1.5, 0.25, trans_a=True)])
onnx("gemm_chw_trans_ab", (3, 2, 2), [Gemm(5, 0.75, 1.25, trans_a=True, trans_b=True)], batch=2)
onnx("gemm_chw_no_bias", (3, 1, 4), [Gemm(2, 2.0, 1.0, bias=False)])
onnx_padding("conv_same_upper_s2", (2, 8, 7), [Conv(3, 3, stride=2, auto="same_upper")], batch=2)
onnx_padding("conv_same_lower_s2", (2, 8, 7), [Conv(3, 3, stride=2, auto="same_lower")], batch=2)
onnx_padding("conv_same_lower_k4_dil", (2, 7, 9), [Conv(2, (4, 2), dilation=(1, 3), auto="same_lower")])
onnx_padding("conv_valid", (2, 6, 7), [Conv(3, 3, auto="valid")])
onnx_padding("max_same_upper_k3_s2", (2, 7, 8), [Pool("max", 3, stride=2, auto="same_upper")], data=negative)
onnx_padding("max_same_lower_k2_s1", (2, 5, 6), [Pool("max", 2, stride=1, auto="same_lower")], data=negative)
onnx_padding("avg_same_lower_k4_s1", (2, 6, 5), [Pool("avg", 4, stride=1, auto="same_lower")])
onnx_padding("avg_same_upper_k3_s2_exclude", (2, 7, 6), [Pool("avg", 3, stride=2, include_pad=False, auto="same_upper")])
onnx_padding("batch_norm_inference", (3, 4, 4), [BatchNorm()], batch=2)
onnx_padding("batch_norm_inference_flat", (6,), [BatchNorm()], batch=3)
onnx_padding("onnx_style_net", (3, 12, 12), [
    Conv(8, 3, stride=2, auto="same_upper"), BatchNorm(), PReLU(),
    Conv(8, 3, groups=8, auto="same_lower"), relu6,
    Conv(16, 1), BatchNorm(), elu(),
    Pool("max", 3, stride=2, auto="same_upper"),
    ZeroPad(1, 0, 0, 1), Conv(12, 2, auto="valid"), clip(-1.0, 1.0),
    global_avg_pool, flatten, Gemm(5, 1.0, 1.0, trans_b=True), log_softmax,
], batch=2)


# LeNet-5 exactly as tests/unit/network_test.cpp, inputs in [0, 1).
case("nets", "lenet5", (1, 28, 28), [
    Conv(6, 5, pad=2), relu, Pool("max", 2),
    Conv(16, 5), relu, Pool("max", 2),
    flatten, Dense(120), relu, Dense(84), relu, Dense(10), softmax,
], batch=2, init="torch", data=lambda x: x.add_(1.0).mul_(0.5))

case("nets", "strided_avg_net", (3, 16, 16), [
    Conv(8, 3, pad=1, stride=2, rounding="floor"), leaky_relu(0.2),
    Conv(12, 3, pad=1, bias=False), tanh,
    Pool("avg", 2),
    Conv(16, 3, groups=4), sigmoid,
    flatten, Dense(32), leaky_relu(), Dense(10, bias=False), softmax,
], batch=3, init="torch")

case("nets", "rect_depthwise_net", (1, 20, 20), [
    Conv(6, (5, 3), pad=(2, 1)), relu,
    Pool("max", 3, stride=2, rounding="ceil"),
    Conv(6, 3, pad=2, dilation=2, groups=6), relu,
    Pool("avg", 3, pad=1, stride=2, rounding="ceil", include_pad=False),
    flatten, Dense(24), tanh, Dense(5),
], batch=2, init="torch")


# ---------------------------------------------------------------------------------------------
# Generation.

def seed_of(name):
    return zlib.crc32(name.encode("ascii"))


def to_f32(t):
    return t.float().double()


def uniform(shape, gen):
    return to_f32(torch.rand(shape, generator=gen, dtype=torch.float64) * 2.0 - 1.0)


def header_line(name, t):
    return "%s %d %s\n" % (name, t.dim(), " ".join(str(d) for d in t.shape))


def run_case(c):
    seed = seed_of(c["name"])
    torch.manual_seed(seed)  # PyTorch's default initialization of the modules
    modules, shape = [], c["in_shape"]
    for layer in c["layers"]:
        m, shape = layer.build(shape)
        modules.append(m)
    model = nn.Sequential(*modules).double().eval()  # batch_norm runs on its running statistics
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(uniform(p.shape, gen) if c["init"] == "uniform" else to_f32(p))
        for m in modules:
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(uniform(m.running_mean.shape, gen))
                m.running_var.copy_(to_f32(uniform(m.running_var.shape, gen).abs() + 0.5))
        x = uniform((c["batch"],) + c["in_shape"], gen)
        if c["data"] is not None:
            c["data"](x)
            x = to_f32(x)
        y = model(x)
    assert tuple(y.shape) == (c["batch"],) + shape, (c["name"], y.shape, shape)
    assert torch.isfinite(y).all(), c["name"]
    tensors = [("input", x)]
    for key, value in model.state_dict().items():
        module, tensor = key.split(".")
        if tensor == "num_batches_tracked":  # PyTorch's counter, not a ctnn tensor
            continue
        tensors.append(("%d.%s" % (int(module) + 1, tensor), value))
    tensors.append(("output", y))
    return tensors


def write_fixture(path, tensors):
    text = "ctnn-golden 1\n" + "".join(header_line(n, t) for n, t in tensors) + "data\n"
    blob = b"".join(np.ascontiguousarray(t.detach().numpy(), dtype="<f8").tobytes() for _, t in tensors)
    with open(path, "wb") as f:
        f.write(text.encode("ascii") + blob)


def cpp_case(c):
    entries = ["ctnn::input<%s>" % cpp_list(c["in_shape"])] + [layer.cpp() for layer in c["layers"]]
    if len(entries) == 2:
        net = "ctnn::basic_network<T, %s>" % ", ".join(entries)
    else:
        net = "ctnn::basic_network<T,\n        " + ",\n        ".join(entries) + ">"
    return ("struct %s {\n"
            "    static constexpr std::string_view name = \"%s\";\n"
            "    template <class T>\n"
            "    using net = %s;\n"
            "};\n") % (c["name"], c["name"], net)


def check_emulation():
    """The explicit-padding modules must equal PyTorch's own ops wherever both apply
    (symmetric padding of at most half the window, ceil_mode included)."""
    gen = torch.Generator().manual_seed(1)
    x = uniform((2, 3, 9, 10), gen)
    for k, s, p, d, rounding in [(3, 1, 1, 1, "strict"), (3, 2, 1, 1, "ceil"), (2, 2, 1, 1, "ceil"),
                                 (3, 2, 0, 1, "ceil"), (4, 3, 2, 1, "ceil"), (3, 2, 1, 2, "floor")]:
        (oh, ow), (eh, ew) = spatial_out((9, 10), (k, k), (p,) * 4, (s, s), (d, d), rounding)
        ceil = rounding == "ceil"
        native = F.max_pool2d(x, k, s, p, d, ceil_mode=ceil)
        padded = PaddedMaxPool(k, s, d, (p, p + ew, p, p + eh))(x)
        assert native.shape[2:] == (oh, ow) and torch.equal(native, padded), ("max", k, s, p, d, rounding)
        if d == 1:
            for include in (True, False):
                native = F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=include)
                padded = PaddedAvgPool(k, s, (p,) * 4, (eh, ew), include)(x)
                assert native.shape == padded.shape and torch.allclose(native, padded, rtol=0, atol=1e-14), \
                    ("avg", k, s, p, rounding, include)
        if not ceil:
            conv = nn.Conv2d(3, 4, k, s, p, d, dtype=torch.float64)
            padded = PaddedConv(3, 4, (k, k), (s, s), (d, d), 1, True, (p, p, p, p))
            padded.load_state_dict(conv.state_dict())
            with torch.no_grad():
                assert torch.allclose(conv(x), padded(x), rtol=0, atol=1e-13), ("conv", k, s, p, d)


def check_auto_pad():
    """same_upper at stride 1 is PyTorch's padding="same" (which puts the odd cell at the end)."""
    gen = torch.Generator().manual_seed(2)
    x = uniform((1, 2, 7, 8), gen)
    for k, d in [((3, 3), (1, 1)), ((4, 2), (1, 1)), ((3, 2), (2, 3))]:
        conv = nn.Conv2d(2, 3, k, 1, "same", d, dtype=torch.float64)
        t, l, b, r = auto_pads((7, 8), k, (1, 1), d, "same_upper")
        padded = PaddedConv(2, 3, k, (1, 1), d, 1, True, (l, r, t, b))
        padded.load_state_dict(conv.state_dict())
        with torch.no_grad():
            assert torch.allclose(conv(x), padded(x), rtol=0, atol=1e-13), ("same_upper", k, d)
    assert auto_pads((5, 5), (4, 4), (1, 1), (1, 1), "same_lower") == (2, 2, 1, 1)


def main():
    torch.set_num_threads(1)  # one summation order on every run
    check_emulation()
    check_auto_pad()
    os.makedirs(DATA, exist_ok=True)
    for f in os.listdir(DATA):
        if f.endswith(".golden"):
            os.remove(os.path.join(DATA, f))
    for c in CASES:
        write_fixture(os.path.join(DATA, c["name"] + ".golden"), run_case(c))

    out = ["// Generated by tests/golden/make_golden.py (PyTorch %s, float64); do not edit.\n"
           % torch.__version__.split("+")[0],
           "// Each case is the ctnn network that must reproduce data/<name>.golden, as a template\n"
           "// over the element type. Included by golden_runner.hpp inside namespace ctnn::golden.\n"]
    for g in GROUPS:
        cases = [c for c in CASES if c["group"] == g]
        out.append("\n// %s: %d cases\n" % (g, len(cases)))
        out.extend(cpp_case(c) for c in cases)
        out.append("using %s_cases = case_list<\n    %s>;\n" % (g, ",\n    ".join(c["name"] for c in cases)))
    with open(INC, "w", newline="\n") as f:
        f.write("".join(out))

    size = sum(os.path.getsize(os.path.join(DATA, f)) for f in os.listdir(DATA))
    print("%d cases, %d bytes in %s" % (len(CASES), size, os.path.relpath(DATA)), file=sys.stderr)


if __name__ == "__main__":
    main()
