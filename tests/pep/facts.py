"""Child of test_docs.py: check statements of fact that the PEP makes about the code.

Prints {check: null or the failure} as JSON; test_docs.py maps each check to the sentence
of the PEP that states it.
"""

import _thread
import inspect
import json
import signal
import sys
import threading
import types
from threading import ThreadInterrupt

CHECKS = {}


def fact(name):
    def register(func):
        CHECKS[name] = func
        return func
    return register


def raises(exc_type, func, *args):
    try:
        func(*args)
    except exc_type:
        return
    raise AssertionError(f"{func.__qualname__}{args} did not raise {exc_type.__name__}")


def finished_thread():
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    return thread


@fact("hierarchy")
def hierarchy():
    assert KeyboardInterrupt.__mro__ == (KeyboardInterrupt, BaseInterrupt,
                                         BaseException, object)
    assert BaseInterrupt.__bases__ == (BaseException,)
    assert ThreadInterrupt.__bases__ == (BaseInterrupt,)
    assert _thread.ThreadInterrupt is ThreadInterrupt
    assert ThreadInterrupt.__module__ == "threading"
    assert not hasattr(__builtins__, "ThreadInterrupt")


@fact("interrupt rejects instances and None")
def interrupt_rejects():
    thread = finished_thread()
    raises(TypeError, thread.interrupt, None)
    raises(TypeError, thread.interrupt, ThreadInterrupt())
    raises(TypeError, thread.interrupt, ValueError)


@fact("interrupt_thread rejects None")
def interrupt_thread_rejects():
    raises(TypeError, _thread.interrupt_thread, finished_thread().ident, None)


@fact("not started")
def not_started():
    raises(RuntimeError, threading.Thread(target=lambda: None).interrupt)


@fact("instance created in the calling thread")
def instance_in_caller():
    made, caught, ready = [], [], threading.Event()

    class Probe(ThreadInterrupt):
        def __init__(self):
            made.append((threading.get_ident(), self))

    class Failing(ThreadInterrupt):
        def __init__(self):
            raise ValueError("from __init__")

    def target():
        try:
            ready.set()
            threading.Event().wait(60)
        except Probe as exc:
            caught.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    ready.wait()
    raises(ValueError, thread.interrupt, Failing)
    assert thread.interrupt(Probe) is None
    thread.join(60)
    assert made and made[0][0] == threading.get_ident(), made
    assert caught and caught[0] is made[0][1], (made, caught)


@fact("audit event")
def audit_event():
    events = []

    def hook(name, args):
        if name == "_thread.interrupt_thread":
            events.append(args)

    sys.addaudithook(hook)
    done = threading.Event()
    thread = threading.Thread(target=lambda: done.wait(60))
    thread.start()
    try:
        thread.interrupt()
    finally:
        done.set()
        thread.join()
    assert (thread.ident, ThreadInterrupt) in events, events


@fact("interrupt_all")
def interrupt_all():
    raises(TypeError, threading.interrupt_all, ValueError)
    assert threading.interrupt_all() == []      # no other thread is alive


@fact("defer_interrupts outside a with statement")
def defer_interrupts_outside_with():
    raises(RuntimeError, threading.defer_interrupts().__enter__)


@fact("queries")
def queries():
    assert threading.interrupts_deferred() is False
    with threading.defer_interrupts():
        assert threading.interrupts_deferred() is True
    try:
        pass
    finally:
        assert threading.interrupts_deferred() is True
    assert threading.interrupt_pending() is False


@fact("reserved signal")
def reserved_signal():
    signum = signal.interrupt_signal()
    assert signum is not None and signal.SIGRTMIN <= signum <= signal.SIGRTMAX, signum
    raises(ValueError, signal.signal, signum, lambda *args: None)
    raises(ValueError, signal.siginterrupt, signum, False)
    assert signal.getsignal(signum) is None


@fact("code objects")
def code_objects():
    code = compile("try:\n pass\nfinally:\n pass\n", "<s>", "exec")
    assert isinstance(code.co_protectedtable, bytes) and code.co_protectedtable
    last = list(inspect.signature(types.CodeType).parameters.values())[-1]
    assert last.name == "protectedtable" and last.default == b"", last
    assert code.replace(co_protectedtable=b"").co_protectedtable == b""


def main():
    results = {}
    for name, func in CHECKS.items():
        try:
            func()
            results[name] = None
        except Exception as exc:
            results[name] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(results))


if __name__ == "__main__":
    main()
