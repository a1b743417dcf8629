"""Plumbing of ./fork bench on a tiny workload: results parse, report and chart are written.

Timings and ratios are not asserted: they are what the tool measures, not its correctness.
"""

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest


@pytest.fixture(scope="module")
def forkbench(root):
    spec = importlib.util.spec_from_file_location("forkbench", root / "bench" / "forkbench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run(root, python, upstream_python, tmp_path):
    out = tmp_path / "results"
    env = dict(os.environ, FORK_PYTHON=str(python), FORK_UPSTREAM_PYTHON=str(upstream_python))
    cmd = [sys.executable, str(root / "fork"), "bench", "--tiny", "--out", str(out),
           "--phases", "callgrind,stdlib,latency,deferred", "--micro", "no_with",
           "--layouts", "2", "--ops", "lock,sleep0"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "bench: phase latency done" in res.stdout

    results = json.loads((out / "results.json").read_text())
    assert results["command"].startswith("./fork bench --tiny")
    assert results["machine"]["patched"]["executable"]
    assert results["machine"]["upstream"]["executable"]
    assert "pyperformance" not in results

    cg = results["callgrind"]
    if cg["status"] == "ok":
        (row,) = cg["rows"]
        assert row["name"] == "no_with" and row["plain"]
        assert row["upstream_ir"] > 0 and row["patched_ir"] > 0
        assert row["ratio"] == row["patched_ir"] / row["upstream_ir"]
        assert cg["paddings"] == [0, 3]
        for who in ("upstream", "patched"):
            per_layout = [row[f"{who}_2N"][p] - row[f"{who}_1N"][p] for p in ("0", "3")]
            assert row[f"{who}_ir"] == max(per_layout)   # the upper middle of two
        lo, hi = row["layout_ratio_range"]
        assert lo <= hi
        assert row["status"] in ("PASS", "MISS")
    else:
        assert cg["status"].startswith("unavailable")

    st = results["stdlib"]
    if st["status"] == "ok":
        assert [r["name"] for r in st["rows"]] == ["sleep0", "lock"]   # the table's order
        for row in st["rows"]:
            assert row["upstream_per_op"] == row["upstream_ir"] / row["n"] > 0
            assert row["patched_per_op"] == row["patched_ir"] / row["n"] > 0
            assert row["ratio"] == row["patched_ir"] / row["upstream_ir"]
            assert row["status"] in ("PASS", "MISS") and row["target"] == 1.01
    else:
        assert st["status"].startswith("unavailable")

    lat = results["latency"]
    kinds = {(r["kind"], r["method"], r["interpreter"]) for r in lat["rows"]}
    assert ("busy", "setasyncexc", "patched") in kinds
    assert ("busy", "setasyncexc", "upstream") in kinds
    assert ("sleep", "thread.interrupt", "patched") in kinds
    for r in lat["rows"]:
        if r["status"].startswith("unavailable"):
            assert not lat["has_thread_interrupt"] and r["method"] == "thread.interrupt"
            assert r["verdict"] == "n/a"
        else:
            assert len(r["samples_ns"]) + r["timeouts"] == r["trials"]
            assert r["median_ns"] <= r["p99_ns"] <= r["max_ns"]

    deferred = results["deferred"]
    assert deferred["status"] == "ok"
    assert {(r["scope"], r["depth"]) for r in deferred["rows"]} == {
        (scope, depth) for scope in ("finally body", "defer_interrupts()") for depth in (0, 100)}
    for r in deferred["rows"]:
        assert r["undelivered"] == 0   # each pending interrupt arrived after its scope

    report = (out / "report.md").read_text()
    for heading in ("## Instruction counts", "## Standard-library operations",
                    "## Interrupt latency", "## Deferred mode", "## Machine"):
        assert heading in report
    ET.parse(out / "chart.svg")   # well-formed SVG


def test_report_and_chart_render_every_section(forkbench):
    """The pyperformance and cost-breakdown paths, which the tiny run skips."""
    res = {
        "started": "2026-01-01T00:00:00+00:00", "command": "./fork bench", "cwd": "/x",
        "wall_seconds": 60.0,
        "machine": {"cpu": "cpu", "cores": 2, "loadavg_start": (0, 0, 0),
                    "loadavg_end": (0, 0, 0),
                    "patched": {"executable": "p", "version": "3.13.5 | x",
                                "config_args": "", "opt": "-O3"},
                    "upstream": {"executable": "u", "version": "3.13.5",
                                 "config_args": "", "opt": "-O3"}},
        "pyperformance": {
            "pyperformance": "1.14.0", "pyperf": "2.11.0", "pyperf_opts": ["--fast"],
            "venv_versions": {"upstream": "3.13.5 (main)", "patched": "3.13.5 (fork)"},
            "rows": [{"name": "richards", "base_mean": 0.1, "base_stdev": 0.001,
                      "changed_mean": 0.103, "changed_stdev": 0.001, "ratio": 1.03,
                      "significant": True}],
            "geomean": 1.03, "worst_significant": 1.03, "failed": [],
            "compare_to_command": "pyperf compare_to", "compare_to": "table"},
        "callgrind": {"status": "ok", "method": "m", "rows": [
            {"name": "with_python_cm", "what": "w", "plain": False, "n": 1,
             "upstream_ir": 100, "patched_ir": 102, "ratio": 1.02, "target": 1.01,
             "status": "MISS", "cost_breakdown": [{"function": "f.c:g", "extra_ir": 2}]}]},
        "latency": {"trials": 1, "rows": [
            {"kind": "sleep", "method": "thread.interrupt", "interpreter": "patched",
             "status": "ok", "verdict": "PASS", "median_ns": 5e4, "p99_ns": 6e4,
             "max_ns": 7e4, "samples_ns": [5e4], "timeouts": 0}]},
        "deferred": {"status": "ok", "rows": [
            {"scope": "finally body", "loops": 10, "best_none_ns": 1e6, "best_pending_ns": 1e6,
             "speed_ratio": 1.0, "verdict": "PASS", "undelivered": 0},
            {"scope": "finally body", "depth": 1000, "loops": 10, "best_none_ns": 1e6,
             "best_pending_ns": 5e7, "speed_ratio": 0.02, "verdict": "MISS",
             "undelivered": 0}],
            "callgrind": [
            {"scope": "finally", "loops": 10, "none_ir": 90, "pending_ir": 100,
             "ir_speed_ratio": 0.9, "verdict": "PASS",
             "cost_breakdown": [{"function": "interrupt.c:h", "extra_ir": 10}]}]},
        "stdlib": {"status": "ok", "method": "m", "rows": [
            {"name": "executor", "what": "ThreadPoolExecutor(1)", "n": 300,
             "upstream_ir": 300000, "patched_ir": 355500, "upstream_per_op": 1000.0,
             "patched_per_op": 1185.0, "ratio": 1.185, "layout_ratio_range": [1.18, 1.19],
             "target": 1.01, "status": "MISS", "cost_breakdown_padding": 0,
             "cost_breakdown": [{"function": "thread.py:submit", "extra_ir": 55500}]},
            {"name": "pipe", "what": "os.write + os.read", "n": 10,
             "status": "error: pipe failed to run on patched"}]},
        "suite-ir": {"status": "ok", "selection": "default", "selected": 3,
                     "pyperformance": "1.14.0", "pyperf": "2.11.0", "method": "m",
                     "cpu_seconds": 7200, "example_command": "valgrind --tool=callgrind x",
                     "not_run": ["go"], "geomean": 1.0012, "worst": "nbody",
                     "worst_ratio": 1.002,
                     "rows": [{"benchmark": "nbody", "name": "nbody", "loops": 3,
                               "upstream_ir": 1000, "patched_ir": 1002, "ratio": 1.002,
                               "layout_ratio_range": [1.001, 1.003], "status": "PASS",
                               "seconds": 60, "layouts": 3,
                               "repeat": {"upstream": [1000, 1000],
                                          "patched": [1002, 1003]}}],
                     "failed": [{"benchmark": "dask", "side": "upstream",
                                 "error": "calibration failed: ModuleNotFoundError: dask"}]},
        "wallclock": {"status": "ok", "method": "m", "budget_min": 60, "rounds": 7,
                      "width": 0.02, "load_per_round": [1.0, 1.5],
                      "rows": [{"name": "richards", "loops": 4, "rounds": 7, "ratio": 1.004,
                                "low": 0.995, "high": 1.013, "resolved": True},
                               {"name": "go", "loops": 2, "rounds": 9, "ratio": 0.93,
                                "low": 0.85, "high": 1.01, "resolved": False},
                               {"name": "float", "loops": None, "rounds": 0, "ratio": None,
                                "low": None, "high": None, "resolved": False,
                                "error": "patched: exit 1"}]},
    }
    report = forkbench.report_md(res)
    assert "| richards |" in report and "MISS" in report and "`f.c:g`" in report
    assert ("Benchmark venvs run: upstream `3.13.5 (main)`; patched `3.13.5 (fork)`."
            in report)
    assert "| finally | 0 | 10 | 90 | 100 | 9 / 10 | 0.900 | PASS |" in report
    assert "| finally body | 1,000 | 10 | 1.000 | 50.000 | 0.020 | ≥ 0.9 | MISS | 0 |" in report
    assert "`interrupt.c:h`" in report
    assert ("| ThreadPoolExecutor(1) | 300 | 1,000.0 | 1,185.0 | 1.1850 | 1.1800-1.1900 "
            "| 1.01 | MISS |") in report
    assert "`thread.py:submit` | 55,500 |" in report
    assert "| os.write + os.read | 10 | | | | | | error: pipe failed to run on patched |" in report
    assert "**Partial: 2 of 3 benchmarks" in report and "not counted: go." in report
    assert "Geometric mean over 1 benchmarks: **1.0012** (target ≤ 1.002): PASS" in report
    assert "| nbody | patched | 1,002 | 1,003 | +9.98e-04 |" in report
    assert "- nbody: 1.0020, again 1.0030" in report
    assert "| 1.0020 | 1.0010-1.0030 (3 layouts) | PASS |" in report
    assert "FAILED: dask on upstream: calibration failed: ModuleNotFoundError: dask" in report
    assert "| richards | 4 | 7 | 1.004 | 0.995-1.013 | yes | no difference resolved" in report
    assert "| go | 2 | 9 | 0.930 | 0.850-1.010 | no |" in report
    assert "| float |  | 0 | | | | patched: exit 1 |" in report
    svg = forkbench.chart_svg(res)
    root = ET.fromstring(svg)
    texts = "".join(root.itertext())
    assert "pyperf richards" in texts and "Ir with_python_cm" in texts and "sleep" in texts


def test_stdlib_operations_run_on_both_interpreters(root, python, upstream_python):
    ops = json.loads(subprocess.run([str(python), root / "bench" / "stdlib_ops.py", "--list"],
                                    capture_output=True, text=True, check=True).stdout)
    names = [o["name"] for o in ops]
    assert names == ["executor", "cond_wait", "exit_stack", "pipe", "sleep0", "queue",
                     "simplequeue", "lock", "event_wait", "socket", "select",
                     "bigint_mul"]
    for py in (python, upstream_python):
        for name in names:
            res = subprocess.run([str(py), root / "bench" / "stdlib_ops.py", name, "3"],
                                 capture_output=True, text=True, timeout=60)
            assert res.returncode == 0 and not res.stdout, (name, res.stderr)
    res = subprocess.run([str(python), root / "bench" / "stdlib_ops.py", "nosuch", "3"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "unknown operation 'nosuch'" in res.stderr


def test_phase_selection(forkbench):
    import argparse
    p = argparse.ArgumentParser()
    forkbench.add_arguments(p)
    assert forkbench.selected_phases(p.parse_args([])) == forkbench.PHASES
    assert forkbench.selected_phases(p.parse_args(["--stdlib"])) == ["stdlib"]
    assert forkbench.selected_phases(p.parse_args(["--suite-ir", "--wallclock"])) == [
        "suite-ir", "wallclock"]
    assert forkbench.selected_phases(p.parse_args(["--phases", "callgrind", "--stdlib"])) == [
        "callgrind", "stdlib"]
    assert forkbench.configs_of(p.parse_args([])) == ["default"]
    assert forkbench.configs_of(p.parse_args(["--release"])) == ["default", "release"]
    assert forkbench.configs_of(p.parse_args(["--release-only"])) == ["release"]
    assert p.parse_args(["--depths", "0,10"]).depths == (0, 10)
    assert forkbench.deferred_callgrind_loops(0) == forkbench.deferred_callgrind_loops(100)
    assert forkbench.deferred_callgrind_loops(3000) * 3000 <= 4_000_000


def test_heap_layouts_per_phase(forkbench):
    import argparse
    p = argparse.ArgumentParser()
    forkbench.add_arguments(p)
    paddings = forkbench.choose_paddings
    # Standard-library operations take more layouts than microbenchmarks by default.
    assert paddings(p.parse_args([])) == (0, 3, 5, 8, 13)
    assert paddings(p.parse_args([]), forkbench.STDLIB_LAYOUTS) == forkbench.HEAP_PADDINGS
    assert len(forkbench.HEAP_PADDINGS) == 9
    assert paddings(p.parse_args(["--layouts", "2"]), forkbench.STDLIB_LAYOUTS) == (0, 3)
    assert paddings(p.parse_args(["--subset"]), forkbench.STDLIB_LAYOUTS) == (0, 3, 5)
    with pytest.raises(SystemExit):
        p.parse_args(["--layouts", "10"])


def test_confidence_interval(forkbench):
    assert forkbench.t975(1) == 12.706 and forkbench.t975(30) == 2.042
    assert abs(forkbench.t975(100) - 1.984) < 1e-3
    assert abs(forkbench.t975(31) - 2.040) < 1e-3
    assert forkbench.ratio_interval([1.1, 1.1, 1.1]) == pytest.approx((1.1, 1.1, 1.1))
    ratio, lo, hi = forkbench.ratio_interval([1.02, 0.98, 1.01, 0.99])
    logs = [math.log(x) for x in (1.02, 0.98, 1.01, 0.99)]
    m = sum(logs) / 4
    h = 3.182 * math.sqrt(sum((x - m) ** 2 for x in logs) / 3) / 2
    assert (ratio, lo, hi) == pytest.approx((math.exp(m), math.exp(m - h), math.exp(m + h)))
    assert forkbench.ratio_interval([1.05]) == (pytest.approx(1.05), None, None)
    assert not forkbench.resolved(lo, hi, ratio, 0.02)   # ±2.9%
    assert forkbench.resolved(*forkbench.ratio_interval([1.005, 0.995, 1.002, 0.998])[1:],
                              1.0, 0.02)
    assert not forkbench.resolved(0.97, 1.01, 1.0, 0.02)
    assert not forkbench.resolved(None, None, 1.0, 0.02)


def test_venv_mismatch_is_detected(forkbench, python, upstream_python, tmp_path):
    """pyperformance's own `venv create --venv` built venvs of the host Python."""
    venv = tmp_path / "v"
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True)
    assert forkbench.venv_mismatch(venv / "bin" / "python", python) is None
    assert forkbench.venv_mismatch(venv / "bin" / "python", upstream_python)
    host = tmp_path / "host"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(host)], check=True)
    assert forkbench.venv_mismatch(host / "bin" / "python", python)


FAKE_RUNSCRIPT = """
import json, subprocess, sys
args = sys.argv[1:]
assert args[:1] == ["--worker"], args
if "--calibrate-loops" in args:
    out = args[args.index("--output") + 1]
    json.dump({"version": "1.0", "metadata": {"unit": "second"}, "benchmarks": [
        {"metadata": {"name": "fake_a"}, "runs": [{"metadata": {"loops": 3}}]},
        {"metadata": {"name": "fake_b"}, "runs": [{"metadata": {"loops": 5}}]}]},
        open(out, "w"))
else:
    task = int(args[args.index("--worker-task") + 1])
    loops = int(args[args.index("--loops") + 1])
    total = sum(range(loops * (1000 + task * 500)))
    # As pyperf's bench_command does: a child's whole output is parsed, so valgrind's
    # own messages must not be in it.
    out = subprocess.run([sys.executable, "-c", "print(42)"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    assert out == "42\\n", repr(out)
"""


def test_suite_counts_resume_and_failures(forkbench, python, upstream_python, tmp_path,
                                          capsys):
    """The whole-suite driver on fake pyperf runscripts: calibrated loops used on both
    sides, counts kept by --resume, a benchmark failing on both sides listed."""
    if not shutil.which("valgrind"):
        pytest.skip("valgrind is not installed")
    good = tmp_path / "bm_fake" / "run_benchmark.py"
    good.parent.mkdir()
    good.write_text(FAKE_RUNSCRIPT)
    bad = tmp_path / "bm_broken" / "run_benchmark.py"
    bad.parent.mkdir()
    bad.write_text("raise SystemExit('no module named dask')\n")
    work = tmp_path / "out" / "suite-ir"
    (work / "counts").mkdir(parents=True)
    (work.parent / "callgrind" / "suite-ir").mkdir(parents=True)
    venvs = {"upstream": upstream_python, "patched": python}
    envs = {who: forkbench.clean_env() for who in venvs}
    fake = {"name": "fake", "runscript": str(good), "extra_opts": []}
    broken = {"name": "broken", "runscript": str(bad), "extra_opts": []}
    rec = forkbench.suite_benchmark(fake, venvs, envs, work, (0,), True, 1)
    assert [(t["name"], t["loops"]) for t in rec["tasks"]] == [("fake_a", 3), ("fake_b", 5)]
    assert set(rec["counts"]) == {f"{t}.{who}.pad0{again}" for t in ("fake_a", "fake_b")
                                  for who in venvs for again in ("", ".again")}
    assert "--loops 5" in rec["counts"]["fake_b.patched.pad0"]["command"]
    assert {c["processes"] for c in rec["counts"].values()} == {2}   # with the child
    capsys.readouterr()
    again = forkbench.suite_benchmark(fake, venvs, envs, work, (0,), True, 1)
    assert again == rec
    assert "suite-ir fake: kept (--resume)" in capsys.readouterr().out
    failed = forkbench.suite_benchmark(broken, venvs, envs, work, (0,), True, 0)
    assert set(failed["failed"]) == {"upstream", "patched"} and "tasks" not in failed
    rows, failures = forkbench.suite_rows([rec, failed], (0,))
    assert [r["name"] for r in rows] == ["fake_a", "fake_b"]
    for r in rows:
        assert r["ratio"] == r["patched_ir"] / r["upstream_ir"]
        assert set(r["repeat"]) == {"upstream", "patched"}
    assert {(f["benchmark"], f["side"]) for f in failures} == {("broken", "upstream"),
                                                                ("broken", "patched")}
    assert "no module named dask" in failures[0]["error"]


def test_suite_misses_are_counted_again(forkbench, tmp_path):
    """--check-misses: a benchmark with a task above the target is counted under more
    layouts and again; its ratio becomes the median of its layouts.  One within the
    target, or already checked, is not counted again."""
    (tmp_path / "counts").mkdir()

    def record(name, patched_ir, pads=(0,), again=False):
        counts = {f"t.{who}.pad{p}": {"ir": ir, "seconds": 1}
                  for p in pads for who, ir in (("upstream", 1000), ("patched", patched_ir))}
        if again:
            counts.update({f"t.{who}.pad0.again": {"ir": 1000, "seconds": 1}
                           for who in ("upstream", "patched")})
        rec = {"benchmark": name, "complete": True, "counts": counts,
               "tasks": [{"task": 0, "name": "t", "loops": 1}]}
        (tmp_path / "counts" / f"{name}.json").write_text(json.dumps(rec))
        return rec

    record("costly", 1050)
    record("cheap", 1005)
    checked = record("checked", 1050, pads=(0, 3, 5), again=True)
    counted = []
    forkbench.count_misses_again([{"name": n} for n in ("costly", "cheap", "checked")],
                                 tmp_path, (0, 3, 5), lambda b: counted.append(b["name"]))
    assert counted == ["costly"]
    rec = json.loads((tmp_path / "counts" / "costly.json").read_text())
    assert rec["complete"] is False and "t.patched.pad0" in rec["counts"]

    # Counted under two more layouts, where the pool is not refilled: the median.
    checked["counts"].update({f"t.patched.pad{p}": {"ir": 1001, "seconds": 1}
                              for p in (3, 5)})
    [row], _ = forkbench.suite_rows([checked], (0,))
    assert row["layouts"] == 3 and row["ratio"] == 1.001 and row["status"] == "PASS"
    assert row["layout_ratio_range"] == [1.001, 1.05] and "repeat" in row
    # --check-repeat 2: each repeat is a count of its own.
    checked["counts"].update({f"t.{who}.pad0.again2": {"ir": ir, "seconds": 1}
                              for who, ir in (("upstream", 1000), ("patched", 1049))})
    [row], _ = forkbench.suite_rows([checked], (0,))
    assert row["repeat"] == {"upstream": [1000, 1000, 1000], "patched": [1050, 1000, 1049]}


def test_heap_layout_runs_a_script_as_main(python, tmp_path):
    """pyperformance's sphinx benchmark assigns __builtins__.open: in __main__,
    __builtins__ is the module."""
    script = tmp_path / "script.py"
    script.write_text("import os, sys\n__builtins__.open = open\n"
                      "print(__name__, sys.argv[1:],\n"
                      "      sys.path[0] == os.path.dirname(sys.argv[0]))\n")
    heap_layout = os.path.join(os.path.dirname(__file__), "..", "bench", "heap_layout.py")
    res = subprocess.run([str(python), heap_layout, "3", str(script), "x"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "__main__ ['x'] True\n"


def test_suite_counts_a_failed_benchmark_again_alone(forkbench, tmp_path):
    """With --jobs 2, asyncio_tcp_ssl failed on both sides: asyncio_tcp, counted beside
    it, held the port both bind.  Failed records are counted again, one at a time."""
    (tmp_path / "counts").mkdir()
    records = {"asyncio_tcp": {"complete": True, "tasks": []},
               "asyncio_tcp_ssl": {"complete": True, "failed": {
                   "upstream": "calibration failed: [Errno 98] address already in use"}}}
    for name, rec in records.items():
        (tmp_path / "counts" / f"{name}.json").write_text(json.dumps(rec))
    counted = []
    benches = [{"name": name} for name in (*records, "not_run_yet")]
    forkbench.count_failed_again_alone(benches, tmp_path, counted.append)
    assert counted == [{"name": "asyncio_tcp_ssl"}]


def test_side_by_side_report(forkbench, tmp_path):
    for config, ratio in (("default", 1.002), ("release", 0.998)):
        (tmp_path / config).mkdir()
        res = {"machine": {"patched": {"config_args": f"'--{config}'", "opt": "-O3"}},
               "stdlib": {"rows": [{"name": "lock", "ratio": ratio, "status": "PASS"}]},
               "wallclock": {"rows": [{"name": "go", "ratio": ratio, "low": 0.99,
                                       "high": 1.01}]}}
        if config == "default":
            res["callgrind"] = {"rows": [{"name": "no_with", "ratio": 1.0,
                                          "status": "PASS"}]}
        (tmp_path / config / "results.json").write_text(json.dumps(res))
    md = forkbench.side_by_side_md(tmp_path, ["default", "release"], "./fork bench --release")
    assert "| default | `'--default'` | `-O3` |" in md
    assert "| instructions per stdlib operation | lock | 1.0020 PASS | 0.9980 PASS |" in md
    assert ("| time, interleaved and pinned | go | 1.002 [0.990-1.010] "
            "| 0.998 [0.990-1.010] |") in md
    assert "| instructions, bench/micro | no_with | 1.0000 PASS | - |" in md


FAKE_TIMED_RUNSCRIPT = """
import json, os, random, sys
args = sys.argv[1:]
out = args[args.index("--output") + 1]
task = int(args[args.index("--worker-task") + 1])
n = int(args[args.index("--values") + 1])
base = float(os.environ["FAKE_SECONDS"])
if task == 1:   # noisy: a ratio the rounds cannot pin down within the budget
    values = [base * random.uniform(0.5, 1.5) for _ in range(n)]
else:
    values = [base] * n
json.dump({"version": "1.0", "benchmarks": [
    {"metadata": {"name": f"task{task}"}, "runs": [{"values": values}]}]}, open(out, "w"))
"""


def test_wallclock_rounds_interleave_until_resolved_or_budget(forkbench, python,
                                                               upstream_python, tmp_path):
    script = tmp_path / "run_benchmark.py"
    script.write_text(FAKE_TIMED_RUNSCRIPT)
    bench = {"name": "fake", "runscript": str(script), "extra_opts": []}
    venvs = {"upstream": upstream_python, "patched": python}
    envs = {"upstream": forkbench.clean_env(FAKE_SECONDS="0.010"),
            "patched": forkbench.clean_env(FAKE_SECONDS="0.0105")}
    tasks = [{"task": i, "name": f"task{i}", "loops": 1, "benchmark": "fake",
              "bench": bench, "samples": {"upstream": [], "patched": []}} for i in (0, 1)]
    tasks.append({"benchmark": "broken", "name": "broken", "error": "calibration failed"})
    rounds, loads = forkbench.wallclock_rounds(tasks, venvs, envs, tmp_path, [], 8, 3, 0.02,
                                               3)
    steady, noisy, broken = tasks
    # 1.05 exactly every round: resolved after the minimum number of rounds.
    assert len(steady["samples"]["patched"]) == 3 and steady["resolved"]
    assert (steady["ratio"], steady["low"], steady["high"]) == pytest.approx((1.05,) * 3)
    # Noisy: still running until the budget ends, never resolved at ±2%.
    assert len(noisy["samples"]["patched"]) == rounds > 3
    assert not noisy["resolved"] and noisy["high"] / noisy["ratio"] - 1 > 0.02
    assert "samples" not in broken and len(loads) == rounds
