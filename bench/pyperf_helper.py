"""Helper run by the bench venv's Python (which has pyperformance and pyperf installed).

forkbench.py stays standard-library only; everything that needs pyperformance's manifest
or pyperf's statistics goes through this script, which prints JSON on stdout.

    list SELECTION [VERSION]
                           benchmarks of a group ("default") or a comma-separated list:
                           name, runscript, extra_opts; a group keeps only the
                           benchmarks that support Python VERSION (e.g. 3.13.5)
    venv ROOT PYTHON SELECTION
                           create ROOT, a venv of the interpreter PYTHON with pyperf,
                           pyperformance and the benchmarks' requirements
    merge OUT FILE...      merge pyperf JSON files into one suite
    compare BASE CHANGED   per-benchmark means, ratio CHANGED/BASE, pyperf's significance
"""

import json
import sys


def select(selection, version=None):
    from pyperformance import _manifest
    manifest = _manifest.load_manifest(None)
    byname = {b.name: b for b in manifest.benchmarks}
    if "," in selection or selection in byname:
        return [byname[name] for name in selection.split(",")]
    benches = sorted(manifest.resolve_group(selection), key=lambda b: b.name)
    if version:
        # As `pyperformance run` does for the interpreter it runs on.
        benches = [b for b in benches if version in b.python]
    return benches


def cmd_list(selection, version=None):
    benches = select(selection, version)
    print(json.dumps([{"name": b.name, "runscript": b.runscript,
                       "extra_opts": list(b.extra_opts or ())} for b in benches]))


def cmd_venv(root, python, selection):
    # Not `pyperformance venv create --venv ROOT --python PYTHON`: pyperformance 1.14
    # ignores --python when --venv is given and builds the venv of the Python running it.
    from pyperformance import _pythoninfo
    from pyperformance.venv import Requirements, VenvForBenchmarks
    info = _pythoninfo.get_info(python)
    venv = VenvForBenchmarks.ensure(root, info)
    venv.ensure_pip()
    venv.install_pyperformance()
    venv.ensure_reqs(Requirements.from_benchmarks(select(selection)))
    print(json.dumps({"root": root, "python": python}))


def cmd_merge(out, *files):
    import pyperf
    suite = None
    for f in files:
        s = pyperf.BenchmarkSuite.load(f)
        if suite is None:
            suite = s
        else:
            names = suite.get_benchmark_names()
            for bench in s.get_benchmarks():
                if bench.get_name() in names:
                    suite.get_benchmark(bench.get_name()).add_runs(bench)
                else:
                    suite.add_benchmark(bench)
    suite.dump(out, replace=True)


def cmd_compare(base, changed):
    import pyperf
    from pyperf._compare import is_significant_benchs
    b = {x.get_name(): x for x in pyperf.BenchmarkSuite.load(base).get_benchmarks()}
    c = {x.get_name(): x for x in pyperf.BenchmarkSuite.load(changed).get_benchmarks()}
    rows = []
    for name in sorted(set(b) & set(c)):
        x, y = b[name], c[name]
        significant, t = is_significant_benchs(x, y)
        rows.append({"name": name, "unit": x.get_unit(),
                     "base_mean": x.mean(), "base_stdev": x.stdev() if x.get_nvalue() > 1 else 0,
                     "changed_mean": y.mean(),
                     "changed_stdev": y.stdev() if y.get_nvalue() > 1 else 0,
                     "base_values": x.get_nvalue(), "changed_values": y.get_nvalue(),
                     "ratio": y.mean() / x.mean(), "significant": bool(significant),
                     "t_score": t})
    print(json.dumps({"pyperf": pyperf.__version__, "rows": rows}))


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"list": cmd_list, "venv": cmd_venv, "merge": cmd_merge,
     "compare": cmd_compare}[cmd](*args)
