"""Code with no with/finally: arithmetic, calls, attribute access, a loop."""
import sys


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm1(self):
        return abs(self.x) + abs(self.y)


def step(p, k):
    return Point(p.y + k, p.x - k)


def bench(n):
    p = Point(1, 2)
    total = 0
    for i in range(n):
        p = step(p, i & 7)
        total += p.norm1()
        if total > 1_000_000:
            total -= 1_000_000
    return total


if __name__ == "__main__":
    bench(int(sys.argv[1]) * 1000)
