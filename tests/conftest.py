"""Shared fixtures: the repository root and the interpreter built by ./fork test."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    config.addinivalue_line("markers", "full: the full stdlib suite (skipped by --quick)")
    config.addinivalue_line("markers", "hardening: debug -R, free-threaded, ASan+UBSan and "
                            "TSan runs (skipped by --quick)")


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def python():
    """The patched interpreter; ./fork test sets FORK_PYTHON after building it."""
    path = Path(os.environ.get("FORK_PYTHON", ROOT / "build" / "default" / "python"))
    if not path.exists():
        pytest.fail(f"no built interpreter at {path}; run the tests with ./fork test")
    return path


@pytest.fixture(scope="session")
def upstream_python():
    """Unpatched CPython built with the same flags (./fork build --upstream)."""
    path = Path(os.environ.get("FORK_UPSTREAM_PYTHON",
                               ROOT / "build" / "upstream-default" / "python"))
    if not path.exists():
        pytest.fail(f"no upstream interpreter at {path}; run the tests with ./fork test")
    return path


@pytest.fixture(scope="session")
def debug_python():
    """The patched --with-pydebug interpreter; ./fork test sets FORK_DEBUG_PYTHON."""
    path = Path(os.environ.get("FORK_DEBUG_PYTHON", ROOT / "build" / "debug" / "python"))
    if not path.exists():
        pytest.fail(f"no debug interpreter at {path}; run the tests with ./fork test")
    return path


def run_python(python, *args, timeout=600, **kw):
    return subprocess.run([str(python), *args], capture_output=True, text=True,
                          timeout=timeout, **kw)
