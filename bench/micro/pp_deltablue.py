"""pyperformance deltablue, reduced size."""
import sys

from _pyperformance import load

if __name__ == "__main__":
    load("deltablue").delta_blue(int(sys.argv[1]) * 10)
