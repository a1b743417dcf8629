"""Run a script after shifting the heap: heap_layout.py PADDING SCRIPT [ARGS...].

Allocates PADDING objects in each of the allocator's small size classes, then runs
SCRIPT as __main__.  Where a workload's objects land within pymalloc's pools decides
how often a free empties a pool or a malloc refills one: a few tenths of a percent of
instructions that move with any unrelated change to the interpreter.  Measuring both
interpreters under several paddings separates that from the cost of the change.
"""
import builtins
import os
import runpy
import sys

padding = int(sys.argv[1])
# Kept alive for the whole run.
_pad = [bytes(size) for size in range(0, 480, 8) for _ in range(padding)]
sys.argv = sys.argv[2:]
# As if the script had been run directly: its directory first on the path.
sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
# __builtins__ is the module in __main__, as in a script run directly (pyperformance's
# sphinx benchmark assigns __builtins__.open).
runpy.run_path(sys.argv[0], init_globals={"__builtins__": builtins}, run_name="__main__")
