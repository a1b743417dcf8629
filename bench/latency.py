"""Interrupt latency: time from posting an interrupt to the target's handler.

Run by the interpreter under test; prints one JSON object on stdout.  For each kind of
target (busy in Python code, or blocked in one blocking call), a worker thread
announces it is about to run the call, runs it, and records perf_counter_ns() in its
`except ThreadInterrupt` handler.  The poster waits for the announcement plus a settle
delay (so the worker is inside the call), records perf_counter_ns() and posts.

Posting methods:
  thread.interrupt  threading.Thread.interrupt(exc=ThreadInterrupt) (the PEP's API); a
                    row reports "unavailable" when the interpreter lacks it.
  setasyncexc       ctypes PyThreadState_SetAsyncExc(ident, exc): only reaches a thread
                    running Python code, so it is measured for the busy kind only.

Each trial uses a fresh worker thread.  A trial the interrupt does not end within --timeout
seconds counts as a timeout; the worker is then released by other means (the lock
released, data sent, ...).

Race rows (method "thread.interrupt race"): one worker re-enters the call in a loop as soon
as its previous interrupt was handled, and the poster posts as soon as the worker
announces it is entering the call, with no settle delay: the post races the call's entry
(the GIL release before the system call, the registration), back to back.
"""

import argparse
import ctypes
import json
import os
import queue
import select
import socket
import statistics
import subprocess
import sys
import threading
import time

ThreadInterrupt = getattr(threading, "ThreadInterrupt", None)
if ThreadInterrupt is None:
    class ThreadInterrupt(BaseException):
        """Stand-in for upstream CPython, which has no ThreadInterrupt."""

SETTLE = 0.002


class Kind:
    """A blocking call the worker runs, and how to free it if no interrupt does."""

    def __init__(self, name):
        self.name = name

    def setup(self):
        pass

    def call(self):
        raise NotImplementedError

    def release(self):
        pass

    def reset(self):
        pass

    def teardown(self):
        pass


class Busy(Kind):
    def __init__(self):
        super().__init__("busy")
        self.stop = False

    def call(self):
        x = 0
        while not self.stop:
            x += 1

    def release(self):
        self.stop = True

    def reset(self):
        self.stop = False


class Sleep(Kind):
    def __init__(self):
        super().__init__("sleep")

    def call(self):
        time.sleep(5)


class LockAcquire(Kind):
    def __init__(self):
        super().__init__("lock_acquire")
        self.lock = threading.Lock()

    def setup(self):
        self.lock.acquire()

    def call(self):
        if self.lock.acquire(timeout=30):
            self.lock.release()

    def teardown(self):
        self.lock.release()


class ConditionWait(Kind):
    def __init__(self):
        super().__init__("condition_wait")
        self.cond = threading.Condition()

    def call(self):
        with self.cond:
            self.cond.wait(30)

    def release(self):
        with self.cond:
            self.cond.notify_all()


class QueueGet(Kind):
    def __init__(self):
        super().__init__("queue_get")
        self.q = queue.Queue()

    def call(self):
        self.q.get(timeout=30)

    def release(self):
        self.q.put(None)

    def reset(self):
        while not self.q.empty():
            self.q.get_nowait()


class SocketRecv(Kind):
    def __init__(self):
        super().__init__("socket_recv")

    def setup(self):
        self.a, self.b = socket.socketpair()

    def call(self):
        self.a.recv(1)

    def release(self):
        self.b.send(b"x")

    def teardown(self):
        self.a.close()
        self.b.close()


class Select(Kind):
    def __init__(self):
        super().__init__("select")

    def setup(self):
        self.r, self.w = os.pipe()

    def call(self):
        select.select([self.r], [], [], 30)

    def release(self):
        os.write(self.w, b"x")

    def reset(self):
        os.set_blocking(self.r, False)
        try:
            while os.read(self.r, 64):
                pass
        except BlockingIOError:
            pass
        os.set_blocking(self.r, True)

    def teardown(self):
        os.close(self.r)
        os.close(self.w)


class PipeRead(Select):
    def __init__(self):
        Kind.__init__(self, "os_read_pipe")

    def call(self):
        os.read(self.r, 1)


class Waitpid(Kind):
    def __init__(self):
        super().__init__("waitpid")
        self.child = None

    def setup(self):
        self.child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])

    def call(self):
        os.waitpid(self.child.pid, 0)

    def release(self):
        self.child.kill()
        self.child.wait()
        self.setup()

    def teardown(self):
        self.child.kill()
        self.child.wait()


KINDS = [Busy, Sleep, LockAcquire, ConditionWait, QueueGet, SocketRecv, Select, PipeRead,
         Waitpid]


def post_thread_interrupt(thread):
    thread.interrupt(ThreadInterrupt)


def post_setasyncexc(thread):
    n = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                                    ctypes.py_object(ThreadInterrupt))
    if n != 1:
        raise RuntimeError(f"PyThreadState_SetAsyncExc returned {n}")


def measure(kind, post, trials, timeout):
    """Return (latencies in ns, number of timeouts); one fresh worker thread per trial."""
    lat, timeouts = [], 0
    kind.setup()
    try:
        for i in range(trials):
            kind.reset()
            announced = threading.Event()
            handled = []

            def worker():
                try:
                    try:
                        announced.set()
                        kind.call()
                    except ThreadInterrupt:
                        handled.append(time.perf_counter_ns())
                        return
                except ThreadInterrupt:
                    # Arrived between the call's return and the handler.
                    handled.append(time.perf_counter_ns())
                    return
                handled.append(None)

            th = threading.Thread(target=worker, name=f"latency-{kind.name}-{i}")
            th.start()
            announced.wait()
            time.sleep(SETTLE)
            t0 = time.perf_counter_ns()
            post(th)
            th.join(timeout)
            if th.is_alive():
                timeouts += 1
                kind.release()
                th.join()
                kind.reset()
                continue
            if handled and handled[0] is not None:
                lat.append(handled[0] - t0)
            else:
                timeouts += 1   # the call returned without the interrupt
    finally:
        kind.teardown()
    return lat, timeouts


RACE_KINDS = {"sleep", "lock_acquire", "condition_wait", "socket_recv", "os_read_pipe"}


def measure_race(kind, trials, timeout):
    """Post as the worker enters the call, back to back; return (latencies in ns, number
    of timeouts)."""
    lat, timeouts = [], 0
    kind.setup()
    kind.reset()
    entering = threading.Event()
    handled = threading.Event()
    stop = False
    last = []

    def loop():
        while not stop:
            entering.set()
            kind.call()

    def worker():
        # Each level catches what escapes at the loop back edges below it.
        for _ in range(trials * 2 + 10):
            try:
                if stop:
                    return
                loop()
                return
            except ThreadInterrupt:
                last.append(time.perf_counter_ns())
                handled.set()

    th = threading.Thread(target=worker, name=f"latency-race-{kind.name}")
    th.start()
    try:
        for i in range(trials):
            if not entering.wait(timeout):
                timeouts += 1
                break
            entering.clear()
            handled.clear()
            t0 = time.perf_counter_ns()
            th.interrupt(ThreadInterrupt)
            if not handled.wait(timeout):
                timeouts += 1
                kind.release()
                handled.wait(timeout)
                continue
            lat.append(last[-1] - t0)
    finally:
        stop = True
        kind.release()
        th.interrupt(ThreadInterrupt)
        th.join(timeout)
        kind.teardown()
    return lat, timeouts


def summarize(lat, timeouts, trials):
    if not lat:
        return {"trials": trials, "timeouts": timeouts, "samples_ns": []}
    s = sorted(lat)
    p99 = s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))]
    return {"trials": trials, "timeouts": timeouts, "median_ns": statistics.median(s),
            "p99_ns": p99, "max_ns": s[-1],
            "min_ns": s[0], "samples_ns": lat}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=1.0,
                    help="seconds before a trial counts as a timeout")
    ap.add_argument("--kinds", default=",".join(k().name for k in KINDS))
    args = ap.parse_args()
    wanted = args.kinds.split(",")
    has_api = hasattr(threading.Thread, "interrupt")
    rows = []
    for cls in KINDS:
        kind = cls()
        if kind.name not in wanted:
            continue
        methods = [("thread.interrupt", post_thread_interrupt)]
        if kind.name == "busy":
            methods.append(("setasyncexc", post_setasyncexc))
        for method, post in methods:
            row = {"kind": kind.name, "method": method}
            if method == "thread.interrupt" and not has_api:
                row["status"] = "unavailable: threading.Thread.interrupt is missing"
            else:
                print(f"latency: {kind.name} via {method}: {args.trials} trials",
                      file=sys.stderr, flush=True)
                lat, timeouts = measure(kind, post, args.trials, args.timeout)
                row.update(summarize(lat, timeouts, args.trials))
                row["status"] = "ok" if not timeouts else f"{timeouts} timeouts"
            rows.append(row)
        if kind.name in RACE_KINDS and has_api:
            row = {"kind": kind.name, "method": "thread.interrupt race"}
            print(f"latency: {kind.name} via thread.interrupt, racing the call's entry: "
                  f"{args.trials} posts", file=sys.stderr, flush=True)
            lat, timeouts = measure_race(cls(), args.trials, args.timeout)
            row.update(summarize(lat, timeouts, args.trials))
            row["status"] = "ok" if not timeouts else f"{timeouts} timeouts"
            rows.append(row)
    json.dump({"python": sys.version, "has_thread_interrupt": has_api,
               "native_thread_interrupt": hasattr(threading, "ThreadInterrupt"),
               "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
