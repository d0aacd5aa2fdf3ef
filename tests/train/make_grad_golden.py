#!/usr/bin/python3
"""Golden gradients from PyTorch autograd for tests/train/grad_golden_test.cpp.

Regenerate with Debian's Python (torch 1.13):  /usr/bin/python3 tests/train/make_grad_golden.py
Deterministic: the same torch build writes byte-identical files.

Each case file is text: lines `name count` followed by `count` values (%.9e, float32
computed in float64 then rounded), in this order: the parameters of every layer in ctnn's
tensor order (weight, bias[, running_mean, running_var]), the input, the labels, then the
loss and the gradients of every trainable tensor, in the same order.
"""
import os
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1234)
torch.set_default_dtype(torch.float64)


def write(path, tensors):
    with open(path, "w") as f:
        for name, t in tensors:
            v = t.detach().reshape(-1).tolist()
            f.write(f"{name} {len(v)}\n")
            f.write("\n".join(f"{x:.9e}" for x in v) + "\n")


def case(name, model, in_shape, batch, classes, train_mode=True):
    x = torch.randn(batch, *in_shape)
    y = torch.randint(0, classes, (batch,))
    # Round everything to float32 first so C++ float sees the same numbers.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())
        x = x.float().double()
    model.train(train_mode)
    tensors = []
    for m in model:
        for k, v in m.state_dict().items():
            if k == "num_batches_tracked":
                continue
            tensors.append((f"param.{k}", v))
    out = model(x)
    loss = nn.functional.cross_entropy(out, y)  # the model ends with raw scores
    loss.backward()
    tensors.append(("input", x))
    tensors.append(("labels", y.double()))
    tensors.append(("loss", loss.reshape(1)))
    for m in model:
        for k, p in m.named_parameters():
            tensors.append((f"grad.{k}", p.grad))
    write(os.path.join(HERE, "data", name + ".txt"), tensors)


# LeNet-5's layers on a 16 x 16 input (the full-size file would be megabytes), ending in
# raw scores.
lenet = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10))
case("lenet16", lenet, (1, 16, 16), 4, 10)

# Strides, padding, avg pooling, BatchNorm in training mode and the seed's dense-BN-ReLU head.
mixed = nn.Sequential(
    nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.Tanh(),
    nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
    nn.Conv2d(8, 5, (3, 2), stride=(1, 2), bias=False), nn.LeakyReLU(0.2), nn.Flatten(),
    nn.Linear(5 * 2 * 2, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 7))
with torch.no_grad():  # non-trivial affine parameters and running statistics
    for m in mixed:
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.9, 1.1)
case("mixed", mixed, (3, 13, 11), 5, 7)
