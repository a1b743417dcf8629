"""Plumbing of ./fork bench on a tiny workload: results parse, report and chart are written.

Timings and ratios are not asserted: they are what the tool measures, not its correctness.
"""

import importlib.util
import json
import os
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
           "--phases", "callgrind,latency,deferred", "--micro", "no_with", "--layouts", "2"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
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
    assert {r["scope"] for r in deferred["rows"]} == {"finally body", "defer_interrupts()"}
    for r in deferred["rows"]:
        assert r["undelivered"] == 0   # each pending interrupt arrived after its scope

    report = (out / "report.md").read_text()
    for heading in ("## Instruction counts", "## Interrupt latency", "## Deferred mode",
                    "## Machine"):
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
             "speed_ratio": 1.0, "verdict": "PASS", "undelivered": 0}],
            "callgrind": [
            {"scope": "finally", "loops": 10, "none_ir": 90, "pending_ir": 100,
             "ir_speed_ratio": 0.9, "verdict": "PASS",
             "cost_breakdown": [{"function": "interrupt.c:h", "extra_ir": 10}]}]},
    }
    report = forkbench.report_md(res)
    assert "| richards |" in report and "MISS" in report and "`f.c:g`" in report
    assert "| finally | 10 | 90 | 100 | 0.900 | PASS |" in report
    assert "`interrupt.c:h`" in report
    svg = forkbench.chart_svg(res)
    root = ET.fromstring(svg)
    texts = "".join(root.itertext())
    assert "pyperf richards" in texts and "Ir with_python_cm" in texts and "sleep" in texts
