"""Show which interpreter this is: the interrupt fork of CPython, not upstream."""

import platform
import sys

print(f"interpreter: {sys.executable}")
print(f"version:     {sys.version}")
print(f"fork:        {sys.implementation._fork} (sys.implementation._fork)")
print(f"build:       {platform.python_build()}")
