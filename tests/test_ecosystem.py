"""Drop-in for the 3.13 ecosystem: tools used with stock CPython 3.13 work the same way
on the fork (issue 16).

- py-spy (from PyPI, in the test venv) samples the same busy loop on both interpreters
  and finds the same hottest line: it reads code objects at upstream's offsets.
- cloudpickle and dill (from PyPI, pure Python, installed into build/compat-packages)
  rebuild functions with the 18-argument types.CodeType(): the rebuilt function works,
  and in development mode the loss of its protected ranges is reported.
- Both interpreters import one source tree in turn without rewriting each other's
  bytecode caches (the fork's own cache tag).
- sys.version of a build from a clean tree does not say "dirty".

A package that cannot be installed (no network, no wheel for the platform) skips its
test with the reason.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_python

COMPAT_PACKAGES = ROOT / "build" / "compat-packages"


def pip_install(*args):
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           *args]
    print("+", " ".join(map(str, cmd)))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def py_spy():
    """py-spy's binary, installed from PyPI into the venv running the tests."""
    exe = Path(sys.executable).parent / "py-spy"
    if not exe.exists():
        res = pip_install("py-spy")
        if res.returncode != 0 or not exe.exists():
            pytest.skip(f"py-spy could not be installed from PyPI into {sys.prefix}: "
                        f"{res.stderr.strip()[-500:]}")
    return exe


@pytest.fixture(scope="module")
def compat_packages():
    """A directory holding cloudpickle and dill, for PYTHONPATH."""
    wanted = ["cloudpickle", "dill"]
    if not all((COMPAT_PACKAGES / name).is_dir() for name in wanted):
        res = pip_install("--upgrade", "--target", COMPAT_PACKAGES, *wanted)
        if res.returncode != 0:
            pytest.skip(f"cloudpickle and dill could not be installed from PyPI: "
                        f"{res.stderr.strip()[-500:]}")
    return COMPAT_PACKAGES


BUSY = """\
import time


def busy(seconds):
    x = 0
    end = time.monotonic() + seconds
    while True:
        x += 1
        if not x % 100000 and time.monotonic() > end:
            return x


busy(3)
"""


def hottest_line(py_spy, python, tmp_path):
    script = tmp_path / "busy.py"
    script.write_text(BUSY)
    out = tmp_path / f"{python.parent.name}.txt"
    res = subprocess.run([py_spy, "record", "--format", "raw", "--rate", "200",
                          "--output", out, "--", python, script],
                         capture_output=True, text=True, timeout=300)
    if res.returncode != 0 and re.search(r"ptrace|[Pp]ermission", res.stderr):
        pytest.skip(f"py-spy may not trace processes here: {res.stderr.strip()[-300:]}")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = {}
    for line in out.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        m = re.search(r"busy \(busy\.py:(\d+)\)$", stack)
        if m:
            lines[int(m[1])] = lines.get(int(m[1]), 0) + int(count)
    assert sum(lines.values()) > 100, lines
    return max(lines, key=lines.get), lines


def test_py_spy_finds_the_same_hottest_line(py_spy, python, upstream_python, tmp_path):
    """Same hottest line, and each line of the loop gets about the same share of the
    samples: with co_code_adaptive 8 bytes off, py-spy put 5% of them on line 8 (the
    loop's increment) instead of upstream's 38%, though line 9 stayed the hottest."""
    upstream_line, upstream_counts = hottest_line(py_spy, upstream_python, tmp_path)
    line, counts = hottest_line(py_spy, python, tmp_path)
    print(f"samples by line: upstream {upstream_counts}, fork {counts}")
    # A hot line of the loop's body, not its header.
    assert upstream_line in (8, 9), upstream_counts
    assert line == upstream_line, (counts, upstream_counts)
    shares = [{n: c / sum(d.values()) for n, c in d.items()}
              for d in (upstream_counts, counts)]
    for n in set(upstream_counts) | set(counts):
        assert abs(shares[0].get(n, 0) - shares[1].get(n, 0)) < 0.15, (counts,
                                                                      upstream_counts)


# A function pickled by value: rebuilt with the 18-argument types.CodeType().
ROUND_TRIP = """\
import sys, warnings
import {module} as pickler


class CM:
    def __init__(self, events):
        self.events = events
    def __enter__(self):
        self.events.append("enter")
    def __exit__(self, *exc_info):
        self.events.append("exit")

def work(cm, events):
    with cm:
        events.append("body")
    try:
        return len(events)
    finally:
        events.append("finally")

def plain(x):
    try:
        return x + 1
    except ValueError:
        return None

assert sys.flags.dev_mode
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    copy = pickler.loads(pickler.dumps(work))
    other = pickler.loads(pickler.dumps(plain))
assert copy is not work and copy.__code__ is not work.__code__
assert copy.__code__.co_code == work.__code__.co_code
print("table", work.__code__.co_protectedtable != b"",
      copy.__code__.co_protectedtable != b"")
events = []
print("result", copy(CM(events), events), events)
print("other", other(1))
for w in caught:
    print("warning", w.category.__name__, w.message)
"""


@pytest.mark.parametrize("module", ["cloudpickle", "dill"])
def test_pickled_function_loses_protection_loudly(module, python, compat_packages):
    """The rebuilt function works; its code object has no protected table (the
    18-argument constructor cannot recompute it exactly), and in development mode a
    RuntimeWarning names it.  A function without with or finally rebuilds silently."""
    env = dict(os.environ, PYTHONPATH=str(compat_packages))
    res = run_python(python, "-X", "dev", "-c", ROUND_TRIP.format(module=module),
                     env=env)
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert out[0] == "table True False", out
    assert out[1] == "result 3 ['enter', 'body', 'exit', 'finally']", out
    assert out[2] == "other 2", out
    warnings = out[3:]
    assert len(warnings) == 1, out
    assert re.match(r"warning RuntimeWarning types\.CodeType\(\) got no protectedtable: "
                    r"<code object work at 0x\w+, file \"[^\"]*\", line 13> has no "
                    r"protected table", warnings[0]), warnings


def test_pickled_function_runs_on_both(python, upstream_python, compat_packages):
    """cloudpickle data written by one interpreter loads in the other (the pickled
    arguments of types.CodeType() are the same 18)."""
    env = dict(os.environ, PYTHONPATH=str(compat_packages))
    dump = ("import cloudpickle, sys\n"
            "def f(x):\n"
            "    try:\n"
            "        return x * 2\n"
            "    finally:\n"
            "        pass\n"
            "sys.stdout.buffer.write(cloudpickle.dumps(f))\n")
    load = "import pickle, sys; print(pickle.loads(sys.stdin.buffer.read())(21))"
    for writer, reader in [(python, upstream_python), (upstream_python, python)]:
        data = subprocess.run([writer, "-c", dump], capture_output=True, env=env,
                              timeout=120, check=True).stdout
        res = subprocess.run([reader, "-c", load], input=data, capture_output=True,
                             env=env, timeout=120)
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == b"42"


def pycache_state(tree):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted((tree / "pkg" / "__pycache__").iterdir())}


def test_shared_tree_keeps_both_caches(python, upstream_python, tmp_path):
    """The fork and stock 3.13 import one tree in turn: each writes its own .pyc files
    once and then reuses them; neither rewrites the other's."""
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("")
    (tree / "pkg" / "mod.py").write_text("def f():\n    with open(__file__):\n"
                                         "        return 1\n")
    tags = {}
    for interpreter in (python, upstream_python):
        res = run_python(interpreter, "-c", "import sys; print(sys.implementation."
                         "cache_tag)")
        tags[interpreter] = res.stdout.strip()
    assert tags[upstream_python] == "cpython-313"
    assert tags[python] != tags[upstream_python]
    importer = "import pkg.mod; assert pkg.mod.f() == 1; print(pkg.mod.__cached__)"
    # Without PYTHONDONTWRITEBYTECODE and the like from the caller's environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    states = []
    for interpreter in (python, upstream_python, python, upstream_python):
        res = run_python(interpreter, "-c", importer, cwd=tree, env=env)
        assert res.returncode == 0, res.stderr
        assert Path(res.stdout.strip()).name == f"mod.{tags[interpreter]}.pyc"
        states.append(pycache_state(tree))
    names = {f"{m}.{tag}.pyc" for m in ("__init__", "mod") for tag in tags.values()}
    assert set(states[-1]) == names, states[-1]
    fork_files = {n for n in names if tags[python] in n}
    # Each file is written by the first import of its interpreter and never again.
    for name in names:
        first = 0 if name in fork_files else 1
        assert all(state[name] == states[first][name] for state in states[first:]), name


def makefile_variable_command(build, variable):
    """The shell command the build's Makefile runs for $(VARIABLE)."""
    res = subprocess.run(["make", "-s", "-C", build, "--no-print-directory", "--eval",
                          f"fork-print-var:\n\t@echo '$({variable})'", "fork-print-var"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_build_info_is_not_dirty_for_a_clean_tree(python):
    """Modules/getbuildinfo.c's git tag is computed from the source tree, not from the
    out-of-tree build directory (where every file looked deleted: "-dirty")."""
    build = python.parent
    command = makefile_variable_command(build, "GITTAG")
    assert command, "configure found no git repository"
    res = subprocess.run(command, shell=True, cwd=build, capture_output=True, text=True,
                         timeout=120)
    tree = ROOT / "cpython"
    expected = subprocess.run(["git", "-C", tree, "describe", "--all", "--always",
                               "--dirty"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout == expected.stdout, (command, res.stderr)
    clean = not subprocess.run(["git", "-C", tree, "status", "--porcelain"],
                               capture_output=True, text=True, timeout=120).stdout.strip()
    if not clean:
        pytest.skip("cpython/ has uncommitted edits: its build is dirty indeed")
    version = run_python(python, "-c", "import sys; print(sys.version)").stdout
    assert "dirty" not in version, version
