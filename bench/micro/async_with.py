"""`async with` on an asynchronous context manager, driven without an event loop."""
import sys


class ACM:
    async def __aenter__(self):
        return self

    async def __aexit__(self, typ, val, tb):
        return False


async def body(n):
    cm = ACM()
    total = 0
    for i in range(n):
        async with cm:
            total += i
    return total


def bench(n):
    coro = body(n)
    try:
        coro.send(None)
    except StopIteration as e:
        return e.value


if __name__ == "__main__":
    bench(int(sys.argv[1]) * 1000)
