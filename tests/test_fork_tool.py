"""The ./fork tool itself, run on a tiny fake upstream so each test takes a second or two."""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT

FAKE_FILES = {
    "README": "fake upstream\n",
    "Lib/module.py": "VALUE = 1\n",
    "Python/core.c": "int core(void) { return 0; }\n",
}


def make_tarball(path, files=FAKE_FILES):
    with tarfile.open(path, "w:xz") as tar:
        for name, text in files.items():
            src = path.parent / "src" / "Fake-1.0" / name
            src.parent.mkdir(parents=True, exist_ok=True)
            src.write_text(text)
        tar.add(path.parent / "src" / "Fake-1.0", arcname="Fake-1.0")
    return path


class Repo:
    """A copy of the tool in a temporary directory, pinned to a fake tarball."""

    def __init__(self, tmp_path):
        self.dir = tmp_path / "repo"
        self.dir.mkdir()
        shutil.copy(ROOT / "fork", self.dir / "fork")
        self.tarball = make_tarball(tmp_path / "Fake-1.0.tar.xz")
        data = self.tarball.read_bytes()
        self.sha256 = hashlib.sha256(data).hexdigest()
        (self.dir / "upstream.pin").write_text(
            "[upstream]\nversion = 1.0\ntag = v1.0\ntarball = Fake-1.0.tar.xz\n"
            f"size = {len(data)}\nsha256 = {self.sha256}\n"
            f"url = file://{tmp_path}/missing/Fake-1.0.tar.xz\n"
            "debian_source =\ndate = 2025-06-11T12:00:00+00:00\n")
        (self.dir / "patches").mkdir()
        (self.dir / "patches" / "series").write_text("")
        self.env = dict(os.environ, FORK_TARBALL=str(self.tarball))
        self.env.pop("FORK_CACHE", None)

    def fork(self, *args, check=True, env=None):
        proc = subprocess.run([sys.executable, self.dir / "fork", *args], cwd=self.dir,
                              env=env or self.env, capture_output=True, text=True,
                              timeout=120)
        if check:
            assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    def git(self, *args):
        return subprocess.run(["git", "-C", self.dir / "cpython", *args], check=True,
                              capture_output=True, text=True).stdout

    def commit(self, path, text, message):
        (self.dir / "cpython" / path).write_text(text)
        self.git("add", path)
        self.git("-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "-q",
                 "-m", message)

    def patches(self):
        return {p.name: p.read_bytes() for p in (self.dir / "patches").iterdir()}


def changed_patches(repo):
    """Patches as another clone would export them after amending the value to 3.

    The work tree and patches/ are left as they were."""
    before = repo.patches()
    head = repo.git("rev-parse", "HEAD").strip()
    (repo.dir / "cpython" / "Lib" / "module.py").write_text("VALUE = 3\n")
    repo.git("-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "-q", "-a",
             "--amend", "--no-edit")
    repo.fork("export")
    after = repo.patches()
    repo.git("reset", "-q", "--hard", head)
    write_patches(repo, before)
    repo.fork("export")
    assert repo.patches() == before
    return after


def write_patches(repo, patches):
    for old in (repo.dir / "patches").iterdir():
        old.unlink()
    for name, data in patches.items():
        (repo.dir / "patches" / name).write_bytes(data)


@pytest.fixture
def repo(tmp_path):
    return Repo(tmp_path)


def test_fetch_caches_and_reverifies(repo):
    repo.fork("fetch")
    cached = repo.dir / "cache" / "Fake-1.0.tar.xz"
    assert cached.read_bytes() == repo.tarball.read_bytes()
    out = repo.fork("fetch", env={**repo.env, "FORK_TARBALL": ""})
    assert "verified" in out.stdout


def test_tampered_tarball_is_refused(repo, tmp_path):
    bad = tmp_path / "bad.tar.xz"
    bad.write_bytes(repo.tarball.read_bytes()[:-10] + b"0123456789")
    out = repo.fork("fetch", "--tarball", str(bad), check=False)
    assert out.returncode != 0
    bad_sha = hashlib.sha256(bad.read_bytes()).hexdigest()
    assert str(bad) in out.stderr
    assert bad_sha in out.stderr and repo.sha256 in out.stderr
    assert not (repo.dir / "cache" / "Fake-1.0.tar.xz").exists()


def test_corrupted_cache_is_refused_and_replaced(repo):
    repo.fork("fetch")
    cached = repo.dir / "cache" / "Fake-1.0.tar.xz"
    cached.write_bytes(cached.read_bytes()[:100])
    out = repo.fork("fetch")
    assert "refused cached file" in out.stdout and repo.sha256 in out.stdout
    assert cached.read_bytes() == repo.tarball.read_bytes()


def test_all_sources_failing_lists_what_was_tried(repo):
    env = {**repo.env, "FORK_TARBALL": ""}
    out = repo.fork("fetch", check=False, env=env)
    assert out.returncode != 0
    assert "tried:" in out.stderr
    for source in ("cache:", "--tarball/FORK_TARBALL", "Debian source package",
                   "release URL"):
        assert source in out.stderr


def test_prepare_is_idempotent(repo):
    repo.fork("prepare")
    assert repo.git("tag") == "v1.0\n"
    head = repo.git("rev-parse", "HEAD")
    core = repo.dir / "cpython" / "Python" / "core.c"
    mtime = core.stat().st_mtime_ns
    out = repo.fork("prepare")
    assert "up to date" in out.stdout
    assert repo.git("rev-parse", "HEAD") == head
    assert core.stat().st_mtime_ns == mtime


def test_export_round_trip_is_deterministic(repo):
    repo.fork("prepare")
    repo.commit("Lib/module.py", "VALUE = 2\n", "Change the value\n\nWhy: test.")
    repo.commit("Python/core.c", "int core(void) { return 1; }\n", "Change core")
    assert repo.fork("status", check=False).returncode == 1
    repo.fork("export")
    first = repo.patches()
    assert (repo.dir / "patches" / "series").read_text().splitlines() == [
        "0001-Change-the-value.patch", "0002-Change-core.patch"]
    assert repo.fork("status").returncode == 0
    repo.fork("export")
    assert repo.patches() == first
    # A fresh clone of the repository prepares the same commits from patches/.
    shutil.rmtree(repo.dir / "cpython")
    repo.fork("prepare")
    repo.fork("export")
    assert repo.patches() == first
    assert repo.fork("status").returncode == 0


def test_prepare_reapplies_changed_patches_keeping_mtimes(repo):
    repo.fork("prepare")
    repo.commit("Lib/module.py", "VALUE = 2\n", "Change the value")
    repo.fork("export")
    tree = repo.dir / "cpython"
    pulled = changed_patches(repo)
    core_mtime = (tree / "Python" / "core.c").stat().st_mtime_ns
    write_patches(repo, pulled)  # as a `git pull` bringing a new version would
    out = repo.fork("prepare")
    assert "re-applied" in out.stdout
    assert (tree / "Lib" / "module.py").read_text() == "VALUE = 3\n"
    assert (tree / "Python" / "core.c").stat().st_mtime_ns == core_mtime
    assert repo.fork("status").returncode == 0


def test_prepare_refuses_to_discard_unexported_work(repo):
    repo.fork("prepare")
    repo.commit("Lib/module.py", "VALUE = 2\n", "Change the value")
    repo.fork("export")
    pulled = changed_patches(repo)
    repo.commit("Python/core.c", "int core(void) { return 5; }\n", "Unexported work")
    write_patches(repo, pulled)
    out = repo.fork("prepare", check=False)
    assert out.returncode != 0 and "not in patches/" in out.stderr
    assert "Unexported work" in repo.git("log", "--oneline")
    repo.fork("prepare", "--force")
    assert "Unexported work" not in repo.git("log", "--oneline")


def test_status_reports_uncommitted_edits(repo):
    repo.fork("prepare")
    (repo.dir / "cpython" / "README").write_text("edited\n")
    out = repo.fork("status", check=False)
    assert out.returncode == 1 and "uncommitted edit" in out.stdout


def test_series_naming_a_missing_patch_is_an_error(repo):
    (repo.dir / "patches" / "series").write_text("0001-missing.patch\n")
    out = repo.fork("prepare", check=False)
    assert out.returncode != 0 and "0001-missing.patch" in out.stderr


def test_sigint_ignored_at_start_is_restored(root):
    """Started in the background by a shell without job control, ./fork would pass an
    ignored SIGINT on to the builds and tests it runs."""
    import signal
    def ignore_sigint():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    proc = subprocess.run([sys.executable, root / "fork", "status"], cwd=root,
                          capture_output=True, text=True, timeout=300,
                          preexec_fn=ignore_sigint)
    assert "SIGINT was ignored" in proc.stdout, proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, root / "fork", "status"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert "SIGINT" not in proc.stdout
    # What matters: the commands ./fork runs get the default disposition.
    child = ("import importlib.machinery, importlib.util, subprocess, sys\n"
             "loader = importlib.machinery.SourceFileLoader('fork', sys.argv[1])\n"
             "fork = importlib.util.module_from_spec(\n"
             "    importlib.util.spec_from_loader('fork', loader))\n"
             "loader.exec_module(fork)\n"
             "fork.restore_sigint()\n"
             "subprocess.run([sys.executable, '-c', 'import signal; "
             "print(signal.getsignal(signal.SIGINT))'])\n")
    proc = subprocess.run([sys.executable, "-c", child, str(root / "fork")], cwd=root,
                          capture_output=True, text=True, timeout=300,
                          preexec_fn=ignore_sigint)
    assert "default_int_handler" in proc.stdout, proc.stdout + proc.stderr


def test_project_patches_are_exported_unchanged(root):
    """patches/ is exactly what ./fork export writes from the prepared tree."""
    proc = subprocess.run([sys.executable, root / "fork", "status"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_builds_compile_through_ccache_with_clone_independent_paths(monkeypatch):
    # The cache sits outside the clone; relative paths and no working directory in the
    # hash are what let a fresh clone at another path reuse it.
    from test_hardening import load_tool
    tool = load_tool()
    monkeypatch.delenv("FORK_NO_CCACHE", raising=False)
    env = tool.build_env()
    if not (tool.CCACHE_BIN / "gcc").exists():
        assert env == {}
        pytest.skip("ccache is not installed")
    assert env["PATH"].split(os.pathsep)[0] == str(tool.CCACHE_BIN)
    assert env["CCACHE_BASEDIR"] == str(tool.ROOT)
    assert env["CCACHE_NOHASHDIR"] == "1"
    monkeypatch.setenv("FORK_NO_CCACHE", "1")
    assert tool.build_env() == {}


FAKE_CONFIGURE = """#!/bin/sh
# Stands in for CPython's configure: records its flags and writes a Makefile that, like
# Makefile.pre.in with --enable-optimizations, profiles only while profile-run-stamp is
# missing and drops the profile on `make profile-removal`.
echo "$@" > configure-args
tab=$(printf '\\t')
cat > Makefile <<EOF
all:
${tab}@test -f profile-run-stamp || { echo run >> profile-runs; touch profile-run-stamp; }
${tab}@touch python
profile-removal:
${tab}rm -f profile-run-stamp
EOF
"""


def test_release_build_is_cached_and_profiles_again_when_sources_change(tmp_path):
    files = dict(FAKE_FILES, configure=FAKE_CONFIGURE)
    repo = Repo(tmp_path)
    src = tmp_path / "src" / "Fake-1.0"
    shutil.rmtree(tmp_path / "src")
    repo.tarball.unlink()
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    (src / "configure").chmod(0o755)
    with tarfile.open(repo.tarball, "w:xz") as tar:
        tar.add(src, arcname="Fake-1.0")
    data = repo.tarball.read_bytes()
    pin = (repo.dir / "upstream.pin").read_text()
    pin = pin.replace(repo.sha256, hashlib.sha256(data).hexdigest())
    pin = "\n".join(f"size = {len(data)}" if ln.startswith("size =") else ln
                    for ln in pin.splitlines()) + "\n"
    (repo.dir / "upstream.pin").write_text(pin)
    env = dict(repo.env, FORK_NO_CCACHE="1")

    for side, out in ((["--upstream"], "upstream-release"), ([], "release")):
        repo.fork("build", "--release", *side, env=env)
        build = repo.dir / "build" / out
        assert (build / "configure-args").read_text().split() == [
            "--enable-optimizations", "--with-lto"]
        assert (build / "profile-runs").read_text() == "run\n"
        proc = repo.fork("build", "--release", *side, env=env)
        assert "configure" not in proc.stdout.replace("configure.log", "")
        assert (build / "profile-runs").read_text() == "run\n"   # cached

    # A new commit in the work tree: the old profile is stale, so it profiles again.
    repo.commit("Lib/module.py", "VALUE = 2\n", "change")
    proc = repo.fork("build", "--release", env=env)
    assert "profiling again" in proc.stdout
    assert (repo.dir / "build" / "release" / "profile-runs").read_text() == "run\nrun\n"
    # An uncommitted edit too.
    (repo.dir / "cpython" / "Lib" / "module.py").write_text("VALUE = 3\n")
    repo.fork("build", "--release", env=env)
    assert (repo.dir / "build" / "release" / "profile-runs").read_text() == "run\nrun\nrun\n"
    repo.fork("build", "--release", env=env)
    assert (repo.dir / "build" / "release" / "profile-runs").read_text() == "run\nrun\nrun\n"
    proc = repo.fork("build", "debug", "--release", check=False, env=env)
    assert proc.returncode == 2 and "--release" in proc.stderr


SERIES_CONFIGURE = """#!/bin/sh
src=$(dirname "$0")
printf 'all:\\n\\tsed "s|@SRC@|%s|" %s/python.in > python && chmod +x python\\n' \\
    "$src" "$src" > Makefile
"""

# Records its arguments; "passes" while the tree's Lib/module.py says VALUE = 1.
SERIES_PYTHON = """#!/bin/sh
echo "$@" >> ran.log
grep -q "VALUE = 1" @SRC@/Lib/module.py
"""


def test_check_series_tests_each_tree_once(repo):
    repo.fork("prepare")
    for name, text in (("configure", SERIES_CONFIGURE), ("python.in", SERIES_PYTHON)):
        path = repo.dir / "cpython" / name
        path.write_text(text)
        path.chmod(0o755)
        repo.git("add", name)
    (repo.dir / "cpython" / "Lib" / "test").mkdir()
    repo.commit("Lib/test/test_first.py", "", "Add a build and a test")
    (repo.dir / "cpython" / "Lib" / "test" / "test_interrupt").mkdir()
    repo.commit("Lib/test/test_interrupt/__init__.py", "", "Add test_interrupt")
    repo.commit("Lib/module.py", "VALUE = 2\n", "Break the value")
    ran = repo.dir / "build" / "series" / "ran.log"

    proc = repo.fork("check-series", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 of 3 commits build and pass their tests" in proc.stdout
    # Before test_interrupt exists, the test modules the commit changes.
    assert ran.read_text().splitlines() == [
        "-m test --timeout=1200 test_first",
        "-m test --timeout=1200 test_interrupt",
        "-m test --timeout=1200 test_interrupt"]

    # The last commit amended: only its new tree is built and tested.
    (repo.dir / "cpython" / "Lib" / "module.py").write_text("VALUE = 1  # again\n")
    repo.git("-c", "user.name=t", "-c", "user.email=t@invalid", "commit", "-q", "-a",
             "--amend", "--no-edit")
    ran.unlink()
    proc = repo.fork("check-series", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("passed before (same tree)") == 2
    assert ran.read_text().splitlines() == ["-m test --timeout=1200 test_interrupt"]
