#!/usr/bin/env python3
"""Instructions per blocking-call operation with no interrupt pending, patched / stock.

The cost that Thread.interrupt()'s wait registration adds to every interruptible system
call when nobody interrupts (issue 18): for each operation, each interpreter runs the
loop N and 2N times under `valgrind --tool=callgrind` (PYTHONHASHSEED=0, `-s`), and
(Ir(2N) - Ir(N)) / N is the cost of one operation, start-up cancelled out.

    bench/syscall_cost.py [--patched build/default/python]
                          [--upstream build/upstream-default/python] [-n 20000]

Standard library only; prints every command it runs and one line per operation.
"""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each workload runs its operation int(sys.argv[1]) times.
WORKLOADS = {
    "time.sleep(0)": """
import sys, time
sleep = time.sleep
for _ in range(int(sys.argv[1])):
    sleep(0)
""",
    "os.write+os.read 1 byte (pipe)": """
import os, sys
r, w = os.pipe()
write, read = os.write, os.read
for _ in range(int(sys.argv[1])):
    write(w, b'x')
    read(r, 1)
""",
}


def callgrind_ir(python, code, n, tmp):
    out = os.path.join(tmp, "cg.out")
    script = os.path.join(tmp, "work.py")
    with open(script, "w") as f:
        f.write(code)
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
           python, "-s", script, str(n)]
    print("+", shlex.join(cmd), file=sys.stderr, flush=True)
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def per_op(python, code, n):
    with tempfile.TemporaryDirectory() as tmp:
        ir1 = callgrind_ir(python, code, n, tmp)
        ir2 = callgrind_ir(python, code, 2 * n, tmp)
    return (ir2 - ir1) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patched", default=os.path.join(ROOT, "build/default/python"))
    ap.add_argument("--upstream",
                    default=os.path.join(ROOT, "build/upstream-default/python"))
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("--only", help="substring of the operations to run")
    args = ap.parse_args()
    for name, code in WORKLOADS.items():
        if args.only and args.only not in name:
            continue
        fork = per_op(args.patched, code, args.n)
        stock = per_op(args.upstream, code, args.n)
        print(f"{name:32} patched {fork:8.1f} Ir/op  stock {stock:8.1f} Ir/op  "
              f"ratio {fork / stock:.4f}", flush=True)


if __name__ == "__main__":
    main()
