"""Load a pyperformance benchmark module without running it, with a stand-in pyperf."""
import importlib.util
import os
import random
import sys
import time
import types


def load(name):
    root = os.environ.get("FORKBENCH_PYPERFORMANCE_BENCHMARKS")
    if not root:
        sys.exit("FORKBENCH_PYPERFORMANCE_BENCHMARKS is not set")
    path = os.path.join(root, f"bm_{name}", "run_benchmark.py")
    stub = types.ModuleType("pyperf")
    stub.perf_counter = time.perf_counter
    sys.modules.setdefault("pyperf", stub)
    random.seed(0)  # module-level random data (go's zobrist table) is then fixed
    spec = importlib.util.spec_from_file_location(f"bm_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
