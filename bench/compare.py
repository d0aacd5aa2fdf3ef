#!/usr/bin/env python3
"""Run benchmark executables and tabulate their medians side by side.

    bench/compare.py [--repetitions N] [--filter REGEX] EXE [EXE...]

A quick side-by-side of a few executables (ctnn_bench against ctnn_bench_reference, say);
bench/run is the full, interleaved measurement that writes docs/performance.md.

Each executable registers cases named <case>/<implementation> (c1/ctnn, c1/ctnn-reference,
c1/onednn, ...). Every executable runs with N repetitions and aggregates only; the table has
one row per case and, per implementation, the median CPU time and the median GFLOP/s, plus
the speedup of ctnn over ctnn-reference. Noisy machine: compare columns of one run.
"""
import argparse
import json
import subprocess
import sys
from collections import OrderedDict


def run(exe, repetitions, flt):
    cmd = [exe, f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true",
           "--benchmark_format=json"]
    if flt:
        cmd.append(f"--benchmark_filter={flt}")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["benchmarks"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repetitions", type=int, default=9)
    ap.add_argument("--filter", default="")
    ap.add_argument("exes", nargs="+")
    args = ap.parse_args()
    table = OrderedDict()  # case -> impl -> (us, gflops)
    impls = []
    for exe in args.exes:
        for b in run(exe, args.repetitions, args.filter):
            if b.get("aggregate_name") != "median":
                continue
            case, impl = b["run_name"].split("/", 1)
            unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
            table.setdefault(case, {})[impl] = (b["cpu_time"] * unit, b.get("GFLOP/s", float("nan")))
            if impl not in impls:
                impls.append(impl)
    head = f"{'case':<8}" + "".join(f"{i + ' us':>22}{'GFLOP/s':>9}" for i in impls)
    if "ctnn" in impls and "ctnn-reference" in impls:
        head += f"{'speedup':>9}"
    print(head)
    for case, row in table.items():
        line = f"{case:<8}"
        for i in impls:
            us, gf = row.get(i, (float("nan"), float("nan")))
            line += f"{us:>22.1f}{gf:>9.2f}"
        if "ctnn" in row and "ctnn-reference" in row:
            line += f"{row['ctnn-reference'][0] / row['ctnn'][0]:>8.1f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
