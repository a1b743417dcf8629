"""`with` on a C lock (_thread.lock)."""
import sys
import threading


def bench(n):
    lock = threading.Lock()
    total = 0
    for i in range(n):
        with lock:
            total += i
    return total


if __name__ == "__main__":
    bench(int(sys.argv[1]) * 1000)
