#!/usr/bin/python3
"""onnx_conformance: run ONNX backend test cases through tools/onnx2ctnn.py and ctnn.

A case is a directory in the ONNX backend test layout: model.onnx plus test_data_set_*/
holding input_N.pb and output_0.pb (the Debian package libonnx-testdata installs them in
/usr/share/libonnx-testdata/data/{node,pytorch-converted,pytorch-operator,simple,real}).
For each case the runner

  1. converts model.onnx into a header (onnx2ctnn.convert); graph inputs after the first are
     bound to test_data_set_0's input_N.pb (a header per data set when the sets differ);
     a refusal is reported as UNSUPPORTED with the converter's reason;
  2. compiles the headers: many cases per translation unit (each in its own namespace), about
     2 x --jobs units compiled in parallel, one driver program that dispatches by case id
     (a unit that does not compile is split to find the case at fault, which FAILs);
  3. runs every data set: input_0.pb is handed over as raw little-endian float32, the batch is
     the first axis unless the header says batch_is_first_axis = false (then batch 1);
  4. compares with output_0.pb: |got - expected| <= atol + rtol * |expected| (rtol 1e-3,
     atol 1e-5, as ONNX's backend tests; NaN equals NaN).

Output: one line per case, `PASS name`, `FAIL name: largest error E at index (i,j,..) got G
expected X` (or what failed), `UNSUPPORTED name: reason`, then `N passed, N failed, N skipped`.
Names are parent/case, e.g. node/test_relu. Exit status: 0 when nothing failed and every
--require'd case passed, 1 otherwise, 2 on usage errors.
"""

import argparse
import concurrent.futures
import fnmatch
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_INCLUDE = os.path.normpath(os.path.join(HERE, "..", "include"))
DEFAULT_DATA = "/usr/share/libonnx-testdata/data"
RTOL, ATOL = 1e-3, 1e-5

DRIVER_HPP = r"""// The conformance driver's shared part: raw float32 files in and out, one forward pass.
#pragma once

#include <cstdio>
#include <exception>
#include <memory>
#include <string_view>
#include <vector>

#include <ctnn/ctnn.hpp>

namespace conformance {

inline bool read_floats(const char* path, std::vector<float>& v) {
    std::FILE* f = std::fopen(path, "rb");
    if (!f) return false;
    std::fseek(f, 0, SEEK_END);
    const long bytes = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    v.resize(static_cast<std::size_t>(bytes) / sizeof(float));
    const bool ok = std::fread(v.data(), sizeof(float), v.size(), f) == v.size();
    std::fclose(f);
    return ok;
}

inline bool write_floats(const char* path, const std::vector<float>& v) {
    std::FILE* f = std::fopen(path, "wb");
    if (!f) return false;
    const bool ok = std::fwrite(v.data(), sizeof(float), v.size(), f) == v.size();
    return std::fclose(f) == 0 && ok;
}

template <class Net, class Load>
int run(Load load, const char* in_path, const char* out_path) {
    std::vector<float> in;
    if (!read_floats(in_path, in)) {
        std::fprintf(stderr, "cannot read %s\n", in_path);
        return 3;
    }
    if (in.empty() || in.size() % Net::input_size != 0) {
        std::fprintf(stderr, "the input holds %zu values, not a whole number of samples of %zu\n", in.size(),
                     static_cast<std::size_t>(Net::input_size));
        return 3;
    }
    const std::size_t batch = in.size() / Net::input_size;
    auto params = std::make_unique<typename Net::parameters>();
    load(*params);
    std::vector<float> out(batch * Net::output_size);
    ctnn::workspace<Net> ws(batch);
    Net::forward(*params, in, out, ws);
    if (!write_floats(out_path, out)) {
        std::fprintf(stderr, "cannot write %s\n", out_path);
        return 3;
    }
    return 0;
}

} // namespace conformance
"""


def _import_converter():
    sys.path.insert(0, HERE)
    import onnx2ctnn  # noqa: E402
    return onnx2ctnn


class Case:
    def __init__(self, path, name):
        self.path, self.name = path, name
        self.status, self.reason = None, ""
        self.units = []  # (namespace, header text, [data set dirs])
        self.required = False


def case_name(path):
    path = os.path.normpath(path)
    return "%s/%s" % (os.path.basename(os.path.dirname(path)), os.path.basename(path))


def discover(spec):
    """Case directories for a path or glob: a case dir, or a dir whose subdirs are cases."""
    out = []
    matches = sorted(glob.glob(spec)) if any(c in spec for c in "*?[") else [spec]
    for m in matches:
        if os.path.isfile(os.path.join(m, "model.onnx")):
            out.append(m)
        elif os.path.isdir(m):
            for d in sorted(os.listdir(m)):
                if os.path.isfile(os.path.join(m, d, "model.onnx")):
                    out.append(os.path.join(m, d))
    return out


def read_require(values, data_root):
    """(patterns, explicit names) from --require values: files of names/patterns, or patterns."""
    entries = []
    for v in values:
        if os.path.isfile(v):
            with open(v) as fh:
                for line in fh:
                    line = line.split("#", 1)[0].strip()
                    if line:
                        entries.append(line)
        else:
            entries += [x for x in re.split(r"[,\s]+", v) if x]
    return entries


def tensor_from_pb(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as fh:
        t.ParseFromString(fh.read())
    return numpy_helper.to_array(t)


def prepare(case, index, conv, avail):
    """Converts the case; fills case.units or sets UNSUPPORTED/FAIL."""
    import numpy as np
    import onnx
    try:
        model = onnx.load(os.path.join(case.path, "model.onnx"))
    except Exception as e:  # noqa: BLE001
        case.status, case.reason = "UNSUPPORTED", "cannot load model.onnx: %s" % e
        return
    sets = sorted(glob.glob(os.path.join(case.path, "test_data_set_*")))
    if not sets:
        case.status, case.reason = "UNSUPPORTED", "no test_data_set_*"
        return
    g = model.graph
    inits = {t.name for t in g.initializer}
    extra = [(k, i.name) for k, i in enumerate(g.input) if k > 0 and i.name not in inits]
    groups = []  # (bindings, [sets])
    for s in sets:
        b = {}
        for k, name in extra:
            f = os.path.join(s, "input_%d.pb" % k)
            if not os.path.exists(f):
                case.status, case.reason = "UNSUPPORTED", "%s has no input_%d.pb for graph input '%s'" % (
                    os.path.basename(s), k, name)
                return
            try:
                b[name] = tensor_from_pb(f)
            except Exception as e:  # noqa: BLE001 -- sequences, optionals, maps
                case.status, case.reason = "UNSUPPORTED", "input_%d.pb ('%s') is not a tensor ctnn can bind (%s)" % (
                    k, name, type(e).__name__)
                return
        for gb, gs in groups:
            if all(gb[n].dtype == b[n].dtype and gb[n].shape == b[n].shape and np.array_equal(gb[n], b[n],
                   equal_nan=gb[n].dtype.kind == "f") for n in b):
                gs.append(s)
                break
        else:
            groups.append((b, [s]))
    for k, (b, gs) in enumerate(groups):
        ns = "c%d" % index if len(groups) == 1 else "c%d_d%d" % (index, k)
        try:
            text = conv.convert(model, ns, bindings=b, avail=avail)
        except conv.ConversionError as e:
            case.status, case.reason = "UNSUPPORTED", str(e).replace("\n", " ")
            case.units = []
            return
        except Exception as e:  # noqa: BLE001 -- a converter bug: never hide it
            case.status, case.reason = "FAIL", "the converter crashed: %s: %s" % (type(e).__name__, e)
            case.units = []
            return
        case.units.append((ns, text, gs))
    for s in sets:
        outs = glob.glob(os.path.join(s, "output_*.pb"))
        if len(outs) != 1:
            case.status, case.reason = "UNSUPPORTED", "%s has %d expected outputs; ctnn networks have one" % (
                os.path.basename(s), len(outs))
            case.units = []
            return


def compile_unit(cxx, flags, src, obj):
    cmd = [cxx] + flags + ["-c", src, "-o", obj]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stderr


def first_error(stderr):
    lines = stderr.splitlines()
    for i, l in enumerate(lines):
        if "error:" in l:
            ctx = " ".join(x.strip() for x in lines[max(0, i - 1):i + 1])
            return ctx[:600]
    return (stderr.strip().splitlines() or ["(no message)"])[-1][:600]


def write_unit(build, k, units):
    src = os.path.join(build, "tu%d.cpp" % k)
    lines = ['#include "driver.hpp"']
    for ns, _, _ in units:
        lines.append('#include "%s.hpp"' % ns)
    lines += ["", "int dispatch_%d(std::string_view id, const char* in, const char* out) {" % k]
    for ns, _, _ in units:
        lines.append('    if (id == "%s") return conformance::run<%s::model>([](%s::model::parameters& p) { %s::load(p); }, '
                     'in, out);' % (ns, ns, ns, ns))
    lines += ["    return -1;", "}", ""]
    with open(src, "w") as fh:
        fh.write("\n".join(lines))
    return src


def write_main(build, count):
    src = os.path.join(build, "main.cpp")
    lines = ["#include <cstdio>", "#include <exception>", "#include <string_view>", ""]
    for k in range(count):
        lines.append("int dispatch_%d(std::string_view, const char*, const char*);" % k)
    lines += ["", "int main(int argc, char** argv) {",
              "    if (argc != 4) { std::fprintf(stderr, \"usage: driver CASE IN.f32 OUT.f32\\n\"); return 2; }",
              "    try {"]
    for k in range(count):
        lines.append("        if (int r = dispatch_%d(argv[1], argv[2], argv[3]); r != -1) return r;" % k)
    lines += ["    } catch (const std::exception& e) {", "        std::fprintf(stderr, \"exception: %s\\n\", e.what());",
              "        return 4;", "    }", "    std::fprintf(stderr, \"unknown case %s\\n\", argv[1]);", "    return 2;",
              "}", ""]
    with open(src, "w") as fh:
        fh.write("\n".join(lines))
    return src


def compare(got, expected):
    """None when close, else the FAIL text."""
    import numpy as np
    if got.size != expected.size:
        return "the output has %d values, expected %d (shape %s)" % (got.size, expected.size, list(expected.shape))
    exp = expected.astype(np.float64).reshape(-1)
    g = got.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(g - exp)
        ok = (g == exp) | (diff <= ATOL + RTOL * np.abs(exp)) | (np.isnan(g) & np.isnan(exp))
    if ok.all():
        return None
    bad = np.where(~ok)[0]
    d = np.where(np.isnan(diff[bad]), np.inf, diff[bad])
    i = int(bad[int(np.argmax(d))])
    idx = np.unravel_index(i, expected.shape) if expected.ndim else ()
    return "largest error %.6g at index (%s) got %.9g expected %.9g" % (
        d.max(), ",".join(str(int(x)) for x in idx), g[i], exp[i])


def main(argv=None):
    ap = argparse.ArgumentParser(prog="onnx_conformance.py", formatter_class=argparse.RawDescriptionHelpFormatter,
                                 description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n", 2)[2] + """
Examples:
  tools/onnx_conformance.py /usr/share/libonnx-testdata/data/node/test_conv_*
  tools/onnx_conformance.py --require tests/onnx/conformance/required.txt
  tools/onnx_conformance.py /usr/share/libonnx-testdata/data/{node,pytorch-converted,pytorch-operator,simple} \\
      --require tests/onnx/conformance/required.txt -j 2
""")
    ap.add_argument("cases", nargs="*",
                    help="case directories, directories of cases, or glob patterns (quote them); default: the "
                         "cases that --require names, under --data")
    ap.add_argument("--require", action="append", default=[], metavar="FILE-or-PATTERNS",
                    help="cases that must PASS: a file with one name or pattern per line (# comments), or "
                         "names/patterns such as 'node/test_conv_*'; repeatable. A required case that is "
                         "UNSUPPORTED, FAILs or is missing makes the exit status non-zero")
    ap.add_argument("--data", default=DEFAULT_DATA,
                    help="root of the test data, for --require names (default: %(default)s)")
    ap.add_argument("--cxx", default=os.environ.get("CXX", "c++"), help="C++ compiler (default: $CXX or c++)")
    ap.add_argument("--cxxflags", default="", help="extra compiler flags, one string (e.g. '-march=native')")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="parallel compilations and runs (default: the number of CPUs); the cases are split "
                         "into about 2 x jobs translation units")
    ap.add_argument("--keep", action="store_true", help="keep the build directory (its path is printed)")
    ap.add_argument("--build-dir", help="build here instead of a temporary directory (kept)")
    ap.add_argument("--skip-if-missing", action="store_true",
                    help="print 'SKIP: ...' and exit 0 when Python's onnx or the test data are missing")
    ap.add_argument("-v", "--verbose", action="store_true", help="say what is being done, and time it")
    args = ap.parse_args(argv)
    t0 = time.time()

    def log(msg):
        if args.verbose:
            print("[%6.1fs] %s" % (time.time() - t0, msg), file=sys.stderr, flush=True)

    try:
        import numpy as np
        import onnx  # noqa: F401
    except ImportError as e:
        if args.skip_if_missing:
            print("SKIP: Python's onnx/numpy is missing (%s); install python3-onnx" % e)
            return 0
        print("onnx_conformance: Python's onnx/numpy is missing (%s)" % e, file=sys.stderr)
        return 2
    conv = _import_converter()

    required_entries = read_require(args.require, args.data)
    specs = list(args.cases)
    if not specs:
        if not required_entries:
            ap.error("give case directories or --require")
        specs = [os.path.join(args.data, e) for e in required_entries]
    paths = []
    for s in specs:
        paths += discover(s)
    if not paths:
        if args.skip_if_missing and not os.path.isdir(args.data):
            print("SKIP: no ONNX test data at %s (install libonnx-testdata)" % args.data)
            return 0
        print("onnx_conformance: no cases found in %s" % " ".join(specs), file=sys.stderr)
        return 2
    seen, cases = set(), []
    for p in paths:
        n = case_name(p)
        if n not in seen:
            seen.add(n)
            cases.append(Case(p, n))
    missing = []
    for e in required_entries:
        hits = [c for c in cases if fnmatch.fnmatchcase(c.name, e)]
        if not hits:  # a required case outside the directories given: run it too
            for p in discover(os.path.join(args.data, e)):
                if case_name(p) not in seen:
                    seen.add(case_name(p))
                    cases.append(Case(p, case_name(p)))
                    hits.append(cases[-1])
        if not hits:
            missing.append(e)
        for c in hits:
            c.required = True

    # 1. convert
    avail = conv.available_layers()
    for i, c in enumerate(cases):
        prepare(c, i, conv, avail)
    todo = [c for c in cases if c.status is None]
    log("converted %d cases: %d to build, %d unsupported" % (len(cases), len(todo),
                                                            sum(c.status == "UNSUPPORTED" for c in cases)))

    build = args.build_dir or tempfile.mkdtemp(prefix="onnx-conformance-")
    os.makedirs(build, exist_ok=True)
    jobs = max(1, args.jobs)
    flags = ["-std=c++20", "-O2", "-I", REPO_INCLUDE, "-I", build] + args.cxxflags.split()
    exe = os.path.join(build, "driver")
    try:
        if todo:
            with open(os.path.join(build, "driver.hpp"), "w") as fh:
                fh.write(DRIVER_HPP)
            units = [(c, u) for c in todo for u in c.units]
            for c, (ns, text, _) in units:
                with open(os.path.join(build, ns + ".hpp"), "w") as fh:
                    fh.write(text)
            # 2. compile: balance by the size of the header (layers and weights)
            nbins = min(len(units), 2 * jobs)
            bins = [[] for _ in range(nbins)]
            load = [0] * nbins
            for c, u in sorted(units, key=lambda cu: -(2000 + len(cu[1][1]))):
                k = load.index(min(load))
                bins[k].append((c, u))
                load[k] += 2000 + len(u[1])
            log("compiling %d headers in %d units with %s, %d at a time" % (len(units), nbins, args.cxx, jobs))
            with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                srcs = [write_unit(build, k, [u for _, u in b]) for k, b in enumerate(bins)]
                futs = [pool.submit(compile_unit, args.cxx, flags, s, s[:-4] + ".o") for s in srcs]
                results = [f.result() for f in futs]
                bad = [k for k, (rc, _) in enumerate(results) if rc != 0]
                if bad:
                    log("units %s do not compile; compiling their cases one by one" % bad)
                    singles = [(c, u) for k in bad for (c, u) in bins[k]]
                    sfuts = []
                    for j, (c, u) in enumerate(singles):
                        s = write_unit(build, 1000 + j, [u])
                        sfuts.append(pool.submit(compile_unit, args.cxx, flags, s, s[:-4] + ".o"))
                    for (c, u), f in zip(singles, sfuts):
                        rc, err = f.result()
                        if rc != 0 and c.status is None:
                            c.status, c.reason = "FAIL", "does not compile: " + first_error(err)
                    for k in bad:
                        keep = [(c, u) for (c, u) in bins[k] if c.status is None]
                        bins[k] = keep
                        s = write_unit(build, k, [u for _, u in keep])
                        rc, err = compile_unit(args.cxx, flags, s, s[:-4] + ".o")
                        if rc != 0:
                            for c, _ in keep:
                                c.status, c.reason = "FAIL", "does not compile: " + first_error(err)
                            bins[k] = []
                            write_unit(build, k, [])
                            compile_unit(args.cxx, flags, s, s[:-4] + ".o")
            m = write_main(build, nbins)
            rc, err = compile_unit(args.cxx, flags, m, m[:-4] + ".o")
            objs = [m[:-4] + ".o"] + [os.path.join(build, "tu%d.o" % k) for k in range(nbins)]
            if rc == 0:
                p = subprocess.run([args.cxx] + objs + ["-o", exe] + args.cxxflags.split(), capture_output=True,
                                   text=True)
                rc, err = p.returncode, p.stderr
            if rc != 0:
                for c in todo:
                    if c.status is None:
                        c.status, c.reason = "FAIL", "the driver does not link: " + first_error(err)
            log("built the driver")

            # 3. run and 4. compare
            runs = []
            for c in todo:
                if c.status is not None:
                    continue
                for ns, _, sets in c.units:
                    for s in sets:
                        runs.append((c, ns, s))

            def run_one(item):
                c, ns, s = item
                x = tensor_from_pb(os.path.join(s, "input_0.pb"))
                if x.dtype != np.float32:
                    return item, "input_0.pb has type %s, not float32" % x.dtype
                tag = "%s_%s" % (ns, os.path.basename(s))
                fin, fout = os.path.join(build, tag + ".in"), os.path.join(build, tag + ".out")
                np.ascontiguousarray(x, dtype="<f4").tofile(fin)
                p = subprocess.run([exe, ns, fin, fout], capture_output=True, text=True, timeout=600)
                if p.returncode != 0:
                    return item, "the driver failed on %s (exit %d): %s" % (
                        os.path.basename(s), p.returncode, p.stderr.strip()[-300:])
                got = np.fromfile(fout, dtype="<f4")
                exp = tensor_from_pb(os.path.join(s, "output_0.pb"))
                msg = compare(got, exp)
                if not args.keep and not args.build_dir:
                    for f in (fin, fout):
                        os.remove(f)
                return item, (None if msg is None else (msg if len(c.units) == 1 and len(sets_of(c)) == 1
                                                        else "%s: %s" % (os.path.basename(s), msg)))

            def sets_of(c):
                return [s for _, _, ss in c.units for s in ss]

            with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                for (c, ns, s), msg in pool.map(run_one, runs):
                    if msg is not None and c.status is None:
                        c.status, c.reason = "FAIL", msg
            for c in todo:
                if c.status is None:
                    c.status = "PASS"
            log("ran %d data sets" % len(runs))
    finally:
        if args.keep or args.build_dir:
            print("build directory: %s" % build, file=sys.stderr)
        else:
            shutil.rmtree(build, ignore_errors=True)

    passed = failed = skipped = 0
    req_bad = []
    for c in cases:
        flag = " [required]" if c.required and c.status != "PASS" else ""
        if c.status == "PASS":
            passed += 1
            print("PASS %s" % c.name)
        elif c.status == "FAIL":
            failed += 1
            print("FAIL %s: %s%s" % (c.name, c.reason, flag))
        else:
            skipped += 1
            print("UNSUPPORTED %s: %s%s" % (c.name, c.reason, flag))
        if flag:
            req_bad.append(c.name)
    for e in missing:
        print("MISSING %s: no such case [required]" % e)
    if req_bad or missing:
        print("required but not passing: %s" % ", ".join(req_bad + missing))
    log("done")
    if args.verbose:
        print("wall time %.1f s" % (time.time() - t0))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or req_bad or missing else 0


if __name__ == "__main__":
    sys.exit(main())
