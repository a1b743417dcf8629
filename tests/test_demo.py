"""The demonstration scripts run by ./fork demo."""

from conftest import ROOT, run_python

SHUTDOWN = ROOT / "demo" / "02_shutdown.py"


def test_shutdown_demo_stops_every_worker(python):
    out = run_python(python, SHUTDOWN, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stderr == ""
    lines = out.stdout.splitlines()
    assert "all workers ran their cleanup and exited" in lines
    assert any(line.startswith("shutdown reason: ") for line in lines)
    for name in ("ticker", "consumer", "listener"):
        report = lines[lines.index(f"{name}:") + 1:]
        finally_line = next(line for line in report if "finally ran" in line)
        assert finally_line.endswith("(ShutdownRequested)"), finally_line
        assert any(line.startswith("  released ") for line in report)


def test_shutdown_demo_output_is_deterministic(python):
    first = run_python(python, SHUTDOWN, timeout=60)
    second = run_python(python, SHUTDOWN, timeout=60)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


def test_shutdown_demo_refuses_upstream(upstream_python):
    out = run_python(upstream_python, SHUTDOWN, timeout=60)
    assert out.returncode == 1
    assert "needs the interrupt fork" in out.stderr
