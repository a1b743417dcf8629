"""pyperformance richards, reduced size."""
import sys

from _pyperformance import load

if __name__ == "__main__":
    load("richards").Richards().run(int(sys.argv[1]))
