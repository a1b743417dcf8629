"""Three nested `with` statements: Python CM, C lock, Python CM."""
import sys
import threading


class CM:
    def __enter__(self):
        return self

    def __exit__(self, typ, val, tb):
        return False


def bench(n):
    a, b = CM(), CM()
    lock = threading.Lock()
    total = 0
    for i in range(n):
        with a:
            with lock:
                with b:
                    total += i
    return total


if __name__ == "__main__":
    bench(int(sys.argv[1]) * 1000)
