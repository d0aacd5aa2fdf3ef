#!/usr/bin/env python3
"""Export a PyTorch model's parameters to an .npz that ctnn::load_npz reads.

    python3 tools/torch_to_npz.py model.pt out.npz [--compressed] [--float64]
    python3 tools/torch_to_npz.py --demo OUTDIR

model.pt may hold a state_dict (torch.save(model.state_dict(), ...)), a whole module
(torch.save(model, ...)), a checkpoint dict with a "state_dict" or "model_state_dict" entry,
or a TorchScript module. Arrays keep the state_dict's keys and order, so in C++ load them
with npz_match::in_order (and skip = {"num_batches_tracked"} if the model has BatchNorm):

    ctnn::load_npz<net>("out.npz", params, {ctnn::npz_match::in_order, {"num_batches_tracked"}});

--demo builds a small fixed CNN with seeded weights and writes, under OUTDIR, what ctnn's
tests compare against (tests/io/data/): lenet_demo.npz (numpy.savez: stored entries),
lenet_demo_compressed.npz (numpy.savez_compressed: deflate), lenet_demo_input.npy
(3 x 1 x 12 x 12 float32), lenet_demo_output.npy (PyTorch's float32 output, 3 x 5) and
lenet_demo_output_f64.npy (the same model and input run in float64). Equivalent ctnn net:

    ctnn::network<ctnn::input<1, 12, 12>,
                  ctnn::conv2d<4, 3, ctnn::pad<1>>, ctnn::relu, ctnn::max_pool2d<2>,
                  ctnn::conv2d<8, 3>, ctnn::relu, ctnn::max_pool2d<2>,
                  ctnn::flatten, ctnn::dense<16>, ctnn::relu, ctnn::dense<5>>
"""
import argparse
import collections
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn


def load_state_dict(path):
    try:
        with warnings.catch_warnings():  # torch.load itself hands TorchScript archives to torch.jit.load
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu")
    except Exception as plain_error:  # TorchScript archives need torch.jit.load
        try:
            obj = torch.jit.load(path, map_location="cpu")
        except Exception:
            raise SystemExit(f"{path}: cannot load with torch.load ({plain_error}) nor torch.jit.load")
    if isinstance(obj, (nn.Module, torch.jit.ScriptModule)):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise SystemExit(f"{path}: expected a state_dict (names -> tensors), a module, or a checkpoint dict "
                         f"with 'state_dict'; found {type(obj).__name__}")
    return obj


def to_arrays(state_dict, float64=False):
    arrays = collections.OrderedDict()
    for key, tensor in state_dict.items():
        a = tensor.detach().cpu().contiguous().numpy()
        if a.dtype.kind == "f":
            a = a.astype(np.float64 if float64 else np.float32)
        arrays[key] = np.array(a, order="C", copy=True)  # (ascontiguousarray would make 0-d arrays 1-d)
    return arrays


def save(path, arrays, compressed=False):
    (np.savez_compressed if compressed else np.savez)(path, **arrays)


def demo_model():
    torch.manual_seed(20240601)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 4 x 12 x 12 -> 4 x 6 x 6
        nn.Conv2d(4, 8, 3), nn.ReLU(), nn.MaxPool2d(2),             # 8 x 4 x 4 -> 8 x 2 x 2
        nn.Flatten(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 5))
    with torch.no_grad():  # weights larger than the default init, so every ReLU and max matters
        for p in model.parameters():
            p.uniform_(-0.6, 0.6)
    return model.eval()


def demo(outdir):
    os.makedirs(outdir, exist_ok=True)
    model = demo_model()
    generator = torch.Generator().manual_seed(7)
    x = torch.rand(3, 1, 12, 12, generator=generator) * 2 - 1
    with torch.no_grad():
        y = model(x)
        y64 = model.double()(x.double())
    model.float()
    arrays = to_arrays(model.state_dict())
    save(os.path.join(outdir, "lenet_demo.npz"), arrays)
    save(os.path.join(outdir, "lenet_demo_compressed.npz"), arrays, compressed=True)
    np.save(os.path.join(outdir, "lenet_demo_input.npy"), x.numpy())
    np.save(os.path.join(outdir, "lenet_demo_output.npy"), y.numpy())
    np.save(os.path.join(outdir, "lenet_demo_output_f64.npy"), y64.numpy())
    for key, a in arrays.items():
        print(f"{key}: {a.shape} {a.dtype}")
    print(f"output {tuple(y.shape)}:\n{y.numpy()}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", nargs="?", help="file written by torch.save or torch.jit.save")
    parser.add_argument("out", nargs="?", help="the .npz to write")
    parser.add_argument("--compressed", action="store_true", help="deflate the entries (numpy.savez_compressed)")
    parser.add_argument("--float64", action="store_true", help="store floating-point tensors as float64")
    parser.add_argument("--demo", metavar="OUTDIR", help="write the demo model, input and outputs to OUTDIR")
    args = parser.parse_args(argv)
    if args.demo:
        demo(args.demo)
        return 0
    if not args.model or not args.out:
        parser.error("give MODEL and OUT, or --demo OUTDIR")
    arrays = to_arrays(load_state_dict(args.model), args.float64)
    save(args.out, arrays, args.compressed)
    for key, a in arrays.items():
        print(f"{key}: {a.shape} {a.dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
