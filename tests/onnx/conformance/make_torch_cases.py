#!/usr/bin/python3
"""Writes PyTorch-exported cases in the ONNX backend test layout for tools/onnx_conformance.py.

They cover what the ONNX test data do not: Pad merged into Conv and AveragePool, ceil_mode
pools, Conv + BatchNormalization folding, a bias Add after Conv and Gemm, Clip as relu6,
softmax between Transposes (opset < 13), Reshape(N, -1) through Shape/Gather/Concat, a dynamic
batch, 1-D convolution; each at opsets 9, 11 and 13. Needs torch (not run by ctest):

  tests/onnx/conformance/make_torch_cases.py /tmp/torchcases
  tools/onnx_conformance.py /tmp/torchcases
"""
import os
import sys
import warnings

import torch
import torch.nn as nn
from onnx import numpy_helper

warnings.filterwarnings("ignore")
out = sys.argv[1] if len(sys.argv) > 1 else "torchcases"
torch.manual_seed(0)
class Fn(nn.Module):
    def __init__(self, f): super().__init__(); self.f = f
    def forward(self, x): return self.f(x)
def save(name, model, x, opset=13, dynamic=False):
    d = os.path.join(out, name); os.makedirs(os.path.join(d, 'test_data_set_0'), exist_ok=True)
    model.eval()
    with torch.no_grad(): y = model(x)
    kw = {}
    if dynamic: kw['dynamic_axes'] = {'x': {0: 'N'}, 'y': {0: 'N'}}
    torch.onnx.export(model, x, os.path.join(d, 'model.onnx'), input_names=['x'], output_names=['y'], opset_version=opset, do_constant_folding=False, **kw)
    open(os.path.join(d,'test_data_set_0','input_0.pb'),'wb').write(numpy_helper.from_array(x.numpy()).SerializeToString())
    open(os.path.join(d,'test_data_set_0','output_0.pb'),'wb').write(numpy_helper.from_array(y.numpy()).SerializeToString())
def bn(c):
    b = nn.BatchNorm2d(c); b.running_mean.uniform_(-1,1); b.running_var.uniform_(0.5,2); b.weight.data.uniform_(0.5,1.5); b.bias.data.uniform_(-1,1); return b
x4 = torch.randn(3, 4, 11, 9)
for opset in (9, 11, 13):
    save(f'conv_bn_relu_{opset}', nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), bn(6), nn.ReLU()), x4, opset)
    save(f'zeropad_conv_{opset}', nn.Sequential(nn.ZeroPad2d((1, 2, 3, 0)), nn.Conv2d(4, 5, 3, stride=2)), x4, opset)
    save(f'zeropad_big_conv_{opset}', nn.Sequential(nn.ZeroPad2d(3), nn.Conv2d(4, 5, 3)), x4, opset)
    save(f'zeropad_maxpool_{opset}', nn.Sequential(nn.ZeroPad2d(1), nn.MaxPool2d(2)), x4 - 3, opset)
    save(f'zeropad_avg_incl_{opset}', nn.Sequential(nn.ZeroPad2d(1), nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True)), x4, opset)
    save(f'zeropad_avg_excl_{opset}', nn.Sequential(nn.ZeroPad2d(1), nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)), x4, opset)
    save(f'zeropad_avg_nopad_{opset}', nn.Sequential(nn.ZeroPad2d((1,0,2,1)), nn.AvgPool2d(2, count_include_pad=False)), x4, opset)
    save(f'maxpool_ceil_{opset}', nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), x4, opset)
    save(f'avgpool_ceil_excl_{opset}', nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), x4, opset)
    save(f'avgpool_ceil_incl_{opset}', nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=True), x4, opset)
    save(f'relu6_{opset}', nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU6()), x4 * 5, opset)
    save(f'hardtanh_{opset}', nn.Hardtanh(-0.5, 2.0), x4, opset)
    save(f'clamp_min_{opset}', Fn(lambda t: torch.clamp(t, min=0.0)), x4, opset)
    save(f'clamp_min1_{opset}', Fn(lambda t: torch.clamp(t, min=-0.25)), x4, opset)
    save(f'mlp_{opset}', nn.Sequential(nn.Flatten(), nn.Linear(4*11*9, 7), nn.Dropout(0.3), nn.Tanh(), nn.Linear(7, 3, bias=False), nn.LogSoftmax(dim=1)), x4, opset)
    save(f'view_{opset}', nn.Sequential(nn.Conv2d(4, 2, 3), Fn(lambda t: t.view(t.size(0), -1)), nn.Linear(2*9*7, 5), nn.Softmax(dim=-1)), x4, opset)
    save(f'reshape_dyn_{opset}', nn.Sequential(nn.Conv2d(4, 2, 3), Fn(lambda t: t.reshape(t.shape[0], -1)), nn.Linear(2*9*7, 5)), x4, opset, dynamic=True)
    save(f'softmax_dim1_{opset}', nn.Softmax(dim=1), x4, opset)
    save(f'softmax_dim2_{opset}', nn.Softmax(dim=2), x4, opset)
    save(f'logsoftmax_dim3_{opset}', nn.LogSoftmax(dim=3), x4, opset)
    save(f'prelu_ch_{opset}', nn.Sequential(nn.Conv2d(4, 4, 1), nn.PReLU(4)), x4, opset)
    save(f'prelu_sh_{opset}', nn.PReLU(), x4, opset)
    save(f'elu_{opset}', nn.ELU(0.7), x4, opset)
    save(f'leaky_{opset}', nn.LeakyReLU(0.2), x4, opset)
    save(f'gap_{opset}', nn.Sequential(nn.Conv2d(4, 8, 3, groups=4, dilation=2, padding=2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3)), x4, opset)
    save(f'gmp_{opset}', nn.Sequential(nn.AdaptiveMaxPool2d(1)), x4, opset)

    save(f'mm_{opset}', Fn(lambda t: t @ torch.ones(9, 4) + torch.arange(4.0)), torch.randn(5, 9), opset)
    save(f'lstm_like_bad_{opset}', Fn(lambda t: torch.sigmoid(t) * t), torch.randn(5, 9), opset)
    save(f'sigmoid_dyn_{opset}', nn.Sigmoid(), x4, opset, dynamic=True)
    save(f'bn1d_{opset}', nn.Sequential(nn.Linear(9, 6), nn.BatchNorm1d(6).eval()), torch.randn(5, 9), opset)
class ConvAdd(nn.Module):
    def __init__(s, bias): super().__init__(); s.c = nn.Conv2d(4, 3, 3, bias=bias); s.b = nn.Parameter(torch.randn(1, 3, 1, 1))
    def forward(s, x): return s.c(x) + s.b
class LinAdd(nn.Module):
    def __init__(s): super().__init__(); s.l = nn.Linear(9, 4); s.b = nn.Parameter(torch.randn(4))
    def forward(s, x): return torch.relu(s.l(x) + s.b + 1.5)
class BadAdd(nn.Module):
    def __init__(s): super().__init__(); s.c = nn.Conv2d(4, 3, 3); s.b = nn.Parameter(torch.randn(1, 3, 9, 1))
    def forward(s, x): return s.c(x) + s.b
for opset in (9, 13):
    save(f'convadd_{opset}', ConvAdd(True), x4, opset)
    save(f'convadd_nobias_{opset}', ConvAdd(False), x4, opset)
    save(f'linadd_{opset}', LinAdd(), torch.randn(5, 9), opset)
    save(f'badadd_{opset}', BadAdd(), x4, opset)
x3 = torch.randn(3, 4, 17)
for opset in (9, 13):
    save(f'conv1d_{opset}', nn.Sequential(nn.Conv1d(4, 6, 3, padding=2, dilation=2), nn.BatchNorm1d(6).eval(), nn.ReLU(),
                                          nn.MaxPool1d(2, ceil_mode=True)), x3, opset)
