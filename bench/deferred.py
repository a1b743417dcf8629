"""Deferred-mode speed: a protected loop with an interrupt pending vs. with none.

Run by the patched interpreter; prints one JSON object on stdout.  The loop runs inside a
protected scope (a `finally` body, or a `threading.defer_interrupts()` block).  In the
"pending" variant the thread first posts ThreadInterrupt to itself with ctypes
PyThreadState_SetAsyncExc, so every eval-breaker check point inside the scope re-tests and
defers it; it is delivered, and caught, once the scope ends.  The loop body does
arithmetic and calls a small Python function, so both back edges and function entries
(RESUME) are check points.  The loop runs in the scope itself (depth 0) or D frames
below it (--depths), where each check point must still find that the scope protects.
Speed ratio = time(none) / time(pending); >= 0.9 is the target.  With --once, one loop
runs silently, so that forkbench can count its instructions under callgrind
(deterministic, unlike times on a shared machine).
"""

import argparse
import ctypes
import json
import sys
import threading
import time

ThreadInterrupt = getattr(threading, "ThreadInterrupt", None)


def post_to_self():
    n = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(threading.get_ident()),
                                                    ctypes.py_object(ThreadInterrupt))
    if n != 1:
        raise RuntimeError(f"PyThreadState_SetAsyncExc returned {n}")


def f(x):
    return x + 1


def timed_loop(n):
    t0 = time.perf_counter_ns()
    i = 0
    acc = 0
    while i < n:
        acc = f(acc)
        i += 1
    return time.perf_counter_ns() - t0


def below(depth, n):
    """Run the loop `depth` frames below the caller."""
    if depth > 1:
        return below(depth - 1, n)
    return timed_loop(n)


def loop_in_finally(n, pending, out, depth=0):
    try:
        pass
    finally:
        if pending:
            post_to_self()
        if depth:
            ns = below(depth, n)
        else:
            t0 = time.perf_counter_ns()
            i = 0
            acc = 0
            while i < n:
                acc = f(acc)
                i += 1
            ns = time.perf_counter_ns() - t0
        # Stored inside the scope: the interrupt is raised where it ends.
        out.append(ns)


def loop_in_defer(n, pending, out, depth=0):
    with threading.defer_interrupts():
        if pending:
            post_to_self()
        if depth:
            ns = below(depth, n)
        else:
            t0 = time.perf_counter_ns()
            i = 0
            acc = 0
            while i < n:
                acc = f(acc)
                i += 1
            ns = time.perf_counter_ns() - t0
        # Stored inside the scope: the interrupt is raised where it ends.
        out.append(ns)


SCOPES = {"finally": ("finally body", loop_in_finally),
          "defer": ("defer_interrupts()", loop_in_defer)}


def one(loop, n, pending, depth=0):
    """Run the loop once; return (ns, delivered) where delivered says the interrupt came."""
    delivered = False
    out = []
    try:
        loop(n, pending, out, depth)
        f(0)   # a check point after the scope
    except ThreadInterrupt:
        delivered = True
    if not out:
        raise RuntimeError("the interrupt was raised inside the protected scope")
    return out[0], delivered


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loops", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--depths", default="0,100,1000,3000",
                    help="frames between the protecting scope and the loop (default: "
                    "%(default)s)")
    ap.add_argument("--once", metavar="SCOPE,VARIANT[,DEPTH]",
                    help="run one loop (finally|defer, none|pending, depth 0 if not "
                    "given) and print nothing; for instruction counting")
    args = ap.parse_args()
    depths = [int(d) for d in args.depths.split(",")]
    # Python-to-Python calls use no C stack in 3.13: only the recursion limit stops them.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), max(depths) + 1000))
    if args.once:
        scope, variant, *depth = args.once.split(",")
        depth = int(depth[0]) if depth else 0
        sys.setrecursionlimit(max(sys.getrecursionlimit(), depth + 1000))
        loop = SCOPES[scope][1]
        one(loop, 1000, variant == "pending", depth)
        one(loop, args.loops, variant == "pending", depth)
        return
    if ThreadInterrupt is None or not hasattr(threading, "defer_interrupts"):
        json.dump({"status": "unavailable: no threading.ThreadInterrupt/defer_interrupts",
                   "rows": []}, sys.stdout)
        return
    rows = []
    for name, loop in SCOPES.values():
        for depth in depths:
            print(f"deferred: {name}, depth {depth}: {args.repeat} x 2 runs of "
                  f"{args.loops} iterations", file=sys.stderr, flush=True)
            none, pend, missed = [], [], 0
            one(loop, args.loops // 10, False, depth)   # warm up (specialization)
            one(loop, args.loops // 10, True, depth)
            for _ in range(args.repeat):        # interleaved
                ns, delivered = one(loop, args.loops, False, depth)
                none.append(ns)
                ns, delivered = one(loop, args.loops, True, depth)
                pend.append(ns)
                missed += not delivered
            best_none, best_pend = min(none), min(pend)
            rows.append({"scope": name, "depth": depth, "loops": args.loops,
                         "repeat": args.repeat, "none_ns": none, "pending_ns": pend,
                         "best_none_ns": best_none, "best_pending_ns": best_pend,
                         "speed_ratio": best_none / best_pend, "undelivered": missed})
    json.dump({"status": "ok", "python": sys.version, "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
