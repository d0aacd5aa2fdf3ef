#!/usr/bin/env python3
"""Writes tests/optim/data/optimizers.golden: parameter trajectories of torch.optim, float64.

Run with /usr/bin/python3 tests/optim/make_golden.py (torch 1.13); the C++ tests need no torch.
Deterministic: the same torch and numpy give the same file.

Parameters are those of ctnn::basic_network<T, input<1, 2, 2>, conv2d<2, 1>, flatten, dense<2>>
(conv weight 2x1x1x1, conv bias 2, dense weight 2x8, dense bias 2), flattened in that order:
22 values. Every case starts from the same values and takes 5 steps with the same gradients.

Format, one record per line, values as %.17g:
  start <22 values>
  grad <22 values>                               5 lines, the gradient of each step
  case <name> <optimizer> <option> <value> ...   options named as ctnn's *_options fields
  then per step: [lr <value>] (the learning rate from this step on), param <22 values> (after the step)
"""
import os

import numpy as np
import torch

SHAPES = [(2, 1, 1, 1), (2,), (2, 8), (2,)]
STEPS = 5

# name, torch class, ctnn options (in ctnn's names), learning rates per step (None: keep)
CASES = [
    ("sgd", "sgd", dict(learning_rate=0.1), None),
    ("sgd_wd", "sgd", dict(learning_rate=0.1, weight_decay=0.05), None),
    ("momentum", "sgd", dict(learning_rate=0.05, momentum=0.9), None),
    ("momentum_dampening_wd", "sgd", dict(learning_rate=0.05, momentum=0.8, dampening=0.3, weight_decay=0.05), None),
    ("nesterov", "sgd", dict(learning_rate=0.05, momentum=0.9, nesterov=1), None),
    ("nesterov_wd", "sgd", dict(learning_rate=0.05, momentum=0.9, nesterov=1, weight_decay=0.02), None),
    ("momentum_schedule", "sgd", dict(learning_rate=0.1, momentum=0.9), [None, 0.05, None, 0.025, 0.0125]),
    ("adagrad", "adagrad", dict(learning_rate=0.1), None),
    ("adagrad_wd", "adagrad", dict(learning_rate=0.1, weight_decay=0.05), None),
    ("adagrad_decay_init", "adagrad",
     dict(learning_rate=0.1, lr_decay=0.1, initial_accumulator_value=0.1, eps=1e-6), None),
    ("adadelta", "adadelta", dict(), None),
    ("adadelta_wd", "adadelta", dict(learning_rate=0.5, rho=0.8, eps=1e-5, weight_decay=0.05), None),
    ("rmsprop", "rmsprop", dict(learning_rate=0.01), None),
    ("rmsprop_wd", "rmsprop", dict(learning_rate=0.01, weight_decay=0.05), None),
    ("rmsprop_momentum", "rmsprop", dict(learning_rate=0.01, alpha=0.9, momentum=0.5), None),
    ("rmsprop_centered", "rmsprop", dict(learning_rate=0.01, centered=1), None),
    ("rmsprop_centered_momentum_wd", "rmsprop",
     dict(learning_rate=0.01, momentum=0.7, centered=1, weight_decay=0.05), None),
    ("adam", "adam", dict(learning_rate=0.01), None),
    ("adam_wd", "adam", dict(learning_rate=0.01, weight_decay=0.05), None),
    ("adam_amsgrad", "adam", dict(learning_rate=0.01, beta1=0.8, beta2=0.99, amsgrad=1), None),
    ("adam_schedule", "adam", dict(learning_rate=0.01, eps=1e-6), [None, 0.02, 0.005, None, 0.001]),
]


def torch_optimizer(kind, params, o):
    o = dict(o)
    lr = o.pop("learning_rate", None)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o.get("momentum", 0), dampening=o.get("dampening", 0),
                               nesterov=bool(o.get("nesterov", 0)), weight_decay=o.get("weight_decay", 0))
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, lr_decay=o.get("lr_decay", 0),
                                   weight_decay=o.get("weight_decay", 0),
                                   initial_accumulator_value=o.get("initial_accumulator_value", 0),
                                   eps=o.get("eps", 1e-10))
    if kind == "adadelta":
        return torch.optim.Adadelta(params, lr=1.0 if lr is None else lr, rho=o.get("rho", 0.9),
                                    eps=o.get("eps", 1e-6), weight_decay=o.get("weight_decay", 0))
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=o.get("alpha", 0.99), eps=o.get("eps", 1e-8),
                                   weight_decay=o.get("weight_decay", 0), momentum=o.get("momentum", 0),
                                   centered=bool(o.get("centered", 0)))
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)),
                                eps=o.get("eps", 1e-8), weight_decay=o.get("weight_decay", 0),
                                amsgrad=bool(o.get("amsgrad", 0)))
    raise ValueError(kind)


def fmt(values):
    return " ".join("%.17g" % v for v in values)


def main():
    rng = np.random.default_rng(20240603)
    count = sum(int(np.prod(s)) for s in SHAPES)
    start = rng.uniform(-1, 1, count)
    grads = []
    for step in range(STEPS):
        g = rng.normal(0, 0.5, count)
        g[0] = 0.0                        # a parameter that never gets a gradient
        g[1] = 0.3 * (-1) ** step          # one whose gradient flips sign
        g[2] = 2.0 / (step + 1)            # one whose gradient shrinks (amsgrad keeps the max)
        grads.append(g)

    lines = ["# torch.optim trajectories (torch %s, float64), made by tests/optim/make_golden.py; do not edit."
             % torch.__version__, "start " + fmt(start)] + ["grad " + fmt(g) for g in grads]
    for name, kind, options, schedule in CASES:
        chunks, at = [], 0
        for s in SHAPES:
            n = int(np.prod(s))
            chunks.append(torch.nn.Parameter(torch.tensor(start[at:at + n], dtype=torch.float64).reshape(s)))
            at += n
        opt = torch_optimizer(kind, chunks, options)
        lines.append("case %s %s %s" % (name, kind, " ".join("%s %.17g" % kv for kv in options.items())))
        for step in range(STEPS):
            if schedule is not None and schedule[step] is not None:
                for group in opt.param_groups:
                    group["lr"] = schedule[step]
                lines.append("lr %.17g" % schedule[step])
            at = 0
            for p in chunks:
                n = p.numel()
                p.grad = torch.tensor(grads[step][at:at + n], dtype=torch.float64).reshape(p.shape)
                at += n
            opt.step()
            lines.append("param " + fmt(torch.cat([p.detach().reshape(-1) for p in chunks]).tolist()))

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "optimizers.golden")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
