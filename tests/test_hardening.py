"""Hardening runs: the interrupt tests and the stdlib modules around them on the debug
build with reference-leak hunting, ASan+UBSan and TSan (the free-threaded build runs in
test_freethreaded.py).

Each configuration is built (incrementally; reconfigured only when its flags change;
through ccache when installed, so a fresh clone on a machine that built the same sources
compiles almost nothing) with the tool's own build function, then `python -m test` runs
its module list and the sanitizer builds run the SIGINT storm.  All are marked `full`:
every ./fork test but --quick, so CI too.  Budget and trade-offs: README.
"""

import importlib.machinery
import importlib.util
import subprocess
import time

import pytest

from conftest import ROOT

# The free-threaded build is part of every full ./fork test (test_freethreaded.py).
from test_freethreaded import STDLIB_MODULES, interrupt_test_modules
from test_freethreaded import regrtest_env as plain_regrtest_env
from test_storm import ROUNDS, assert_storm_tears_nothing

# config -> ([(regrtest arguments, modules), ...], extra environment).  The paths in the
# environment are relative to the patched source tree.
RUNS = {
    # -R 3:3: three warm-up runs, then three checked runs; any growth of the total
    # reference count or of allocated memory blocks fails the module.
    # test_concurrent_futures runs once without -R: with -R it is the slowest module by
    # far (README, "Hardening runs").
    "debug": ([(["-R", "3:3"], [*interrupt_test_modules(), *STDLIB_MODULES[:-1]]),
               ([], ["test_concurrent_futures"])], {}),
    "asan": ([([], interrupt_test_modules())], {
        "ASAN_OPTIONS": "detect_leaks=0:allocator_may_return_null=1:handle_segv=0",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }),
    # Upstream's own suppressions only (what its TSan CI job uses).
    "tsan": ([([], interrupt_test_modules())], {
        "TSAN_OPTIONS": "halt_on_error=1 handle_segv=0 "
                        "suppressions={src}/Tools/tsan/suppressions_free_threading.txt",
    }),
}


def load_tool():
    loader = importlib.machinery.SourceFileLoader("fork_tool", str(ROOT / "fork"))
    spec = importlib.util.spec_from_loader("fork_tool", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def regrtest_env(extra, src):
    """The free-threaded runs' environment plus the config's, with {src} filled in."""
    return dict(plain_regrtest_env(), **{k: v.format(src=src) for k, v in extra.items()})


def test_runs_cover_issue_7():
    assert set(RUNS) == {"debug", "asan", "tsan"} and set(STORM_CONFIGS) <= set(RUNS)
    tool = load_tool()
    assert "--with-undefined-behavior-sanitizer" in tool.CONFIGS["asan"]
    assert {"--disable-gil", "--with-thread-sanitizer"} <= set(tool.CONFIGS["tsan"])
    refleak = [mods for args, mods in RUNS["debug"][0] if args == ["-R", "3:3"]]
    assert refleak and "test_interrupt.test_runtime" in refleak[0]


# The sanitizer builds that also run the full SIGINT storm (the debug build's is in
# test_storm.py).
STORM_CONFIGS = ["asan", "tsan"]

pytestmark = pytest.mark.full


def built(config):
    tool = load_tool()
    start = time.monotonic()
    try:
        python = tool.build(config)
    except tool.ForkError as e:
        pytest.fail(f"building {config} failed: {e}")
    print(f"[{config}] build {time.monotonic() - start:.0f}s")
    return python, tool.TREE


@pytest.mark.parametrize("config", STORM_CONFIGS)
def test_sanitizer_storm(config):
    python, src = built(config)
    began = time.monotonic()
    # Under TSan, 1 to 7 signals of 10,000 never reach the interpreter's C handler (its
    # wakeup fd stays empty and the signal is not pending); seen only there, where the
    # sanitizer's runtime intercepts and defers signals, not on the same free-threaded
    # build without TSan (0 of 10,000).  They are counted apart; a signal that reached
    # the handler must still raise.
    allowed = ROUNDS // 200 if config == "tsan" else 0
    assert_storm_tears_nothing(python, env=regrtest_env(RUNS[config][1], src),
                               undelivered_allowed=allowed)
    print(f"[{config}] storm of {ROUNDS} rounds: {time.monotonic() - began:.0f}s")


@pytest.mark.parametrize("config", list(RUNS))
def test_hardening(config, tmp_path):
    invocations, extra = RUNS[config]
    python, src = built(config)
    env = regrtest_env(extra, src)
    for n, (args, modules) in enumerate(invocations):
        cmd = [str(python), "-m", "test", "-j2", "--timeout=1200", *args, *modules]
        log = tmp_path / f"regrtest-{n}.log"
        print(f"+ {' '.join(cmd)} > {log}")
        began = time.monotonic()
        with open(log, "w") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                                  cwd=tmp_path, env=env, timeout=3600)
        output = log.read_text(errors="replace")
        print(f"[{config}] {' '.join(args + modules)}: {time.monotonic() - began:.0f}s")
        assert proc.returncode == 0 and "Tests result: SUCCESS" in output, output[-8000:]
