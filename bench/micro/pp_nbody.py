"""pyperformance nbody, reduced size."""
import sys

from _pyperformance import load

if __name__ == "__main__":
    mod = load("nbody")
    mod.bench_nbody(1, mod.DEFAULT_REFERENCE, int(sys.argv[1]) * 500)
