"""The full stdlib suite on the patched interpreter: nothing that passes upstream fails.

Tests that fail on unpatched 3.13.5 on this kind of machine are listed, each with its
reason, in stdlib-baseline.txt; that list was measured by running this same command on
the build of `./fork build --upstream`.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

BASELINE = Path(__file__).with_name("stdlib-baseline.txt")
REGRTEST_ARGS = ["-m", "test", "-j0", "--rerun", "--timeout=1200"]
_HEADER = re.compile(r"^\d+ tests? (failed|omitted):$")


def read_baseline():
    tests = {}
    for line in BASELINE.read_text().splitlines():
        name, _, reason = line.partition("#")
        if name.strip():
            tests[name.strip()] = reason.strip()
    return tests


def failed_tests(output):
    """Names listed under regrtest's final 'N tests failed:' / 'omitted:' headings."""
    failed, collecting = set(), False
    for line in output.splitlines():
        if _HEADER.match(line):
            collecting = True
        elif collecting and line.startswith("    "):
            failed.update(line.split())
        else:
            collecting = False
    return failed


def test_failed_tests_parser():
    sample = ("\n2 re-run tests:\n    test_a test_b\n\n1 test failed:\n    test_b\n\n"
              "3 tests failed:\n    test_c test_d\n    test_e\n\n400 tests OK.\n")
    assert failed_tests(sample) == {"test_b", "test_c", "test_d", "test_e"}


def test_baseline_lists_reasons():
    for name, reason in read_baseline().items():
        assert name.startswith("test_") and reason, f"{name}: every entry needs a reason"


@pytest.mark.full
def test_full_stdlib_suite(python, tmp_path):
    log = tmp_path / "regrtest.log"
    print(f"+ {python} {' '.join(REGRTEST_ARGS)} > {log}")
    # PYTHON* variables of the calling environment (PYTHONUNBUFFERED, for one) change what
    # some stdlib tests observe; the baseline was measured without them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    with open(log, "w") as out:
        proc = subprocess.run([str(python), *REGRTEST_ARGS], stdout=out, cwd=tmp_path,
                              stderr=subprocess.STDOUT, text=True, timeout=3600, env=env)
    output = log.read_text()
    assert "Tests result:" in output, output[-3000:]
    failed = failed_tests(output)
    baseline = read_baseline()
    new_failures = sorted(failed - set(baseline))
    print(f"regrtest exit {proc.returncode}; failed: {sorted(failed)}; "
          f"baseline now passing: {sorted(set(baseline) - failed)}")
    assert not new_failures, (
        f"fail on the patched build but not upstream: {new_failures}\n" + output[-6000:])
