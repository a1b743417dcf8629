"""The built interpreter is the patched one, and the stdlib tests of what it touches pass."""

import os

import pytest

from conftest import run_python

# Stdlib test modules covering code our patches change; each runs in its own process.
TOUCHED_MODULES = [
    "test_sys",
    "test_platform",
    "test_interrupt",
    "test_baseexception",
    "test_exceptions",
    "test_pickle",
    "test_dis",
    "test_code",
    "test_compile",
    "test_marshal",
    "test_importlib",
    # The fork's cache tag (sys.implementation.cache_tag) names the .pyc files.
    "test_py_compile",
    "test_compileall",
    "test_import",
    "test_cmd_line_script",
    "test_runpy",
    "test_zipimport",
    "test_reprlib",
    "test_inspect",
    "test_sys_settrace",
    "test_monitoring",
    "test_contextlib",
    "test_contextlib_async",
    "test_with",
    "test_generators",
    "test_coroutines",
    "test_threading",
    "test_thread",
    "test_signal",
    "test_gc",
    "test_weakref",
    "test_capi",
]


def test_identifies_as_fork(python):
    out = run_python(python, "-c", "import sys, platform; "
                     "print(sys.implementation._fork); print(sys.version); "
                     "print(platform.python_build()[0])")
    assert out.returncode == 0, out.stderr
    fork, version, build = out.stdout.splitlines()
    assert fork == "interrupt-fork"
    assert version.startswith("3.13.5 (interrupt-fork ")
    assert build.startswith("interrupt-fork ")


@pytest.mark.parametrize("module", TOUCHED_MODULES)
def test_stdlib_module(python, module):
    # Like the full suite: no PYTHON* variables of the calling environment
    # (PYTHONDONTWRITEBYTECODE fails test_compileall, upstream's too).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    out = run_python(python, "-m", "test", "--timeout=900", module, timeout=1800,
                     env=env)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
