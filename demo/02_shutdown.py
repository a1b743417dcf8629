"""Graceful shutdown: the main thread stops a pool of blocked workers.

Three workers block in calls that no Python code can interrupt on upstream
CPython: time.sleep(), queue.Queue.get() and socket.recv().  The main
thread detects a fatal condition and calls Thread.interrupt() on each of
them.  Every worker is woken, runs its cleanup (a finally block and a with
statement's __exit__) and exits; the main thread then reports why the
program shut down and which cleanups ran.
"""

import queue
import socket
import sys
import threading
import time

if not hasattr(threading.Thread, "interrupt"):
    sys.exit("this demo needs the interrupt fork of CPython (./fork demo)")

DEADLINE = 5.0   # seconds for the whole pool to stop; a guard, never reached


class ShutdownRequested(threading.ThreadInterrupt):
    """Raised in each worker when the main thread shuts the pool down."""


events = {}                 # worker name -> what it reported, in order
events_lock = threading.Lock()


def report(message):
    name = threading.current_thread().name
    with events_lock:
        events.setdefault(name, []).append(message)


class Resource:
    """Something a worker must release whatever happens."""

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        report(f"acquired {self.what}")
        return self

    def __exit__(self, exc_type, exc, tb):
        # Runs in a protected scope: it cannot be interrupted half-way.
        report(f"released {self.what}")


def ticker(ready):
    with Resource("its timer"):
        try:
            ready.set()
            while True:
                time.sleep(3600)            # blocked here
        finally:
            report(f"finally ran ({type(sys.exception()).__name__})")


def consumer(ready, jobs, done):
    with Resource("its journal"):
        handled = 0
        try:
            while True:
                if handled == 2:
                    ready.set()
                job = jobs.get()            # blocked here after two jobs
                handled += 1
                report(f"handled {job}")
                done.release()
        finally:
            report(f"finally ran after {handled} jobs "
                   f"({type(sys.exception()).__name__})")


def listener(ready, conn):
    with Resource("its connection"):
        try:
            data = conn.recv(100)
            report(f"received {data!r}")
            ready.set()
            conn.recv(100)                  # blocked here
        finally:
            conn.close()
            report(f"finally ran, socket closed "
                   f"({type(sys.exception()).__name__})")


def main():
    start = time.monotonic()
    jobs = queue.Queue()
    done = threading.Semaphore(0)
    ours, theirs = socket.socketpair()
    ready = {name: threading.Event()
             for name in ("ticker", "consumer", "listener")}
    workers = [
        threading.Thread(target=ticker, args=(ready["ticker"],),
                         name="ticker"),
        threading.Thread(target=consumer,
                         args=(ready["consumer"], jobs, done),
                         name="consumer"),
        threading.Thread(target=listener, args=(ready["listener"], theirs),
                         name="listener"),
    ]
    # Start the workers one by one so that the report is deterministic.
    workers[0].start()
    ready["ticker"].wait()
    workers[1].start()
    for job in ("job 1", "job 2"):
        jobs.put(job)
        done.acquire()
    ready["consumer"].wait()
    workers[2].start()
    ours.sendall(b"hello")
    ready["listener"].wait()

    print("pool: 3 workers blocked in time.sleep(), queue.Queue.get() "
          "and socket.recv()")
    reason = "the journal volume is full (simulated fatal condition)"
    print(f"main: {reason}; shutting down")
    for worker in workers:
        print(f"main: interrupting {worker.name}")
        worker.interrupt(ShutdownRequested)
    for worker in workers:
        worker.join(max(0.0, DEADLINE - (time.monotonic() - start)))
    alive = [worker.name for worker in workers if worker.is_alive()]
    ours.close()

    # Each worker's report in order; workers in a fixed order (they clean
    # up concurrently).
    with events_lock:
        for worker in workers:
            print(f"{worker.name}:")
            for message in events.get(worker.name, []):
                print(f"  {message}")
    if alive:
        print(f"FAILED: still running after {DEADLINE} s: {', '.join(alive)}")
        return 1
    print("all workers ran their cleanup and exited")
    print(f"shutdown reason: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
