#!/usr/bin/python3
"""Trains a LeNet-5 on MNIST with PyTorch and exports it to ONNX: the first half of
examples/onnx_mnist (the second half, main.cpp, runs the exported model with ctnn).

  /usr/bin/python3 examples/onnx_mnist/train.py [--data DIR] [--epochs 3] [--out DIR]

Reads the four IDX files of MNIST from --data (default: fetched with tools/fetch-mnist into
build/mnist), trains for --epochs epochs with Adam on all 60,000 training images, prints the
test accuracy, and writes into --out (default: this script's folder):

  lenet.onnx          the network and a final Softmax, opset 13, static input 1 x 1 x 28 x 28
  digit_<label>.png   a few 28 x 28 grey digits of the MNIST test set, to classify

Pixels are scaled to [0, 1] and nothing else (no mean/std normalisation), so a program feeding
the model divides each byte by 255. The run is seeded; on a 2-core machine it takes about a minute.
"""
import argparse
import pathlib
import struct
import subprocess
import sys
import time
import zlib

import numpy as np
import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
SAMPLES = (0, 1, 2, 4)  # MNIST test images 0, 1, 2 and 4: a 7, a 2, a 1 and a 4


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 6 x 14 x 14
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),            # 16 x 5 x 5
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def read_idx(path, magic):
    data = pathlib.Path(path).read_bytes()
    found, = struct.unpack(">I", data[:4])
    if found != magic:
        sys.exit(f"train.py: {path}: expected IDX magic {magic:#010x}, found {found:#010x}")
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data, split):
    images = read_idx(data / f"{split}-images-idx3-ubyte", 0x00000803)
    labels = read_idx(data / f"{split}-labels-idx1-ubyte", 0x00000801)
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return images, x, torch.from_numpy(labels.astype(np.int64))


def write_png(path, pixels):
    """An 8-bit greyscale PNG, written with zlib only."""
    height, width = pixels.shape
    raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(height))  # filter 0 on each row

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    pathlib.Path(path).write_bytes(png)


def accuracy(model, x, y):
    with torch.no_grad():
        return sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=pathlib.Path, help="folder of the four MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", type=pathlib.Path, default=HERE)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.data is None:
        fetched = subprocess.run([str(REPO / "tools" / "fetch-mnist"), str(REPO / "build" / "mnist")],
                                 check=True, stdout=subprocess.PIPE, text=True)
        args.data = pathlib.Path(fetched.stdout.strip())
    torch.manual_seed(1)
    torch.set_num_threads(args.threads)

    _, train_x, train_y = load(args.data, "train")
    test_images, test_x, test_y = load(args.data, "t10k")
    print(f"MNIST from {args.data}: {len(train_x)} training, {len(test_x)} test images")

    model = lenet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        start = time.monotonic()
        model.train()
        order = torch.randperm(len(train_x))
        total = 0.0
        for i in range(0, len(order), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            loss = loss_fn(model(train_x[batch]), train_y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        correct = accuracy(model, test_x, test_y)
        print(f"epoch {epoch}/{args.epochs}  {time.monotonic() - start:.1f}s  train loss {total / len(order):.4f}"
              f"  test accuracy {100 * correct / len(test_x):.2f}% ({correct} of {len(test_x)})", flush=True)

    # What a deployed program wants: probabilities, for one image at a time.
    deployed = nn.Sequential(model, nn.Softmax(dim=1)).eval()
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "lenet.onnx"
    torch.onnx.export(deployed, test_x[:1], str(onnx_path), opset_version=13, input_names=["image"],
                      output_names=["probabilities"])
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size} bytes)")

    with torch.no_grad():
        for index in SAMPLES:
            label = int(test_y[index])
            png = args.out / f"digit_{label}.png"
            write_png(png, test_images[index])
            p = deployed(test_x[index:index + 1])[0]
            print(f"wrote {png.name} (MNIST test image {index}, label {label}): PyTorch says {int(p.argmax())}, "
                  f"p = {float(p.max()):.4f}")


if __name__ == "__main__":
    main()
