"""The free-threaded build (--disable-gil): the interrupt tests, the stdlib modules around
them, and the SIGINT storm.

Thread.interrupt() posts to another thread's state while that thread runs without a GIL,
so the free-threaded build is where races in the posting, wake-up and delivery paths show.
Marked `full`: `./fork test --quick` skips it.
"""

import os
import subprocess
import time

import pytest

from conftest import ROOT, run_python
from test_storm import assert_storm_tears_nothing

# The stdlib modules around what the patches change (issue 7); test_hardening runs them
# on the debug build too.
STDLIB_MODULES = [
    "test_threading", "test_signal", "test_exceptions", "test_contextlib", "test_with",
    "test_sys_settrace", "test_generators", "test_coroutines", "test_concurrent_futures",
]

pytestmark = pytest.mark.full


def interrupt_test_modules():
    """test_interrupt module by module: regrtest -j2 runs a package as one job, these in
    parallel."""
    package = ROOT / "cpython" / "Lib" / "test" / "test_interrupt"
    modules = [f"test_interrupt.{p.stem}" for p in sorted(package.glob("test_*.py"))]
    # An empty list would make regrtest run the whole suite.
    assert modules, f"no test modules in {package}: run the tests with ./fork test"
    return modules


def regrtest_env():
    # Like the full suite: no PYTHON* variables of the calling environment.
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def test_gil_is_disabled(freethreaded_python):
    out = run_python(freethreaded_python, "-c",
                     "import sys, sysconfig; "
                     "print(sysconfig.get_config_var('Py_GIL_DISABLED'), "
                     "sys._is_gil_enabled(), sys.implementation._fork)",
                     env=regrtest_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:2] == ["1", "False"], out.stdout


def test_interrupt_and_stdlib_modules(freethreaded_python, tmp_path):
    cmd = [str(freethreaded_python), "-m", "test", "-j2", "--timeout=1200",
           *interrupt_test_modules(), *STDLIB_MODULES]
    log = tmp_path / "regrtest.log"
    print(f"+ {' '.join(cmd)} > {log}")
    began = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
                              env=regrtest_env(), timeout=3600)
    output = log.read_text(errors="replace")
    print(f"[freethreaded] regrtest: {time.monotonic() - began:.0f}s")
    assert proc.returncode == 0 and "Tests result: SUCCESS" in output, output[-8000:]


def test_storm_tears_nothing(freethreaded_python):
    assert_storm_tears_nothing(freethreaded_python)
