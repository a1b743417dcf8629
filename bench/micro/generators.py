"""Generators: a pipeline of three generators, one with try/finally."""
import sys


def source(n):
    for i in range(n):
        yield i


def square(it):
    for x in it:
        yield x * x


def guarded(it):
    try:
        for x in it:
            yield x + 1
    finally:
        pass


def bench(n):
    return sum(guarded(square(source(n))))


if __name__ == "__main__":
    bench(int(sys.argv[1]) * 1000)
