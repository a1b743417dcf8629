"""Standard-library operations a server runs, for counting instructions per operation.

    stdlib_ops.py OP N      run OP N times (after its set-up), print nothing
    stdlib_ops.py --list    print the operations as JSON: name, default N, description

forkbench's stdlib phase runs each operation with N and 2N under callgrind, on both
interpreters; (Ir(2N) - Ir(N)) / N is the cost of one operation, the set-up, start-up and
tear-down cancelling out.  Each loop body is the operation as a program writes it.
"""

import os
import sys

# Each operation imports what it uses, so that a run's start-up (the same for N and 2N,
# but counted in both) stays small beside the work.


def _ident(i):
    return i


def executor(n):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as ex:
        ex.submit(_ident, 0).result()   # the worker thread exists before the loop
        for i in range(n):
            ex.submit(_ident, i).result()


def cond_wait(n):
    import threading
    cond = threading.Condition()
    for _ in range(n):
        with cond:
            cond.wait(0)


def exit_stack(n):
    import contextlib
    for _ in range(n):
        with contextlib.ExitStack() as s:
            s.enter_context(contextlib.nullcontext())


def pipe(n):
    r, w = os.pipe()
    try:
        for _ in range(n):
            os.write(w, b"x")
            os.read(r, 1)
    finally:
        os.close(r)
        os.close(w)


def sleep0(n):
    import time
    for _ in range(n):
        time.sleep(0)


def queue_put_get(n):
    import queue
    q = queue.Queue()
    for i in range(n):
        q.put(i)
        q.get()


def simplequeue_put_get(n):
    import queue
    q = queue.SimpleQueue()
    for i in range(n):
        q.put(i)
        q.get()


def lock(n):
    import threading
    lk = threading.Lock()
    for _ in range(n):
        lk.acquire()
        lk.release()


def event_wait(n):
    import threading
    ev = threading.Event()
    ev.set()
    for _ in range(n):
        ev.wait()


def socket_send_recv(n):
    import socket
    a, b = socket.socketpair()
    with a, b:
        for _ in range(n):
            a.send(b"x")
            b.recv(1)


def selector_select(n):
    import selectors
    r, w = os.pipe()
    os.write(w, b"x")   # never read: r stays ready
    with selectors.DefaultSelector() as sel:
        sel.register(r, selectors.EVENT_READ)
        for _ in range(n):
            sel.select()
    os.close(r)
    os.close(w)


def bigint_mul(n):
    # Long multiplication calls PyErr_CheckSignals() once per digit of an operand,
    # as C code that runs for long is asked to: 60 calls per product here.
    x = 3 ** 1130       # 60 digits of 30 bits, below Karatsuba's cut-off
    y = 5 ** 770
    for _ in range(n):
        x * y


# name, function, N (the 2N run is also made), description
OPS = [
    ("executor", executor, 300, "ThreadPoolExecutor(1): submit(f, i).result()"),
    ("cond_wait", cond_wait, 2000, "with cond: cond.wait(0)"),
    ("exit_stack", exit_stack, 2000,
     "with ExitStack() as s: s.enter_context(nullcontext())"),
    ("pipe", pipe, 2000, "os.write + os.read of one byte on a pipe"),
    ("sleep0", sleep0, 2000, "time.sleep(0)"),
    ("queue", queue_put_get, 2000, "queue.Queue put + get"),
    ("simplequeue", simplequeue_put_get, 5000, "queue.SimpleQueue put + get"),
    ("lock", lock, 5000, "Lock acquire + release"),
    ("event_wait", event_wait, 5000, "Event.wait() on a set event"),
    ("socket", socket_send_recv, 2000, "socket send + recv of one byte on a socketpair"),
    ("select", selector_select, 2000, "selectors.DefaultSelector.select() with a ready fd"),
    ("bigint_mul", bigint_mul, 1000,
     "x * y of two 60-digit ints (60 calls of PyErr_CheckSignals())"),
]


def main(argv):
    if argv == ["--list"]:
        import json
        print(json.dumps([{"name": name, "n": n, "what": what}
                          for name, _, n, what in OPS]))
        return 0
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    funcs = {name: func for name, func, _, _ in OPS}
    if argv[0] not in funcs:
        print(f"unknown operation {argv[0]!r}; choose from {', '.join(funcs)}",
              file=sys.stderr)
        return 2
    funcs[argv[0]](int(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
