"""SIGINT storm: do Ctrl-C interrupts tear cleanup code?

Each round arms one real, process-directed SIGINT at a random sub-millisecond delay (a
POSIX timer created with ctypes, so the signal's timing does not depend on the GIL or on
any Python thread), then loops over cleanup-heavy code until the KeyboardInterrupt
arrives. After each KeyboardInterrupt the invariants of that code are checked:

- a Python context manager whose __enter__ acquires a lock and whose __exit__ releases it:
  the lock is free and every __enter__ that returned had exactly one __exit__;
- ``with lock:`` on a C lock and ``with open(...)``: the lock is free, no file is left open;
- nested ``with`` statements: enter and exit counts match at every level;
- a ``finally`` body that updates two counters around a call: both were updated.

A round whose invariants fail is *torn*; a round whose signal never raised
KeyboardInterrupt within the deadline is *lost*. The same script runs on upstream
CPython and on the patched interpreter; it prints one JSON line of counts.

Usage: python sigint_storm.py [--rounds N] [--max-delay SECONDS] [--seed S]
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time


class PosixTimer:
    """A CLOCK_MONOTONIC timer that sends SIGINT to this process when it expires."""

    class _Sigevent(ctypes.Structure):
        _fields_ = [("sigev_value", ctypes.c_void_p), ("sigev_signo", ctypes.c_int),
                    ("sigev_notify", ctypes.c_int), ("_pad", ctypes.c_byte * 48)]

    class _Timespec(ctypes.Structure):
        _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]

    class _Itimerspec(ctypes.Structure):
        _fields_ = [("it_interval", ctypes.c_long * 2), ("it_value", ctypes.c_long * 2)]

    SIGEV_SIGNAL = 0
    CLOCK_MONOTONIC = 1

    def __init__(self):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._settime = libc.timer_settime
        ev = self._Sigevent(sigev_signo=signal.SIGINT, sigev_notify=self.SIGEV_SIGNAL)
        self._id = ctypes.c_void_p()
        if libc.timer_create(self.CLOCK_MONOTONIC, ctypes.byref(ev), ctypes.byref(self._id)):
            raise OSError(ctypes.get_errno(), "timer_create failed")

    def arm(self, delay):
        spec = self._Itimerspec()
        spec.it_value[0] = int(delay)
        spec.it_value[1] = max(1, int((delay % 1) * 1e9))
        if self._settime(self._id, 0, ctypes.byref(spec), None):
            raise OSError(ctypes.get_errno(), "timer_settime failed")


LOCK = threading.Lock()


class LockingCM:
    """__enter__ acquires, __exit__ releases: torn if a KeyboardInterrupt splits them."""

    entered = exited = 0

    def __enter__(self):
        LOCK.acquire()
        LockingCM.entered += 1
        return self

    def __exit__(self, *exc):
        LockingCM.exited += 1
        LOCK.release()


class CountingCM:
    def __init__(self, level):
        self.level = level

    def __enter__(self):
        NESTED[self.level][0] += 1
        return self

    def __exit__(self, *exc):
        NESTED[self.level][1] += 1


NESTED = [[0, 0], [0, 0], [0, 0]]
FINALLY = [0, 0]
C_LOCK = threading.Lock()


def touch(x):
    return x


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def check_and_repair(fds_before):
    """Return the names of the invariants the last interrupt broke, and repair them."""
    torn = []
    if LOCK.locked() or LockingCM.entered != LockingCM.exited:
        torn.append("python_cm")
        if LOCK.locked():
            LOCK.release()
        LockingCM.entered = LockingCM.exited = 0
    if C_LOCK.locked():
        torn.append("c_lock")
        C_LOCK.release()
    if open_fds() != fds_before:
        torn.append("open_file")
    for level in NESTED:
        if level[0] != level[1]:
            torn.append("nested_with")
            level[0] = level[1] = 0
    if FINALLY[0] != FINALLY[1]:
        torn.append("finally")
        FINALLY[0] = FINALLY[1] = 0
    return torn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10_000)
    parser.add_argument("--max-delay", type=float, default=0.001)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=5.0,
                        help="seconds after which a round's signal counts as lost")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    timer = PosixTimer()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    counts = {"rounds": args.rounds, "delivered": 0, "torn": 0, "lost": 0,
              "extra": 0, "torn_by_kind": {}}
    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(b"x")
        tmp.flush()
        fds_before = open_fds()
        for _ in range(args.rounds):
            delay = rng.uniform(1e-5, args.max_delay)
            start = time.monotonic()
            try:
                timer.arm(delay)
                workload_until(tmp.name, start + delay + args.deadline)
                counts["lost"] += 1
            except KeyboardInterrupt:
                counts["delivered"] += 1
            # A second KeyboardInterrupt from the same signal would land here or later.
            try:
                time.sleep(0)
                touch(0)
            except KeyboardInterrupt:
                counts["extra"] += 1
            torn = check_and_repair(fds_before)
            if torn:
                counts["torn"] += 1
                for kind in torn:
                    counts["torn_by_kind"][kind] = counts["torn_by_kind"].get(kind, 0) + 1
    counts["python"] = sys.version.split()[0] + " " + getattr(
        sys.implementation, "_fork", "upstream")
    print(json.dumps(counts, sort_keys=True))


def workload_until(path, deadline):
    """The workload, giving up (the signal was lost) once the deadline has passed."""
    while time.monotonic() < deadline:
        for _ in range(50):
            with LockingCM():
                touch(1)
            with C_LOCK:
                touch(2)
            with open(path, "rb") as f:
                f.read(1)
            with CountingCM(0):
                with CountingCM(1):
                    with CountingCM(2):
                        touch(3)
            try:
                touch(4)
            finally:
                FINALLY[0] += 1
                touch(5)
                FINALLY[1] += 1


if __name__ == "__main__":
    main()
