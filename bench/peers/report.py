#!/usr/bin/python3
"""Turns the results bench/run collected into docs/performance.md and a chart.

    report.py RESULTS_DIR OUT.md

RESULTS_DIR holds <exe>.round<N>.json (Google Benchmark, aggregates only), epoch_*.log and
machine.txt. The chart goes next to OUT.md as <stem>.svg. Standard library only.
"""
import glob
import json
import math
import os
import re
import statistics
import sys
from collections import defaultdict

# Multiply-adds per call, as in bench/cases.hpp and bench/peers/cases.hpp.
LENET_FWD = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 6 * 25 + 400 * 120 + 120 * 84 + 84 * 10  # 416520
# training: forward + weight gradients + input gradients of every layer but the first conv
LENET_TRAIN = 3 * LENET_FWD - 6 * 28 * 28 * 25


def conv_macs(n, c, h, w, k, kh, stride, pad):
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (w + 2 * pad - kh) // stride + 1
    return n * k * oh * ow * c * kh * kh


CASES = [  # id, description, kind, MACs (conv, net) or bytes moved (pool)
    ("c1", "conv 1→6, 5×5, pad 2, 28×28, N=1 (LeNet conv1)", "conv", conv_macs(1, 1, 28, 28, 6, 5, 1, 2)),
    ("c2", "conv 6→16, 5×5, 14×14, N=1 (LeNet conv2)", "conv", conv_macs(1, 6, 14, 14, 16, 5, 1, 0)),
    ("c3", "conv 64→64, 3×3, pad 1, 56×56, N=1", "conv", conv_macs(1, 64, 56, 56, 64, 3, 1, 1)),
    ("c4", "conv 64→128, 3×3, stride 2, pad 1, 56×56, N=1", "conv", conv_macs(1, 64, 56, 56, 128, 3, 2, 1)),
    ("c5", "conv 64→256, 1×1, 56×56, N=1", "conv", conv_macs(1, 64, 56, 56, 256, 1, 1, 0)),
    ("c6", "conv 32→32, 3×3, pad 1, 32×32, N=32", "conv", conv_macs(32, 32, 32, 32, 32, 3, 1, 1)),
    ("p1", "max pool 2×2 stride 2, 64×56×56, N=1", "pool", 4 * 64 * (56 * 56 + 28 * 28)),
    ("p2", "avg pool 2×2 stride 2, 64×56×56, N=1", "pool", 4 * 64 * (56 * 56 + 28 * 28)),
    ("net1", "LeNet-5 forward (to softmax), N=1", "net", LENET_FWD),
    ("net64", "LeNet-5 forward (to softmax), N=64", "net", 64 * LENET_FWD),
    ("train64", "LeNet-5 training step, batch 64: forward, cross-entropy, backward, SGD momentum 0.9", "train",
     64 * LENET_TRAIN),
]
PEERS = ["onednn", "onednn-nchw", "xnnpack", "libtorch"]
NAMES = {"ctnn": "ctnn", "ctnn-reference": "ctnn-reference", "ctnn-unfused": "ctnn, unfused", "onednn": "oneDNN", "onednn-nchw": "oneDNN, NCHW in/out",
         "xnnpack": "XNNPACK", "libtorch": "libtorch"}
# ctnn on a thread pool of 2 (<case>/ctnn-2threads/real_time, wall time), against <case>/ctnn.
TWO_THREADS = ["c3", "c4", "c5", "c6", "net64", "train64"]
# One image cut into output tiles (rows; output channels for the 1x1 c5): the issue sets no
# goal for these.
OUTPUT_TILES = ["c3", "c4", "c5"]
TWO_THREAD_GOAL = 1.8
# Issue 4's goals, as ctnn's speedup over the fastest peer (c3-c6: at least level with oneDNN).
SPEEDUP_GOAL = {"net1": 2.0, "net64": 2.0, "c1": 1.5, "c2": 1.5, "p1": 1.5, "p2": 1.5,
                "c3": 1.0, "c4": 1.0, "c5": 1.0, "c6": 1.0}
MISSING_WHY = {("train64", "onednn"): "not written (training is libtorch's comparison; see notes)",
               ("train64", "xnnpack"): "no backward pass in XNNPACK"}


def expected_impls(case_id, kind):
    impls = ["ctnn", "ctnn-reference"]
    if kind == "net":
        impls.append("ctnn-unfused")
    impls.append("onednn")
    if kind == "conv":
        impls.append("onednn-nchw")
    impls += ["xnnpack", "libtorch"]
    return impls


def unit_us(b):
    return {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b.get("time_unit", "ns")]


def load(results):
    """name -> list over rounds of dicts (cpu_us, real_us, cv, label, counters); contexts by exe."""
    runs = defaultdict(list)
    contexts = {}
    for path in sorted(glob.glob(os.path.join(results, "*.round*.json"))):
        exe = os.path.basename(path).split(".round")[0]
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        contexts[exe] = data.get("context", {})
        by = defaultdict(dict)
        for b in data.get("benchmarks", []):
            if b.get("error_occurred"):
                continue
            name = b.get("run_name", b["name"])
            by[name][b.get("aggregate_name", "")] = b
        for name, aggs in by.items():
            med = aggs.get("median")
            if med is None:
                continue
            cv = aggs.get("cv", {})
            runs[name].append({
                "cpu_us": med["cpu_time"] * unit_us(med),
                "real_us": med["real_time"] * unit_us(med),
                "cv": cv.get("cpu_time") if isinstance(cv, dict) else None,
                "cv_real": cv.get("real_time") if isinstance(cv, dict) else None,
                "label": med.get("label", ""),
                "gflops": med.get("GFLOP/s"),
                "exe": exe,
                "ab": {k: med[k] for k in ("ctnn_us", "onednn_us", "speedup") if k in med},
            })
    return runs, contexts


def summarize(rounds):
    cpu = [r["cpu_us"] for r in rounds]
    real = [r["real_us"] for r in rounds]
    m = statistics.median(cpu)
    mr = statistics.median(real)
    if len(rounds) > 1:
        spread = (max(cpu) - min(cpu)) / m if m else 0
        real_spread = (max(real) - min(real)) / mr if mr else 0
    else:  # one round: the coefficient of variation of its repetitions
        spread = rounds[0]["cv"] or 0
        real_spread = rounds[0]["cv_real"] or 0
    return {"us": m, "real_us": mr, "spread": spread, "real_spread": real_spread,
            "rounds": len(rounds), "label": rounds[-1]["label"], "exe": rounds[-1]["exe"],
            "gflops": statistics.median([r["gflops"] for r in rounds if r["gflops"] is not None] or [float("nan")]),
            # ctnn_bench_ab_onednn's counters: per key, the round medians
            "ab": {k: [r["ab"][k] for r in rounds if k in r["ab"]] for k in ("ctnn_us", "onednn_us", "speedup")}}


def machine_info(results):
    info = {}
    try:
        with open(os.path.join(results, "machine.txt")) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    info[k] = v
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        for key in ("cpu family", "model", "stepping"):
            m = re.search(r"^%s\s*:\s*(.+)$" % key, text, re.M)
            if m:
                info["cpuinfo_" + key.replace(" ", "_")] = m.group(1).strip()
    except OSError:
        pass
    return info


def parse_epochs(results):
    """(impl, threads) -> median seconds per epoch over the rounds, and notes."""
    found = defaultdict(list)
    for path in sorted(glob.glob(os.path.join(results, "epoch_*_t*.log"))):
        m = re.match(r"epoch_(ctnn|torch)_t(\d+)(?:\.r\d+)?\.log$", os.path.basename(path))
        if not m:
            continue
        impl, threads = m.group(1), int(m.group(2))
        with open(path, errors="replace") as f:
            text = f.read()
        if impl == "ctnn":
            m2 = re.search(r"trained (\d+) epochs in ([\d.]+) s \(([\d.]+) s per epoch\)", text)
            val = re.search(r"val loss [\d.]+ acc ([\d.]+)%", text)
            if m2:
                found[(impl, threads)].append({"seconds": float(m2.group(3)),
                                               "note": "validation accuracy %s%%" % val.group(1) if val else ""})
        else:
            m2 = re.search(r"threads=(\d+) epochs=(\d+) seconds_per_epoch=([\d.]+) train_seconds_per_epoch=([\d.]+) "
                           r"val_accuracy=([\d.]+)", text)
            if m2:
                found[(impl, threads)].append({"seconds": float(m2.group(3)), "train_seconds": float(m2.group(4)),
                                               "note": "validation accuracy %.2f%%" % (100 * float(m2.group(5)))})
    out = {}
    for key, runs in found.items():
        secs = [r["seconds"] for r in runs]
        d = dict(runs[-1])
        d["seconds"] = statistics.median(secs)
        d["runs"] = len(secs)
        d["spread"] = (max(secs) - min(secs)) / d["seconds"] if d["seconds"] else 0
        if "train_seconds" in d:
            d["train_seconds"] = statistics.median(r["train_seconds"] for r in runs)
        out[key] = d
    return out


def fmt_us(us):
    if us >= 10000:
        return "%.0f" % us
    if us >= 100:
        return "%.0f" % us
    if us >= 10:
        return "%.1f" % us
    return "%.2f" % us


def fmt_ratio(x):
    return "%.2f" % x if x < 10 else "%.1f" % x


def svg_chart(rows, path, subtitle):
    """rows: (label, sublabel, value or None, text); value = peer time / ctnn time."""
    vals = [v for _, _, v, _ in rows if v]
    lo_e = min([-2] + [math.floor(math.log2(v)) for v in vals])
    hi_e = max([2] + [math.ceil(math.log2(v)) for v in vals])
    left, plot_w, text_w, top, row_h, bar_h = 330, 420, 300, 76, 38, 18
    width = left + plot_w + text_w
    height = top + row_h * len(rows) + 56

    def x(v):
        return left + (math.log2(v) - lo_e) / (hi_e - lo_e) * plot_w

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="DejaVu Sans, Arial, sans-serif" '
           'font-size="12">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="12" y="24" font-size="16" font-weight="bold">ctnn vs the fastest peer, per case</text>',
           '<text x="12" y="44" fill="#444">bar = peer time ÷ ctnn time, log scale: right of 1× (green) ctnn is '
           'faster, left (orange) slower.</text>',
           '<text x="12" y="61" fill="#444">%s</text>' % esc(subtitle)]
    bottom = top + row_h * len(rows)
    for i, (label, sub, v, text) in enumerate(rows):
        y0 = top + i * row_h
        if i % 2 == 0:
            out.append('<rect x="0" y="%d" width="%d" height="%d" fill="#f3f5f8"/>' % (y0, width, row_h))
    for e in range(lo_e, hi_e + 1):
        v = 2.0 ** e
        xx = x(v)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%s"/>'
                   % (xx, top, xx, bottom, "#333" if e == 0 else "#d0d4da", "1.5" if e == 0 else "1"))
        lab = ("%g×" % v) if v >= 1 else ("1/%g×" % (1 / v))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>' % (xx, bottom + 16, lab))
    out.append('<text x="%d" y="%d" text-anchor="middle" fill="#555">peer time ÷ ctnn time</text>'
               % (left + plot_w // 2, bottom + 36))
    for i, (label, sub, v, text) in enumerate(rows):
        y0 = top + i * row_h
        out.append('<text x="12" y="%d" font-weight="bold">%s</text>' % (y0 + 16, esc(label)))
        out.append('<text x="12" y="%d" fill="#555" font-size="11">%s</text>' % (y0 + 31, esc(sub)))
        yy = y0 + (row_h - bar_h) // 2
        if v is not None:
            x0, x1 = x(1.0), x(v)
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                       % (min(x0, x1), yy, max(abs(x1 - x0), 1.5), bar_h, "#2da44e" if v >= 1 else "#e8833a"))
        out.append('<text x="%d" y="%d" fill="%s" font-size="11.5">%s</text>'
                   % (left + plot_w + 10, yy + 13, "#222" if v is not None else "#999", esc(text)))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main():
    results, out_md = sys.argv[1], sys.argv[2]
    runs, contexts = load(results)
    res = {name: summarize(r) for name, r in runs.items()}
    info = machine_info(results)
    epochs = parse_epochs(results)

    # The peak: the fastest one-thread FMA loop.
    peak_rows = sorted(((n, s) for n, s in res.items() if n.startswith("peak/")),
                       key=lambda t: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", t[0])])
    single = [(n, s["gflops"]) for n, s in peak_rows if "threads" not in n and not math.isnan(s["gflops"])]
    peak_name, peak = max(single, key=lambda t: t[1]) if single else ("", float("nan"))
    peak_isa = "AVX-512" if "512" in peak_name else "AVX2"

    def pct(g):
        return "%.1f%%" % (100 * g / peak) if peak == peak and peak > 0 else "—"

    L = []
    add = L.append
    add("# Performance")
    add("")
    add("Generated by `bench/run` (do not edit by hand; rerun it). Every number is from one run on one machine, "
        "one thread unless a table says otherwise; compare columns within this page, not with other machines "
        "or other days.")
    add("")
    add("## Machine and method")
    add("")
    fam = info.get("cpuinfo_cpu_family", "?")
    zen = {"23": "Zen/Zen 2", "25": "Zen 3/Zen 4", "26": "Zen 5"}.get(fam, "")
    if fam == "25" and info.get("cpuinfo_model", "").isdigit(): # AMD's family 19h model ranges
        model = int(info["cpuinfo_model"])
        zen = "Zen 4" if 0x10 <= model <= 0x1F or 0x60 <= model <= 0x7F or 0xA0 <= model <= 0xAF else "Zen 3"
    ctx = next(iter(contexts.values()), {})
    caches = ", ".join("L%d%s %d KiB" % (c["level"], {"Data": "d", "Instruction": "i"}.get(c["type"], ""),
                                          c["size"] // 1024) for c in ctx.get("caches", []) if c["type"] != "Instruction")
    add("| | |")
    add("|---|---|")
    add("| CPU | %s (family %s model %s%s), %s cores, %s MHz nominal; %s%s |" % (
        info.get("cpu", "?"), fam, info.get("cpuinfo_model", "?"), ", " + zen if zen else "", info.get("cores", "?"),
        ctx.get("mhz_per_cpu", "?"), info.get("flags", "").strip(), "; " + caches if caches else ""))
    add("| date | %s (load average at the end: %s) |" % (info.get("date", "?"), info.get("loadavg", "?")))
    add("| compiler | %s; CMAKE_CXX_FLAGS `%s` (this build directory only), CTNN_ARCH_FLAGS `%s`, Release |" % (
        info.get("compiler", "?").strip(), info.get("cxx_flags", ""), info.get("arch_flags", "")))
    add("| ctnn | git %s |" % info.get("git", "?"))
    vers = []
    for k, v in sorted(info.items()):
        if k.startswith("pkg_"):
            vers.append("%s %s" % (k[4:], v))
    add("| packages | %s |" % ", ".join(vers))
    lt = contexts.get("ctnn_bench_libtorch", {})
    od = contexts.get("ctnn_bench_onednn", {})
    if od:
        add("| oneDNN | %s, CPU runtime %s, %s thread |" % (od.get("onednn_version", "?"), od.get("onednn_cpu_runtime", "?"),
                                                        od.get("onednn_threads", "?")))
    if lt:
        add("| libtorch | %s, %s thread, ATen CPU capability %s; BLAS: %s |" % (
            lt.get("libtorch_version", "?"), lt.get("libtorch_threads", "?"), lt.get("libtorch_cpu_capability", "?"),
            lt.get("libtorch_blas", "?")))
    add("| runs | %s round(s) × %s repetitions (min time %s s each), executables interleaved round by round%s |" % (
        info.get("rounds", "?"), info.get("repetitions", "?"), info.get("min_time", "?"),
        "; **--quick: indicative only**" if info.get("quick") == "1" else ""))
    add("")
    add("- **Time** is the median CPU time per call: per round, the median of the repetitions; then the median of "
        "the rounds. Every case runs on one thread (the two-thread table aside: it is in wall time), and this machine is shared and noisy (other builds run on its "
        "2 cores), so a one-thread process's CPU time is steadier than wall time; the wall-time medians are in "
        "the raw JSON (`%s`). *spread* = (max − min) / median of the round medians (with one round: the "
        "coefficient of variation of its repetitions)." % os.path.relpath(results))
    add("- **GFLOP/s** = 2 × multiply-adds of the convolutions and dense layers / time (nets: LeNet-5 has %d "
        "multiply-adds per sample forward; a training step counts forward, weight gradients and input gradients "
        "of every layer but the first, %d per sample). Pooling: GB/s of the bytes it must read and write."
        % (LENET_FWD, LENET_TRAIN))
    add("- **%% of peak** is against the measured one-core FMA peak below (%s, %.1f GFLOP/s)." % (peak_isa, peak)
        if peak == peak else "- **% of peak**: the peak was not measured.")
    add("- **ctnn ÷ peer** is ctnn's time over the peer's (below 1: ctnn is faster); **speedup** is its inverse "
        "(the peer's time over ctnn's).")
    add("- Environment of every run: `OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1`, and "
        "`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296`: this VM "
        "takes ~18 µs per first-touched page (about 100× bare metal), so an implementation that allocates its "
        "outputs per call (libtorch) would otherwise spend most of its time in page faults (c3/libtorch: 8.7 ms "
        "instead of 1.3 ms). The setting keeps freed memory in malloc's heap; ctnn, oneDNN and XNNPACK allocate "
        "nothing in the timed loop either way. For the peers' runs `OPENBLAS_CORETYPE` (here `%s`) and "
        "`OPENBLAS_L2_SIZE` (here `%s`) are unset, so OpenBLAS picks its own kernel (see the libtorch row above)."
        % (info.get("orig_openblas_coretype", "") or "unset", info.get("orig_openblas_l2", "") or "unset"))
    add("")

    # Peak table.
    add("### FMA peak (ctnn_bench_peak)")
    add("")
    add("| loop | GFLOP/s | spread |")
    add("|---|---:|---:|")
    for n, s in peak_rows:
        add("| `%s` | %.1f | %.0f%% |" % (n.replace("/real_time", ""), s["gflops"], 100 * s["spread"]))
    if not peak_rows:
        add("| not measured | | |")
    add("")
    add("Independent FMA chains on 256-bit (AVX2) or 512-bit (AVX-512F) vectors; the two-thread rows use wall time, "
        "and show what two threads get on this shared machine.")
    scal = []
    peak_scaling = {}  # "256-bit" / "512-bit" -> two-thread GFLOP/s over one-thread
    for bits, one, two in (("256-bit", "peak/fma256x12", "peak/fma256x12/threads:2"),
                           ("512-bit", "peak/fma512x24", "peak/fma512x24/threads:2")):
        a, b = res.get(one), res.get(two) or res.get(two + "/real_time")
        if a and b and a["gflops"] == a["gflops"] and b["gflops"] == b["gflops"]:
            peak_scaling[bits] = b["gflops"] / a["gflops"]
            scal.append("%.2f× (%s)" % (peak_scaling[bits], bits))
    if scal:
        low = min(float(x.split("×")[0]) for x in scal)
        if low >= 1.8:
            why = ("Close to 2×: in this run the two vCPUs each had a core's FMA units (the shared host gives "
                   "0.96–1.9× across runs), so 2-thread speedups of compute-bound work can be measured here.")
        else:
            why = ("Well below 2×, this says the two vCPUs do not have a core each for FMA work (SMT siblings on "
                   "the host, or the other one busy with other jobs): 2-thread speedups of compute-bound work are "
                   "limited on this machine, ctnn's and the peers' alike.")
        add("Two threads together reached %s the one-thread FMA rate. %s" % (" and ".join(scal), why))
    add("")

    # Summary.
    summary = []
    add("## Summary: ctnn vs the fastest peer")
    add("")
    add("| case | ctnn µs | ctnn-reference µs | fastest peer | peer µs | ctnn ÷ peer | ctnn % of peak | peer % of peak |")
    add("|---|---:|---:|---|---:|---:|---:|---:|")
    for cid, desc, kind, work in CASES:
        impls = expected_impls(cid, kind)
        peers = [(i, res.get("%s/%s" % (cid, i))) for i in impls if i in PEERS]
        peers = [(i, s) for i, s in peers if s]
        best = min(peers, key=lambda t: t[1]["us"]) if peers else None
        c = res.get(cid + "/ctnn")
        r = res.get(cid + "/ctnn-reference")

        def g(s):
            if kind == "pool":
                return "—"
            return pct(2 * work / (s["us"] * 1e3))

        add("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            cid, fmt_us(c["us"]) if c else "not measured", fmt_us(r["us"]) if r else "not measured",
            NAMES[best[0]] if best else "—", fmt_us(best[1]["us"]) if best else "—",
            fmt_ratio(c["us"] / best[1]["us"]) if c and best else "—", g(c) if c else "—", g(best[1]) if best else "—"))
        summary.append((cid, desc, kind, c, r, best))
    add("")
    add("![ctnn vs the fastest peer](%s)" % (os.path.splitext(os.path.basename(out_md))[0] + ".svg"))
    add("")

    # ctnn and oneDNN interleaved in one process.
    best_peer = {cid: best[0] for cid, desc, kind, c, r, best in summary if best}
    ab_rows = [(cid, desc, res.get(cid + "/ab-onednn")) for cid, desc, kind, work in CASES]
    ab_rows = [(cid, desc, s) for cid, desc, s in ab_rows if s and s["ab"]["speedup"]]
    if ab_rows:
        add("## Side by side in one process: ctnn and oneDNN (ctnn_bench_ab_onednn)")
        add("")
        add("The tables above compare executables that run a minute or more apart, and a slow spell of this shared "
            "machine can land on one and not the other. `ctnn_bench_ab_onednn` (bench/peers/ab_onednn.cpp) runs "
            "both in one process, set up as in `ctnn_bench` and `ctnn_bench_onednn` (oneDNN on its blocked "
            "layouts), alternating blocks of ~2 ms of calls, ctnn first in one repetition and oneDNN first in the "
            "next, so the noise hits both alike. *speedup* = oneDNN's CPU time ÷ ctnn's over the same blocks; "
            "the medians over rounds, and the lowest and highest round.")
        add("")
        add("| case | ctnn µs | oneDNN µs | speedup of ctnn | rounds: lowest – highest | goal (issue 4) | status |")
        add("|---|---:|---:|---:|---|---:|---|")
        for cid, desc, s in ab_rows:
            sp = s["ab"]["speedup"]
            m = statistics.median(sp)
            goal = SPEEDUP_GOAL.get(cid)
            best = best_peer.get(cid)
            status = "—" if goal is None else ("the fastest peer here is %s (summary)" % NAMES[best]
                                                if best and not best.startswith("onednn") else None)
            status = status or ("met" if m >= goal else "**not met** (%.0f%% short)" % (100 * (1 - m / goal)))
            add("| %s | %s | %s | %s× | %s× – %s× | %s | %s |" % (
                cid, fmt_us(statistics.median(s["ab"]["ctnn_us"])), fmt_us(statistics.median(s["ab"]["onednn_us"])),
                fmt_ratio(m), fmt_ratio(min(sp)), fmt_ratio(max(sp)),
                "≥ %s×" % fmt_ratio(goal) if goal else "—", status))
        add("")
        add("The goal is judged here only where oneDNN is the fastest peer of the summary above (issue 4's goals "
            "are against the fastest).")
        add("")

    # Two threads.
    bits = "512-bit" if peak_isa == "AVX-512" else "256-bit"
    fma2 = peak_scaling.get(bits)
    add("## Two threads: batch work, and one large image in output tiles")
    add("")
    add("Goal: batch work (c6, net64, train64) runs at least %.1f× faster on two threads than on one. The "
        "two-thread rows (`<case>/ctnn-2threads` in `ctnn_bench`) run the same work on a `ctnn::thread_pool` of 2, "
        "the calling thread being one of them: c3, c4 and c5 (one image each) run as one-layer networks through "
        "`forward(..., pool)`, which cuts a conv of at least `split_macs` multiply-adds per sample into one output "
        "tile per thread when the batch is smaller than the pool (rows; output channels for the 1×1 c5) — no goal "
        "is set for these, the rows show what the tiles get; net64 is `Net::forward(params, in, out, workspace, pool)` (each "
        "thread one half of the batch); train64 passes the pool to `forward_train`, `backward` and the SGD step (the "
        "batch's chunks, then pieces of the parameter block, on the pool); c6 runs as a one-layer network through the "
        "same `forward(..., pool)`, whose layer is c6/ctnn's (a `static_assert` in bench/ctnn_bench.cpp checks "
        "the type), so the kernel and the work are c6/ctnn's. Each two-thread row runs right after its one-thread "
        "row. Both are compared in **wall time** (median, as above), since CPU time counts only the calling "
        "thread; speedup = one-thread wall time ÷ two-thread wall time. The one-thread CPU time is there to show "
        "how much other jobs held the core during the one-thread row (wall time well above it: a busy spell)."
        % TWO_THREAD_GOAL)
    add("")
    add("| case | 1 thread µs | 1 thread CPU µs | 2 threads µs | spread (1 / 2) | speedup | goal ≥ %.1f× "
        "| speedup ÷ FMA peak's |" % TWO_THREAD_GOAL)
    add("|---|---:|---:|---:|---:|---:|---|---:|")
    for cid in TWO_THREADS:
        one = res.get(cid + "/ctnn")
        two = res.get(cid + "/ctnn-2threads/real_time") or res.get(cid + "/ctnn-2threads")
        if not one or not two:
            add("| %s | %s | %s | %s | | | not measured | |" % (
                cid, fmt_us(one["real_us"]) if one else "not measured", fmt_us(one["us"]) if one else "",
                fmt_us(two["real_us"]) if two else "not measured"))
            continue
        speed = one["real_us"] / two["real_us"]
        if cid in OUTPUT_TILES:
            verdict = "no goal (output tiles)"
        elif speed >= TWO_THREAD_GOAL:
            verdict = "met"
        elif fma2 is not None and fma2 < TWO_THREAD_GOAL:
            verdict = "not met (the FMA peak got %.2f×)" % fma2
        else:
            verdict = "**not met**"
        add("| %s | %s | %s | %s | %.0f%% / %.0f%% | %s× | %s | %s |" % (
            cid, fmt_us(one["real_us"]), fmt_us(one["us"]), fmt_us(two["real_us"]), 100 * one["real_spread"], 100 * two["real_spread"],
            fmt_ratio(speed), verdict, "%.0f%%" % (100 * speed / fma2) if fma2 else "—"))
    add("")
    if fma2 is None:
        add("The FMA peak's two-thread row was not measured, so this run cannot say what two threads could get.")
    else:
        add("Pure FMA work got %.2f× from two threads in this run (%s, the ISA ctnn's kernels use here; the FMA peak "
            "table above, measured in the same rounds but not at the same moment): *speedup ÷ FMA peak's* is how "
            "much of that the case got. %s" % (
                fma2, bits,
                "With the yardstick itself below %.1f×, a case short of the goal says more about this shared "
                "machine (the other vCPU busy, or not a core of its own) than about ctnn; rerun when it is quiet."
                % TWO_THREAD_GOAL if fma2 < TWO_THREAD_GOAL else
                "The yardstick reached the goal, so the two vCPUs could run compute-bound work side by side in "
                "this run; a case well short of it loses time to its own serial parts, synchronization or memory."))
    add("")
    add("train64 repeats one batch, the same input and workspace, back to back; the MNIST epoch table below is the "
        "end-to-end training run (fresh batches, the trainer, validation) on one and two threads.")
    add("")

    # Per case.
    add("## Cases")
    for cid, desc, kind, work in CASES:
        add("")
        add("### %s — %s" % (cid, desc))
        add("")
        rate = "GB/s" if kind == "pool" else "GFLOP/s"
        add("| implementation | median µs | spread | %s | %% of peak | ctnn ÷ this | speedup of ctnn | notes |" % rate)
        add("|---|---:|---:|---:|---:|---:|---:|---|")
        c = res.get(cid + "/ctnn")
        for impl in expected_impls(cid, kind):
            s = res.get("%s/%s" % (cid, impl))
            if not s:
                why = MISSING_WHY.get((cid, impl), "not measured")
                add("| %s | %s | | | | | | |" % (NAMES[impl], why))
                continue
            if kind == "pool":
                r_txt, p_txt = "%.1f" % (work / (s["us"] * 1e3)), "—"
            else:
                gf = 2 * work / (s["us"] * 1e3)
                r_txt, p_txt = "%.1f" % gf, pct(gf)
            if impl == "ctnn" or not c:
                ratio, speed = "—", "—"
            else:
                ratio, speed = fmt_ratio(c["us"] / s["us"]), fmt_ratio(s["us"] / c["us"]) + "×"
            add("| %s | %s | %.0f%% | %s | %s | %s | %s | %s |" % (
                NAMES[impl], fmt_us(s["us"]), 100 * s["spread"], r_txt, p_txt, ratio, speed, esc(s["label"])))

    # Epochs.
    add("")
    add("## Training: one MNIST epoch of LeNet-5 (issue 3)")
    add("")
    add("ctnn: `examples/mnist_train --epochs 1 --threads T` (its printed seconds per epoch). libtorch: "
        "`ctnn_bench_torch_epoch --threads T` (bench/peers/torch_epoch.cpp), the same recipe: 55 000 training "
        "images in shuffled batches of 64, SGD lr 0.05 momentum 0.9, then the 5 000 validation images in "
        "inference mode; both times cover shuffle, batching, forward, loss, backward, update and validation, "
        "with the data already in memory. Wall time of one epoch, median over the runs (ctnn and libtorch "
        "alternately).")
    add("")
    add("| threads | ctnn s/epoch | libtorch s/epoch | ctnn ÷ libtorch | speedup of ctnn | runs, spread | notes |")
    add("|---:|---:|---:|---:|---:|---|---|")
    epoch_rows = []
    for t in (1, 2):
        c, p = epochs.get(("ctnn", t)), epochs.get(("torch", t))
        if not c and not p:
            add("| %d | not measured | not measured | | | | |" % t)
            epoch_rows.append((t, None, None))
            continue
        runs = ", ".join(x for x in ("ctnn %d × %.0f%%" % (c["runs"], 100 * c["spread"]) if c else "",
                                     "libtorch %d × %.0f%%" % (p["runs"], 100 * p["spread"]) if p else "") if x)
        notes = "; ".join(x for x in ("ctnn: " + c["note"] if c and c["note"] else "",
                                      "libtorch: %s, training part %.2f s" % (p["note"], p["train_seconds"]) if p else "")
                          if x)
        add("| %d | %s | %s | %s | %s | %s | %s |" % (
            t, "%.2f" % c["seconds"] if c else "not measured", "%.2f" % p["seconds"] if p else "not measured",
            fmt_ratio(c["seconds"] / p["seconds"]) if c and p else "—",
            fmt_ratio(p["seconds"] / c["seconds"]) + "×" if c and p else "—", runs, notes))
        epoch_rows.append((t, c, p))
    add("")
    add("libtorch's epochs run with `OMP_WAIT_POLICY=PASSIVE`: with libgomp's default spin-waiting, its 2-thread "
        "epoch took 45–53 s instead of 9–11 s when this was set up (load average ~5 on the 2 cores), because a "
        "spinning thread that loses its core stalls every parallel region; PASSIVE is libtorch at its best here. "
        "ctnn's thread pool spins (with a pause hint) for up to 500 µs, then sleeps on an atomic wait; each thread "
        "runs its own share of a job's indices first and then takes what is left, so a thread that loses its core "
        "holds nothing back.")
    add("")
    add("Accuracy after one epoch differs because the initializations differ (ctnn: He-normal; libtorch: its "
        "default Kaiming-uniform); it does not change the work per epoch. The 2-thread rows run on a 2-core machine "
        "that other jobs share, so they are the noisiest numbers here.")
    add("")

    add("## What is not like for like")
    add("")
    add("- **Layouts.** ctnn computes in plain NCHW. `oneDNN` rows run the primitive on the blocked layouts it "
        "prefers (src, weights and dst created with `format_tag::any`, weights reordered once, outside the loop): "
        "the cost inside a oneDNN network. `oneDNN, NCHW in/out` adds the reorders from and to plain NCHW, timed. "
        "XNNPACK runs NHWC (its only layout) with the same sizes. libtorch takes plain NCHW tensors and runs "
        "its own backend choice (the notes column: `Mkldnn` is oneDNN inside torch, reordering to and from "
        "blocked layouts on every call; `Slow2d` is im2col + OpenBLAS sgemm).")
    add("- **LeNet in oneDNN** is a chain of primitives with relu fused as a post-op into conv and inner product; "
        "the caller's NCHW input is used as is when oneDNN's conv1 accepts it (its notes say whether a reorder "
        "was timed), and fc1 reads pool2's blocked output directly. In XNNPACK relu is the output clamp of conv "
        "and fully-connected; its one-channel NHWC input is the same memory as NCHW.")
    add("- **LeNet in ctnn** (`ctnn` rows of net1 and net64) runs the network's fused plan: each conv with its relu "
        "and 2x2 max pool in one kernel, each dense with its relu. `ctnn, unfused` runs the same kernels one "
        "layer at a time (`run_unfused`, the reference path the fusion tests compare with, byte for byte).")
    add("- **Allocation.** libtorch allocates every output per call (that is how it is used); the others write "
        "into memory prepared before the loop. See the malloc setting above.")
    add("- **train64** is compared with libtorch only: XNNPACK has no backward pass, and a hand-written oneDNN "
        "training loop (backward-data, backward-weights, pooling workspace, SGD on blocked weights) is not how "
        "oneDNN is used for training; libtorch's training runs on oneDNN and OpenBLAS anyway.")
    isa = "AVX-512" if "avx512f" in info.get("flags", "") else "AVX2 + FMA, 16 vector registers"
    add("- **ISA.** ctnn is compiled with `-march=native` (%s on this CPU); oneDNN, XNNPACK, OpenBLAS and "
        "ATen pick their kernels at run time (oneDNN's and OpenBLAS's choice is in the notes and machine table)." % isa)
    add("- libtorch's ATen kernels run at their default capability, AVX2; `ATEN_CPU_CAPABILITY=avx512` measured "
        "no different on the pooling, net and training cases when this was set up on an AVX-512 host (its "
        "convolutions are oneDNN's or OpenBLAS's, which pick the widest ISA anyway).")
    add("- Debian's Google Benchmark library reports itself built as DEBUG; the timed loop (`for (auto _ : state)`) "
        "is inline in each benchmark's own (Release) code, so this adds nothing measurable to any case.")
    add("- Timings include each library's per-call overhead (argument checks, dispatch), which dominates the "
        "smallest cases (c1, c2, net1).")
    add("")

    os.makedirs(os.path.dirname(os.path.abspath(out_md)), exist_ok=True)
    with open(out_md, "w") as f:
        f.write("\n".join(L) + "\n")

    # Chart.
    rows = []
    for cid, desc, kind, c, r, best in summary:
        short = desc if len(desc) <= 48 else desc[:47] + "…"
        if not best:
            rows.append((cid, short, None, "no peer measured"))
        elif not c:
            rows.append(("%s vs %s" % (cid, NAMES[best[0]]), short, None,
                         "ctnn not measured (%s %s µs)" % (NAMES[best[0]], fmt_us(best[1]["us"]))))
        else:
            v = best[1]["us"] / c["us"]
            rows.append(("%s vs %s" % (cid, NAMES[best[0]]), short, v, "%s× — ctnn %s µs, %s %s µs" % (
                fmt_ratio(v), fmt_us(c["us"]), NAMES[best[0]], fmt_us(best[1]["us"]))))
    for t, c, p in epoch_rows:
        label = "MNIST epoch, %d thread%s vs libtorch" % (t, "s" if t > 1 else "")
        if p and c:
            v = p["seconds"] / c["seconds"]
            rows.append((label, "examples/mnist_train vs ctnn_bench_torch_epoch", v,
                         "%s× — ctnn %.2f s, libtorch %.2f s" % (fmt_ratio(v), c["seconds"], p["seconds"])))
        elif p or c:
            rows.append((label, "examples/mnist_train", None, "ctnn not measured" if not c else "libtorch not measured"))
    svg_chart(rows, os.path.splitext(out_md)[0] + ".svg",
              "One thread (the epochs: as labelled); median CPU time; %s; %s." % (
                  info.get("cpu", "?") + (" (" + zen + ")" if zen else ""), info.get("date", "?")))
    print("wrote %s and %s" % (out_md, os.path.splitext(out_md)[0] + ".svg"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
