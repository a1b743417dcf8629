"""Child of test_docs.py: block a worker in each named call, interrupt it, report.

Usage: python wake_calls.py CASE...  Prints {case: outcome} as JSON; a call that was
broken by Thread.interrupt() reports "ThreadInterrupt ...", one that was not woken within
15 seconds "not woken in 15 s".  Linux only (epoll, a full accept queue).
"""

import fcntl
import json
import multiprocessing
import os
import queue
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

LONG = 60
cleanups = []


def pipe():
    r, w = os.pipe()
    cleanups.extend([lambda: os.close(r), lambda: os.close(w)])
    return r, w


def full_pipe():
    r, w = pipe()
    os.set_blocking(w, False)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    return r, w


def idle_socket():
    """A connected socket with nothing to read."""
    a, b = socket.socketpair()
    cleanups.extend([a.close, b.close])
    return b


def full_socket():
    """A connected socket whose send buffer is full."""
    a, b = socket.socketpair()
    cleanups.extend([a.close, b.close])
    a.setblocking(False)
    try:
        while True:
            a.send(b"x" * 65536)
    except BlockingIOError:
        pass
    a.setblocking(True)
    return a


def held(lock):
    lock.acquire()
    return lock


def child():
    """A child process that runs until its stdin is closed."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)
    cleanups.append(lambda: (proc.stdin.close(), proc.wait()))
    return proc


def case_sleep():
    return lambda: time.sleep(LONG)


def case_lock():
    return held(threading.Lock()).acquire


def case_lock_timeout():
    lock = held(threading.Lock())
    return lambda: lock.acquire(timeout=LONG)


def case_rlock():
    return held(threading.RLock()).acquire


def case_semaphore():
    return threading.Semaphore(0).acquire


def case_bounded_semaphore():
    return held(threading.BoundedSemaphore(1)).acquire


def case_condition_wait():
    cond = threading.Condition()
    return lambda: (cond.acquire(), cond.wait())


def case_condition_wait_for():
    cond = threading.Condition()
    return lambda: (cond.acquire(), cond.wait_for(lambda: False))


def case_event_wait():
    return threading.Event().wait


def case_barrier_wait():
    return threading.Barrier(2).wait


def case_thread_join():
    event = threading.Event()
    thread = threading.Thread(target=event.wait, daemon=True)
    thread.start()
    cleanups.append(event.set)
    return thread.join


def case_queue_get():
    return queue.Queue().get


def case_queue_put():
    q = queue.Queue(1)
    q.put(1)
    return lambda: q.put(2)


def case_simple_queue_get():
    return queue.SimpleQueue().get


def case_accept():
    srv = socket.create_server(("127.0.0.1", 0))
    cleanups.append(srv.close)
    return srv.accept


def case_connect():
    # With listen(0) and one connection waiting to be accepted, Linux drops further
    # SYNs: a new connect() blocks.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    first = socket.create_connection(srv.getsockname())
    client = socket.socket()
    cleanups.extend([srv.close, first.close, client.close])
    return lambda: client.connect(srv.getsockname())


def case_recv():
    s = idle_socket()
    return lambda: s.recv(10)


def case_recv_into():
    s = idle_socket()
    return lambda: s.recv_into(bytearray(10))


def case_recvfrom():
    s = idle_socket()
    return lambda: s.recvfrom(10)


def case_recvfrom_into():
    s = idle_socket()
    return lambda: s.recvfrom_into(bytearray(10))


def case_recvmsg():
    s = idle_socket()
    return lambda: s.recvmsg(10)


def case_send():
    s = full_socket()
    return lambda: s.send(b"y" * 65536)


def case_sendall():
    s = full_socket()
    return lambda: s.sendall(b"y" * 65536)


def case_sendmsg():
    s = full_socket()
    return lambda: s.sendmsg([b"y" * 65536])


def case_sendto():
    # An unconnected datagram socket blocks when the receiver's queue is full.
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, "s")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    cleanups.extend([receiver.close, sender.close, lambda: os.unlink(path),
                     lambda: os.rmdir(directory)])
    sender.setblocking(False)
    try:
        while True:
            sender.sendto(b"x", path)
    except BlockingIOError:
        pass
    sender.setblocking(True)
    return lambda: sender.sendto(b"y", path)


def case_select():
    s = idle_socket()
    return lambda: select.select([s], [], [])


def case_poll():
    p = select.poll()
    p.register(idle_socket(), select.POLLIN)
    return p.poll


def case_epoll():
    p = select.epoll()
    cleanups.append(p.close)
    p.register(idle_socket(), select.EPOLLIN)
    return p.poll


def case_selectors():
    sel = selectors.DefaultSelector()
    cleanups.append(sel.close)
    sel.register(idle_socket(), selectors.EVENT_READ)
    return sel.select


def case_os_read():
    r, _ = pipe()
    return lambda: os.read(r, 10)


def case_file_read():
    r, _ = pipe()
    return open(r, "rb", closefd=False).read


def case_os_write():
    _, w = full_pipe()
    return lambda: os.write(w, b"y" * 4096)


def case_file_write():
    _, w = full_pipe()
    f = open(w, "wb", closefd=False)
    return lambda: (f.write(b"y" * 65536), f.flush())


def case_wait():
    child()
    return os.wait


def case_waitpid():
    proc = child()
    return lambda: os.waitpid(proc.pid, 0)


def case_wait3():
    child()
    return lambda: os.wait3(0)


def case_wait4():
    proc = child()
    return lambda: os.wait4(proc.pid, 0)


def case_waitid():
    proc = child()
    return lambda: os.waitid(os.P_PID, proc.pid, os.WEXITED)


def case_popen_wait():
    return child().wait


def sigwaiter(wait):
    def call():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        return wait({signal.SIGUSR1})
    return call


def case_sigwait():
    return sigwaiter(signal.sigwait)


def case_sigwaitinfo():
    return sigwaiter(signal.sigwaitinfo)


def case_sigtimedwait():
    return sigwaiter(lambda sigset: signal.sigtimedwait(sigset, LONG))


def case_pause():
    return signal.pause


def locked_file():
    """A file opened twice; the first open file description holds a flock()."""
    tmp = tempfile.NamedTemporaryFile()
    other = open(tmp.name, "rb")
    cleanups.extend([tmp.close, other.close])
    fcntl.flock(tmp.fileno(), fcntl.LOCK_EX)
    return other


def record_locked_file():
    """A file whose record lock is held by a child (record locks are per process)."""
    tmp = tempfile.NamedTemporaryFile()
    cleanups.append(tmp.close)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'r+b'); "
         "fcntl.lockf(f, fcntl.LOCK_EX); print(flush=True); sys.stdin.read()",
         tmp.name], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    cleanups.append(lambda: (proc.stdin.close(), proc.wait()))
    proc.stdout.readline()
    return open(tmp.name, "r+b")


def case_flock():
    other = locked_file()
    return lambda: fcntl.flock(other.fileno(), fcntl.LOCK_EX)


def case_lockf():
    f = record_locked_file()
    cleanups.append(f.close)
    return lambda: fcntl.lockf(f, fcntl.LOCK_EX)


def case_fcntl_setlkw():
    f = record_locked_file()
    cleanups.append(f.close)
    lock = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
    return lambda: fcntl.fcntl(f, fcntl.F_SETLKW, lock)


def case_multiprocessing_lock():
    return held(multiprocessing.Lock()).acquire


def case_multiprocessing_semaphore():
    return multiprocessing.Semaphore(0).acquire


def run(name):
    call = globals()[f"case_{name}"]()
    outcome = []

    def target():
        try:
            outcome.append(("returned", repr(call())[:60]))
        except BaseException as exc:
            outcome.append((type(exc).__name__, str(exc)[:60]))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    # Let the worker block.  Not needed for the result: an interrupt posted before the
    # call starts is raised at its entry, and the outcome is the same.
    time.sleep(0.2)
    thread.interrupt()
    thread.join(15)
    return "not woken in 15 s" if thread.is_alive() else " ".join(outcome[0])


def main():
    results = {}
    for name in sys.argv[1:]:
        try:
            results[name] = run(name)
        except Exception as exc:
            results[name] = f"set-up failed: {exc!r}"
        while cleanups:
            try:
                cleanups.pop()()
            except Exception:
                pass
    print(json.dumps(results), flush=True)
    # A call that was not woken still blocks its daemon thread: do not wait for it.
    os._exit(0)


if __name__ == "__main__":
    main()
