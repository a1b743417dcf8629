"""Shared fixtures: the repository root and the interpreter built by ./fork test."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    # A shell's background job inherits SIGINT ignored, and so would every interpreter
    # started from here: the SIGINT tests need the default disposition.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    config.addinivalue_line("markers", "full: the long runs: full stdlib suite, debug, "
                            "free-threaded and sanitizer builds, docs (skipped by --quick)")


@pytest.fixture(scope="session")
def root():
    return ROOT


def built_interpreter(variable, build_dir, what):
    """The interpreter named by $VARIABLE (set by ./fork test), else build/BUILD_DIR."""
    path = Path(os.environ.get(variable, ROOT / "build" / build_dir / "python")).absolute()
    if not path.exists():
        pytest.fail(f"no {what} at {path}; run the tests with ./fork test")
    return path


@pytest.fixture(scope="session")
def python():
    """The patched interpreter."""
    return built_interpreter("FORK_PYTHON", "default", "built interpreter")


@pytest.fixture(scope="session")
def upstream_python():
    """Unpatched CPython built with the same flags (./fork build --upstream)."""
    return built_interpreter("FORK_UPSTREAM_PYTHON", "upstream-default",
                             "upstream interpreter")


@pytest.fixture(scope="session")
def debug_python():
    """The patched --with-pydebug interpreter."""
    return built_interpreter("FORK_DEBUG_PYTHON", "debug", "debug interpreter")


@pytest.fixture(scope="session")
def freethreaded_python():
    """The patched --disable-gil interpreter."""
    return built_interpreter("FORK_FREETHREADED_PYTHON", "freethreaded",
                             "free-threaded interpreter")


def run_python(python, *args, timeout=600, **kw):
    return subprocess.run([str(python), *args], capture_output=True, text=True,
                          timeout=timeout, **kw)
