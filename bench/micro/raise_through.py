"""An exception raised through a `with` on a Python CM and a try/finally, then caught."""
import sys


class CM:
    def __enter__(self):
        return self

    def __exit__(self, typ, val, tb):
        return False


def inner(cm, i):
    with cm:
        try:
            raise ValueError(i)
        finally:
            i += 1


def bench(n):
    cm = CM()
    caught = 0
    for i in range(n):
        try:
            inner(cm, i)
        except ValueError:
            caught += 1
    return caught


if __name__ == "__main__":
    bench(int(sys.argv[1]) * 100)
