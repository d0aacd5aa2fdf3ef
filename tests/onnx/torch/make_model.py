#!/usr/bin/python3
"""Writes the committed fixtures of the PyTorch -> ONNX -> ctnn test into data/:

  cnn.onnx      a small CNN exported from PyTorch 1.13 (opset 13, static batch of 5)
  input.npy     5 x 3 x 16 x 16 float32, the inputs it was run on
  expected.npy  5 x 10 float32, PyTorch's outputs (log-probabilities)

The network uses the layers a user's first PyTorch CNN has, and the rewrites the converter
must get right: a BatchNorm2d after a convolution (kept in the graph, so the converter folds
it), a floor-mode max pooling that does not divide its input (7 -> 3), a padded
convolution, a Dropout (gone in eval mode), Flatten, two Linear layers and LogSoftmax.

Run with Debian's python (torch 1.13, onnx):  /usr/bin/python3 tests/onnx/torch/make_model.py
The output is the same on every run; the files are committed so the test needs no torch.
"""
import argparse
import pathlib

import numpy as np
import onnx
import torch
from torch import nn

BATCH = 5
OPSET = 13


def build():
    torch.manual_seed(20260527)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3),                  # 4 x 14 x 14
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),                     # 4 x 7 x 7
        nn.Conv2d(4, 8, 3, padding=1),       # 8 x 7 x 7
        nn.ReLU(),
        nn.MaxPool2d(2),                     # 8 x 3 x 3 (floor: the last row and column are dropped)
        nn.Dropout(0.25),
        nn.Flatten(),                        # 72
        nn.Linear(72, 16),
        nn.ReLU(),
        nn.Linear(16, 10),
        nn.LogSoftmax(dim=1),
    )
    # Statistics as if trained, so that folding BatchNorm into the convolution is tested
    # with every term non-trivial.
    bn = model[1]
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.3, 0.3)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent / "data")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # the same bits on every run

    model = build()
    generator = torch.Generator().manual_seed(7)
    x = torch.randn(BATCH, 3, 16, 16, generator=generator)
    with torch.no_grad():
        y = model(x)

    path = args.out / "cnn.onnx"
    # PRESERVE keeps BatchNormalization as a node (EVAL would fuse it into the Conv already);
    # the model is in eval mode, so the node computes with the running statistics.
    torch.onnx.export(model, x, str(path), opset_version=OPSET, input_names=["image"],
                      output_names=["log_probabilities"], training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=True)
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    np.save(args.out / "input.npy", x.numpy().astype(np.float32))
    np.save(args.out / "expected.npy", y.numpy().astype(np.float32))

    ops = [n.op_type for n in graph.graph.node]
    print(f"wrote {path} ({path.stat().st_size} bytes), opset {OPSET}: {' '.join(ops)}")
    print(f"wrote input.npy {tuple(x.shape)} and expected.npy {tuple(y.shape)} in {args.out}")


if __name__ == "__main__":
    main()
