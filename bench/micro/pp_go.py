"""pyperformance go, reduced size (fewer playouts per move)."""
import sys

from _pyperformance import load

if __name__ == "__main__":
    mod = load("go")
    mod.GAMES = int(sys.argv[1])
    mod.versus_cpu()
