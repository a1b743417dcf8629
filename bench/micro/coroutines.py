"""Coroutines awaiting coroutines (the pyperformance `coroutines` shape, no event loop)."""
import sys


async def leaf(x):
    return x + 1


async def middle(x):
    return await leaf(x) + await leaf(x)


async def top(n):
    total = 0
    for i in range(n):
        total += await middle(i)
    return total


def bench(n):
    coro = top(n)
    try:
        coro.send(None)
    except StopIteration as e:
        return e.value


if __name__ == "__main__":
    bench(int(sys.argv[1]) * 1000)
