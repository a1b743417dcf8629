"""try/finally with a small finally body."""
import sys


def bench(n):
    total = 0
    done = 0
    for i in range(n):
        try:
            total += i
        finally:
            done += 1
    return total + done


if __name__ == "__main__":
    bench(int(sys.argv[1]) * 1000)
