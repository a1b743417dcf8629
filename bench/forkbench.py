"""`./fork bench`: compare the patched interpreter with upstream built with the same flags.

Standard library only.  Phases (all by default):

  pyperformance  pyperformance 1.14.x (installed from PyPI into build/bench-venv) on both
                 interpreters, interleaved benchmark by benchmark, alternating which goes
                 first; merged with pyperf, compared with `pyperf compare_to`.
  callgrind      instruction counts of bench/micro/*.py under valgrind --tool=callgrind.
                 Each script runs with N and 2N iterations and PYTHONHASHSEED=0; the
                 difference is the workload without interpreter start-up.  Every count
                 is taken under several heap layouts (bench/heap_layout.py) and the
                 median is compared.
  latency        bench/latency.py on the patched interpreter (time from interrupt() to the
                 ThreadInterrupt handler), plus the busy-thread SetAsyncExc row on upstream.
  deferred       bench/deferred.py: a protected loop with an interrupt pending vs. none.

Outputs in --out: results.json, report.md, chart.svg, bench.log-style progress on stdout.
"""

import argparse
import concurrent.futures
import datetime
import json
import math
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
import tokenize
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MICRO = HERE / "micro"
PYPERFORMANCE_REQ = "pyperformance>=1.14,<1.15"

SUBSET = ["richards", "nbody", "json_loads", "deltablue", "go", "float", "generators",
          "coroutines", "unpack_sequence"]

# Microbenchmark script, N (its argument; the 2N run is also made), what it measures.
WORKLOADS = [
    ("no_with", 5, "code with no with/finally"),
    ("with_python_cm", 5, "with on a Python context manager"),
    ("with_c_lock", 5, "with on a C lock"),
    ("try_finally", 5, "try/finally"),
    ("nested_with", 3, "nested with (Python CM, C lock, Python CM)"),
    ("async_with", 3, "async with"),
    ("generators", 5, "generator pipeline"),
    ("coroutines", 3, "coroutines awaiting coroutines"),
    ("raise_through", 5, "exception raised through with/finally"),
    ("pp_richards", 1, "pyperformance richards, reduced"),
    ("pp_nbody", 1, "pyperformance nbody, reduced"),
    ("pp_json_loads", 5, "pyperformance json_loads, reduced"),
    ("pp_deltablue", 2, "pyperformance deltablue, reduced"),
    ("pp_go", 2, "pyperformance go, reduced"),
]

TARGETS = {
    "pyperformance_geomean": 1.005,
    "pyperformance_worst_significant": 1.02,
    "callgrind": 1.01,
    "callgrind_plain": 1.001,
    "latency_median_ms": 0.2,
    "latency_p99_ms": 2.0,
    "latency_max_ms": 20.0,
    "deferred_speed": 0.9,
    "stdlib": 1.01,
    "suite_geomean": 1.002,
    "suite_worst": 1.01,
    "wallclock_ci": 0.02,
}

PHASES = ["pyperformance", "callgrind", "stdlib", "latency", "deferred"]
# Run only when asked for (--suite-ir, --wallclock or --phases): hours, or a time budget.
EXTRA_PHASES = ["suite-ir", "wallclock"]
# The order phases run in: deterministic and quick ones first, timing-sensitive ones last.
PHASE_ORDER = ["callgrind", "stdlib", "latency", "deferred", "suite-ir", "pyperformance",
               "wallclock"]

# Objects allocated in every small size class before a callgrind workload runs, one
# layout per value: fixed, so both interpreters and every run see the same layouts.
HEAP_PADDINGS = (0, 3, 5, 8, 13, 21, 34, 55, 89)
# Layouts per count unless --layouts says otherwise.  A standard-library operation of
# a few thousand instructions moves by a whole pool refill in some layouts (17
# instructions for a one-byte os.read()), so its median needs more layouts than a
# microbenchmark's (bench/results/stdlib-20261206/NOTES.md: in the first five layouts
# the pipe row had the refill three times on the patched side and once upstream).
CALLGRIND_LAYOUTS = 5
STDLIB_LAYOUTS = 9


def log(msg):
    print(f"bench: {msg}", flush=True)


def show(cmd, cwd=None):
    where = f"(cd {shlex.quote(str(cwd))} && " if cwd else ""
    print(f"+ {where}{shlex.join(str(c) for c in cmd)}{')' if cwd else ''}", flush=True)


def run(cmd, capture=True, check=True, env=None, cwd=None, quiet=False, timeout=None):
    if not quiet:
        show(cmd, cwd)
    res = subprocess.run([str(c) for c in cmd], capture_output=capture, text=True, env=env,
                         cwd=cwd, timeout=timeout)
    if check and res.returncode != 0:
        err = (res.stderr or "")[-3000:] if capture else ""
        raise RuntimeError(f"command failed ({res.returncode}): "
                           f"{shlex.join(map(str, cmd))}\n{err}")
    return res


def clean_env(**extra):
    """The environment for measured processes: no PYTHON* variables, fixed hash seed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    env.update(extra)
    return env


def fingerprint(python):
    """Size, mtime and sha256 of an interpreter binary, to notice a rebuild mid-run."""
    import hashlib
    st = os.stat(python)
    with open(python, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return f"{st.st_size} {int(st.st_mtime)} {digest[:16]}"


# --- machine description -------------------------------------------------------------------

def first_line(cmd):
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
        return (res.stdout or res.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return None


def interpreter_info(python):
    code = ("import json, sys, sysconfig; print(json.dumps({'version': sys.version, "
            "'executable': sys.executable, 'config_args': sysconfig.get_config_var("
            "'CONFIG_ARGS'), 'cc': sysconfig.get_config_var('CC'), 'opt': "
            "sysconfig.get_config_var('OPT'), 'cflags': sysconfig.get_config_var('CFLAGS')}))")
    return json.loads(run([python, "-c", code], quiet=True, env=clean_env()).stdout)


def machine(python, upstream):
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":")[1].strip()
    except (OSError, IndexError):
        mem = None
    return {
        "cpu": cpu or platform.processor(), "cores": os.cpu_count(), "memory": mem,
        "kernel": platform.release(), "system": platform.platform(),
        "compiler": first_line(["cc", "--version"]),
        "valgrind": first_line(["valgrind", "--version"]) if shutil.which("valgrind") else None,
        "loadavg_start": os.getloadavg(),
        "host_python": sys.version.split()[0],
        "patched": interpreter_info(python), "upstream": interpreter_info(upstream),
    }


# --- pyperformance -------------------------------------------------------------------------

def ensure_pyperformance(build):
    venv = build / "bench-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        run([sys.executable, "-m", "venv", venv], capture=False)
    if run([py, "-c", "import pyperformance, pyperf"], check=False, quiet=True).returncode:
        run([py, "-m", "pip", "install", "--quiet", PYPERFORMANCE_REQ], capture=False)
    return py


def helper(venv_py, *args):
    return json.loads(run([venv_py, HERE / "pyperf_helper.py", *args], quiet=True).stdout)


def venv_mismatch(venv_python, python):
    """None if the venv runs `python`, else what it runs instead."""
    code = "import sys; print(sys.version); print(sys._base_executable)"
    try:
        got = run([venv_python, "-c", code], quiet=True, env=clean_env()).stdout.split("\n")
        want = run([python, "-c", code], quiet=True, env=clean_env()).stdout.split("\n")
    except (OSError, RuntimeError) as e:
        return str(e)
    if got[0] != want[0] or Path(got[1]).resolve() != Path(want[1]).resolve():
        return f"{got[1]} ({got[0]})"
    return None


def benchmark_venvs(venv_py, benches, selection, sides, build, opts):
    """pyperformance's venv of each interpreter for these benchmarks (created once), each
    checked to run that interpreter."""
    tag = re.sub(r"[^a-z0-9]+", "-", selection)[:40] if selection != "default" else "default"
    config = getattr(opts, "config", "default")
    venvs = {}
    for who, py in sides.items():
        name = f"venv-{who}-{tag}" if config == "default" else f"venv-{who}-{config}-{tag}"
        venv = build / "bench" / name
        stamp = venv / ".forkbench-ok"
        wrong = stamp.exists() and venv_mismatch(venv / "bin" / "python", py)
        if wrong:
            log(f"pyperformance: {venv} runs {wrong}, not {py}: creating it again")
        if not stamp.exists() or wrong:
            shutil.rmtree(venv, ignore_errors=True)
            log(f"pyperformance: creating the {who} venv for {len(benches)} benchmarks")
            run([venv_py, HERE / "pyperf_helper.py", "venv", venv, py,
                 ",".join(b["name"] for b in benches)], capture=False)
            wrong = venv_mismatch(venv / "bin" / "python", py)
            if wrong:
                raise RuntimeError(f"{venv} runs {wrong}, not {py}")
            stamp.write_text(selection + "\n")
        venvs[who] = venv / "bin" / "python"
    return venvs


def venv_versions(venvs):
    """What each benchmark venv runs, for the report: sys.version."""
    return {who: run([py, "-c", "import sys; print(sys.version)"], quiet=True,
                     env=clean_env()).stdout.strip() for who, py in venvs.items()}


def python_version(python):
    return run([python, "-c", "import platform; print(platform.python_version())"],
               quiet=True, env=clean_env()).stdout.strip()


def list_benchmarks(venv_py, selection, python):
    """The selection's benchmarks that the interpreter's version supports."""
    return helper(venv_py, "list", selection, python_version(python))


def selection_of(opts, default="default"):
    if opts.benchmarks:
        return ",".join(opts.benchmarks)
    return ",".join(SUBSET) if opts.subset else default


def phase_pyperformance(opts, python, upstream, out, build):
    venv_py = ensure_pyperformance(build)
    version = run([venv_py, "-c", "import pyperformance; print(pyperformance.__version__)"],
                  quiet=True).stdout.strip()
    selection = selection_of(opts)
    benches = list_benchmarks(venv_py, selection, upstream)
    if opts.reverse:
        benches.reverse()
    work = out / "pyperformance"
    work.mkdir(parents=True, exist_ok=True)
    sides = {"upstream": upstream, "patched": python}
    venvs = benchmark_venvs(venv_py, benches, selection, sides, build, opts)
    pyperf_opts = (["--debug-single-value"] if opts.tiny else
                   ["--fast"] if opts.subset or opts.fast else [])
    # A full run takes hours on a small machine: --resume keeps the benchmarks already
    # measured in this directory, provided they were measured with the same binaries and
    # options.
    manifest = work / "interpreters.json"
    identity = {"upstream": fingerprint(upstream), "patched": fingerprint(python),
                "pyperf_opts": pyperf_opts}
    if opts.resume and manifest.exists():
        recorded = json.loads(manifest.read_text())
        if recorded != identity:
            raise SystemExit(f"bench: --resume: {work} was measured with other interpreters "
                             f"or options ({recorded} != {identity})")
    manifest.write_text(json.dumps(identity, indent=1) + "\n")
    files = {who: [] for who in sides}
    failed = []
    not_run = set()
    for i, b in enumerate(benches):
        if opts.measured_only and not all(
                (work / f"{who}-{b['name']}.json").exists() for who in sides):
            not_run.add(b["name"])
            continue
        order = list(sides) if i % 2 == 0 else list(sides)[::-1]
        for who in order:
            dest = work / f"{who}-{b['name']}.json"
            if opts.resume and dest.exists():
                log(f"pyperformance [{i + 1}/{len(benches)}] {b['name']} on {who}: "
                    "kept (--resume)")
                files[who].append(dest)
                continue
            dest.unlink(missing_ok=True)
            log(f"pyperformance [{i + 1}/{len(benches)}] {b['name']} on {who}")
            cmd = [venvs[who], "-u", b["runscript"], *b["extra_opts"], *pyperf_opts,
                   "--output", dest, "--inherit-environ", "PYPERFORMANCE_RUNID"]
            start = time.monotonic()
            res = run(cmd, check=False, env=dict(os.environ, PYPERFORMANCE_RUNID=f"{who}-{i}"))
            if res.returncode != 0 or not dest.exists():
                failed.append({"name": b["name"], "side": who, "rc": res.returncode,
                               "stderr": res.stderr[-2000:]})
                log(f"  FAILED (exit {res.returncode})")
                continue
            files[who].append(dest)
            log(f"  done in {time.monotonic() - start:.0f}s")
    merged = {}
    for who in sides:
        merged[who] = work / f"{who}.json"
        if files[who]:
            helper_args = ["merge", merged[who], *files[who]]
            run([venv_py, HERE / "pyperf_helper.py", *helper_args], quiet=True)
    result = {"pyperformance": version, "selection": selection, "pyperf_opts": pyperf_opts,
              "venv_versions": venv_versions(venvs),
              "failed": failed, "rows": [], "compare_to": None, "selected": len(benches),
              "not_run": sorted(not_run)}
    if not (files["upstream"] and files["patched"]):
        result["status"] = "no results"
        return result
    cmp = helper(venv_py, "compare", merged["upstream"], merged["patched"])
    result["pyperf"] = cmp["pyperf"]
    result["rows"] = cmp["rows"]
    ratios = [r["ratio"] for r in cmp["rows"]]
    result["geomean"] = math.exp(sum(map(math.log, ratios)) / len(ratios))
    sig = [r["ratio"] for r in cmp["rows"] if r["significant"]]
    result["worst_significant"] = max(sig) if sig else None
    cmd = [venv_py, "-m", "pyperf", "compare_to", "--table", merged["upstream"],
           merged["patched"]]
    result["compare_to_command"] = shlex.join(map(str, cmd))
    result["compare_to"] = run(cmd, check=False).stdout
    print(result["compare_to"], flush=True)
    result["status"] = "ok"
    return result


# --- callgrind -----------------------------------------------------------------------------

def has_with_or_finally(path):
    with open(path, "rb") as f:
        return any(t.type == tokenize.NAME and t.string in ("with", "finally")
                   for t in tokenize.tokenize(f.readline))


def pyperformance_benchmarks_dir(build):
    sp = list((build / "bench-venv" / "lib").glob(
        "python3*/site-packages/pyperformance/data-files/benchmarks"))
    return sp[0] if sp else None


def callgrind_total(path):
    total = None
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
    if total is None:
        raise RuntimeError(f"no totals in {path}")
    return total


def callgrind_one(python, args, outfile, env):
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={outfile}",
           python, "-s", *args]
    res = run(cmd, check=False, env=env)
    if res.returncode != 0:
        raise RuntimeError(f"{shlex.join(map(str, cmd))} failed:\n{res.stderr[-2000:]}")
    return callgrind_total(outfile)


def annotate(outfile):
    """Exclusive Ir per function from callgrind_annotate."""
    # --auto=no: source annotation lines (comments with URLs) would parse as functions.
    res = run(["callgrind_annotate", "--auto=no", "--inclusive=no", "--threshold=100",
               outfile],
              check=False, quiet=True)
    funcs = {}
    for line in res.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
        if not m or ":" not in m.group(2) or m.group(2).startswith(("=>", "<", "*")):
            continue
        # "path/file.c:function [object]": the two source trees have different paths.
        where = re.sub(r"\s*\[.*\]$", "", m.group(2).strip())
        path, _, func = where.rpartition(":")
        name = f"{os.path.basename(path)}:{func}"
        funcs[name] = funcs.get(name, 0) + int(m.group(1).replace(",", ""))
    return funcs


def cost_breakdown(files, changed="patched", base="upstream"):
    """Per-function (changed 2N - N) - (base 2N - N), the largest increases first."""
    a = {k: annotate(v) for k, v in files.items()}

    def work(side, fn):
        return a[(side, 2)].get(fn, 0) - a[(side, 1)].get(fn, 0)

    names = set().union(*a.values())
    diffs = [(work(changed, fn) - work(base, fn), fn) for fn in names]
    diffs = [d for d in diffs if d[0]]
    diffs.sort(reverse=True)
    top = diffs[:12]
    rest = [d for d in diffs[12:] if d[0] < 0][-3:]
    return [{"function": fn, "extra_ir": d} for d, fn in top + rest]


def ensure_valgrind():
    """None if valgrind is there (installed with apt-get if need be), else a status."""
    if not shutil.which("valgrind"):
        if os.geteuid() == 0 and shutil.which("apt-get"):
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            if run(["apt-get", "install", "-y", "valgrind"], env=env, check=False,
                   capture=False).returncode:
                run(["apt-get", "update"], env=env, capture=False)
                run(["apt-get", "install", "-y", "valgrind"], env=env, capture=False)
        if not shutil.which("valgrind"):
            return "unavailable: valgrind is not installed"
    return None


def jobs_count(opts):
    return getattr(opts, "jobs", None) or os.cpu_count() or 1


def layout_envs(work, bmdir=None):
    # Each interpreter gets its own bytecode cache (series before issue 16 share the
    # cpython-313 cache tag but not the magic number), warmed before measuring, so no
    # measured run compiles.
    return {who: clean_env(PYTHONPYCACHEPREFIX=str(work / f"pycache-{who}"),
                           **({"FORKBENCH_PYPERFORMANCE_BENCHMARKS": str(bmdir)}
                              if bmdir else {}))
            for who in ("upstream", "patched")}


def submit_layouts(pool, jobs, sides, envs, work, name, argv, paddings):
    """Queue the counts of `heap_layout.py PAD *argv(k)` for k = 1, 2 on both sides.

    Returns an error status if the workload fails natively (which also warms the
    bytecode cache, through the launcher: the 1N run imports what 2N does)."""
    for who, py in sides.items():
        if run([py, "-s", HERE / "heap_layout.py", 0, *argv(1)], env=envs[who],
               check=False).returncode:
            return f"error: {name} failed to run on {who}"
    for who, py in sides.items():
        for pad in paddings:
            for k in (1, 2):
                f = work / f"{name}.{who}.pad{pad}.{k}N.out"
                args = [HERE / "heap_layout.py", pad, *argv(k)]
                jobs[(name, who, pad, k)] = (
                    pool.submit(callgrind_one, py, args, f, envs[who]), f)
    return None


def collect_layouts(jobs, by_name):
    for (name, who, pad, k), (fut, f) in jobs.items():
        row = by_name[name]
        try:
            ir = fut.result()
        except RuntimeError as e:
            row["status"] = f"error: {e}"
            log(f"callgrind {name} {who} padding {pad} {k}N: error")
            continue
        row.setdefault(f"{who}_{k}N", {})[str(pad)] = ir
        log(f"callgrind {name} {who} padding {pad} {k}N: {ir:,} Ir")


def compare_layouts(r, paddings, work):
    """Fill in a row's medians, ratio, layout range, PASS/MISS and (on a MISS) breakdown."""
    sides = ("upstream", "patched")
    per_layout = {who: [r[f"{who}_2N"][str(p)] - r[f"{who}_1N"][str(p)]
                        for p in paddings] for who in sides}
    r["upstream_ir"] = median_int(per_layout["upstream"])
    r["patched_ir"] = median_int(per_layout["patched"])
    r["ratio"] = r["patched_ir"] / r["upstream_ir"]
    layout_ratios = [p / u for p, u in zip(per_layout["patched"], per_layout["upstream"])]
    r["layout_ratio_range"] = [min(layout_ratios), max(layout_ratios)]
    r["status"] = "PASS" if r["ratio"] <= r["target"] else "MISS"
    if r["status"] == "MISS" and shutil.which("callgrind_annotate"):
        # The layout whose patched count is the median one.
        pad = paddings[per_layout["patched"].index(r["patched_ir"])]
        files = {(who, k): work / f"{r['name']}.{who}.pad{pad}.{k}N.out"
                 for who in sides for k in (1, 2)}
        r["cost_breakdown"] = cost_breakdown(files)
        r["cost_breakdown_padding"] = pad


def layouts_method(paddings):
    return ("Ir(2N) - Ir(N) for each interpreter (bytecode caches warmed first), "
            f"under {len(paddings)} heap layout(s) (bench/heap_layout.py, "
            f"paddings {', '.join(map(str, paddings))}); ratio of the interpreters' medians")


def choose_paddings(opts, default=CALLGRIND_LAYOUTS):
    layouts = opts.layouts or (1 if opts.tiny else 3 if opts.subset else default)
    return HEAP_PADDINGS[:layouts]


def phase_callgrind(opts, python, upstream, out, build):
    problem = ensure_valgrind()
    if problem:
        return {"status": problem, "rows": []}
    bmdir = pyperformance_benchmarks_dir(build)
    work = out / "callgrind"
    work.mkdir(parents=True, exist_ok=True)
    envs = layout_envs(work, bmdir)
    workloads = [w for w in WORKLOADS if not opts.micro or w[0] in opts.micro]
    paddings = choose_paddings(opts)
    rows, jobs = [], {}
    sides = {"upstream": upstream, "patched": python}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs_count(opts)) as pool:
        for name, n, what in workloads:
            script = MICRO / f"{name}.py"
            if name.startswith("pp_"):
                src = bmdir / f"bm_{name[3:]}" / "run_benchmark.py" if bmdir else None
                if not src:
                    rows.append({"name": name, "what": what,
                                 "status": "unavailable: pyperformance is not installed"})
                    continue
            else:
                src = script
            n = 1 if opts.tiny and not name.startswith("pp_") else n
            plain = not has_with_or_finally(src)
            row = {"name": name, "what": what, "n": n, "plain": plain,
                   "target": TARGETS["callgrind_plain" if plain else "callgrind"]}
            rows.append(row)
            problem = submit_layouts(pool, jobs, sides, envs, work, name,
                                     lambda k, script=script, n=n: [script, n * k], paddings)
            if problem:
                row["status"] = problem
        collect_layouts(jobs, {r["name"]: r for r in rows})
    for r in rows:
        if "status" not in r:
            compare_layouts(r, paddings, work)
    return {"status": "ok", "rows": rows, "hashseed": 0, "paddings": list(paddings),
            "method": layouts_method(paddings)}


def stdlib_ops_list(python):
    return json.loads(run([python, "-s", HERE / "stdlib_ops.py", "--list"], quiet=True,
                          env=clean_env()).stdout)


# --- whole-suite instruction counts -----------------------------------------------------

# Heap layouts per whole-suite count unless --layouts says otherwise: each layout is one
# more count of every benchmark on both interpreters.
SUITE_LAYOUTS = 3


def read_pyperf_json(path):
    """Each benchmark of a pyperf JSON file: name, loops, values (standard library json)."""
    data = json.loads(Path(path).read_text())
    rows = []
    for b in data["benchmarks"]:
        common = dict(data.get("metadata", {}), **b.get("metadata", {}))
        loops, values, name = None, [], common.get("name")
        for r in b["runs"]:
            md = dict(common, **r.get("metadata", {}))
            loops = md.get("loops", loops)
            name = md.get("name", name)
            values += r.get("values", [])
        rows.append({"name": name, "loops": loops, "values": values})
    return rows


def worker_argv(bench, task, loops, warmups=0, values=1):
    """A pyperf worker running one task of a runscript with fixed loops, in-process."""
    return [bench["runscript"], *bench["extra_opts"], "--worker", "--worker-task", str(task),
            "--loops", str(loops), "--warmups", str(warmups), "--values", str(values)]


def calibrate_tasks(venv, bench, env, dest, prefix=()):
    """The runscript's tasks (pyperf benchmarks) and the loops pyperf calibrates for each,
    from one native worker process (--calibrate-loops); None if it fails."""
    dest.unlink(missing_ok=True)
    cmd = [*prefix, venv, "-s", HERE / "heap_layout.py", 0, bench["runscript"],
           *bench["extra_opts"], "--worker", "--calibrate-loops", "--output", dest]
    res = run(cmd, check=False, env=env, timeout=3600)
    if res.returncode or not dest.exists():
        return None, (res.stderr or res.stdout or "")[-2000:]
    tasks = [{"task": i, "name": b["name"], "loops": b["loops"]}
             for i, b in enumerate(read_pyperf_json(dest))]
    return tasks, None


def callgrind_tree(python, args, stem, env, timeout=None):
    """Ir of a process and of the processes it starts (--trace-children=yes, one profile
    per process): {"ir", "processes", "seconds"}."""
    def mine():
        # STEM.PID.out and .log, not those of a longer stem (STEM.again.PID.out).
        pattern = re.compile(re.escape(stem.name) + r"\.\d+\.(out|log)")
        return [f for f in stem.parent.iterdir() if pattern.fullmatch(f.name)]

    for old in mine():
        old.unlink()
    # Valgrind's messages go to a file: on a child's stderr they would reach the parent
    # that reads it (pyperf's bench_command parses its worker's output).
    cmd = ["valgrind", "--tool=callgrind", "--trace-children=yes",
           f"--callgrind-out-file={stem}.%p.out", f"--log-file={stem}.%p.log",
           python, "-s", *args]
    t0 = time.monotonic()
    res = run(cmd, check=False, env=env, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"{shlex.join(map(str, cmd))} failed (exit {res.returncode}):\n"
                           f"{res.stderr[-2000:]}")
    files = [f for f in mine() if f.suffix == ".out"]
    return {"ir": sum(callgrind_total(f) for f in files), "processes": len(files),
            "seconds": round(time.monotonic() - t0, 1), "command": shlex.join(map(str, cmd))}


def write_json(path, data):
    """Write atomically: a process on the other core may read it meanwhile."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def suite_benchmark(b, venvs, envs, work, paddings, resume, repeat):
    """Calibrate, then count every task of one benchmark on both sides under each layout.

    Results go to work/counts/NAME.json, rewritten after each count, so that --resume
    keeps every count already made."""
    dest = work / "counts" / f"{b['name']}.json"
    prof = work.parent / "callgrind" / "suite-ir"
    rec = json.loads(dest.read_text()) if resume and dest.exists() else {}
    if rec.get("complete"):
        log(f"suite-ir {b['name']}: kept (--resume)")
        return rec
    rec.update(benchmark=b["name"], runscript=Path(b["runscript"]).parent.name,
               extra_opts=b["extra_opts"])
    if "tasks" not in rec:
        # Loops are calibrated natively on upstream, then fixed for both interpreters.
        for who in ("upstream", "patched"):
            tasks, err = calibrate_tasks(venvs[who], b, envs[who],
                                         work / "counts" / f".calibrate-{b['name']}.json")
            if tasks:
                rec.update(tasks=tasks, calibrated_on=who)
                break
            rec.setdefault("failed", {})[who] = f"calibration failed: {err}"
        else:
            rec["complete"] = True
            write_json(dest, rec)
            log(f"suite-ir {b['name']}: FAILED on both interpreters")
            return rec
        write_json(dest, rec)
    counts = rec.setdefault("counts", {})
    for t in rec["tasks"]:
        argv = worker_argv(b, t["task"], t["loops"])
        for who in ("upstream", "patched"):
            if who in rec.get("failed", {}):
                continue
            # Natively first: the bytecode cache is warm, and a failure shows quickly.
            res = run([venvs[who], "-s", HERE / "heap_layout.py", 0, *argv], check=False,
                      env=envs[who], timeout=3600)
            if res.returncode:
                rec.setdefault("failed", {})[who] = (
                    f"task {t['name']} failed natively (exit {res.returncode}): "
                    f"{(res.stderr or res.stdout)[-2000:]}")
                write_json(dest, rec)
                continue
            plan = [(pad, "") for pad in paddings] + [
                (paddings[0], ".again" + (str(i + 1) if i else "")) for i in range(repeat)]
            for pad, again in plan:
                key = f"{t['name']}.{who}.pad{pad}{again}"
                if key in counts:
                    continue
                stem = prof / f"{b['name']}.{key}"
                try:
                    counts[key] = callgrind_tree(venvs[who], [HERE / "heap_layout.py", pad,
                                                              *argv], stem, envs[who],
                                                 timeout=6 * 3600)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    rec.setdefault("failed", {})[who] = f"task {t['name']}: {e}"[-2000:]
                    break
                log(f"suite-ir {b['name']} {key}: {counts[key]['ir']:,} Ir "
                    f"({counts[key]['seconds']:.0f}s)")
                write_json(dest, rec)
    rec["complete"] = True
    write_json(dest, rec)
    return rec


def suite_rows(records, paddings):
    """Per task: the medians over layouts, ratio, range, repeat check; and the failures."""
    rows, failed = [], []
    for rec in records:
        for who, why in sorted(rec.get("failed", {}).items()):
            failed.append({"benchmark": rec["benchmark"], "side": who, "error": why})
        if not rec.get("tasks") or rec.get("failed"):
            continue
        counts = rec["counts"]
        for t in rec["tasks"]:
            # --check-misses may have counted some tasks under more layouts.
            pads = list(paddings) + [
                p for p in HEAP_PADDINGS if p not in paddings
                and all(f"{t['name']}.{who}.pad{p}" in counts for who in ("upstream", "patched"))]
            per = {who: [counts[f"{t['name']}.{who}.pad{p}"]["ir"] for p in pads]
                   for who in ("upstream", "patched")}
            row = {"benchmark": rec["benchmark"], "name": t["name"], "loops": t["loops"],
                   "upstream_ir": median_int(per["upstream"]),
                   "patched_ir": median_int(per["patched"]),
                   "seconds": sum(c["seconds"] for k, c in counts.items()
                                  if k.startswith(t["name"] + "."))}
            row["ratio"] = row["patched_ir"] / row["upstream_ir"]
            ratios = [p / u for p, u in zip(per["patched"], per["upstream"])]
            row["layout_ratio_range"] = [min(ratios), max(ratios)]
            row["layouts"] = len(pads)
            row["status"] = "PASS" if row["ratio"] <= TARGETS["suite_worst"] else "MISS"
            # .again, then .again2, .again3, ... (--check-repeat)
            again = {who: [c["ir"] for k, c in counts.items() if re.fullmatch(
                re.escape(f"{t['name']}.{who}.pad{paddings[0]}.again") + r"\d*", k)]
                for who in ("upstream", "patched")}
            if all(again.values()):
                row["repeat"] = {who: [per[who][0], *again[who]] for who in again}
            rows.append(row)
    return rows, failed


def count_failed_again_alone(benches, work, count):
    """Call count(b) for each benchmark b whose record has a failure, one at a time: some
    bind fixed ports (asyncio_tcp and asyncio_tcp_ssl both listen on 8882), so one can
    fail only because another ran beside it."""
    for b in benches:
        f = work / "counts" / f"{b['name']}.json"
        if f.exists() and json.loads(f.read_text()).get("failed"):
            log(f"suite-ir {b['name']}: failed beside other counts; counting it again, alone")
            count(b)


def count_misses_again(benches, work, paddings, count):
    """Call count(b) for each benchmark b with a task above the per-benchmark target not
    yet counted under each of PADDINGS and again under the first.  A ratio that is the
    placement of the heap (a pool emptied and refilled on every iteration, coroutines)
    moves with the layout; one that is the run-to-run variation of a scheduling-dependent
    benchmark (dask's threads) moves between two counts of the same layout."""
    for b in benches:
        f = work / "counts" / f"{b['name']}.json"
        rec = json.loads(f.read_text()) if f.exists() else {}
        rows, _ = suite_rows([rec], paddings[:1]) if rec.get("complete") else ([], [])
        if any(r["status"] == "MISS" and (r["layouts"] < len(paddings) or not r.get("repeat"))
               for r in rows):
            log(f"suite-ir {b['name']}: above {TARGETS['suite_worst']}; counting it again "
                f"under paddings {', '.join(map(str, paddings))}")
            rec["complete"] = False
            write_json(f, rec)
            count(b)


def phase_suite_ir(opts, python, upstream, out, build):
    """Every benchmark of the selection, one pyperf worker process with fixed loops, under
    callgrind on both interpreters: total instructions, ratio, geometric mean."""
    problem = ensure_valgrind()
    if problem:
        return {"status": problem, "rows": []}
    venv_py = ensure_pyperformance(build)
    version = run([venv_py, "-c", "import pyperformance, pyperf; print(pyperformance."
                   "__version__, pyperf.__version__)"], quiet=True).stdout.split()
    selection = selection_of(opts)
    benches = list_benchmarks(venv_py, selection, upstream)
    sides = {"upstream": upstream, "patched": python}
    venvs = benchmark_venvs(venv_py, benches, selection, sides, build, opts)
    work = out / "suite-ir"
    (work / "counts").mkdir(parents=True, exist_ok=True)
    (out / "callgrind" / "suite-ir").mkdir(parents=True, exist_ok=True)
    envs = {who: clean_env(PYTHONPYCACHEPREFIX=str(out / "callgrind" / f"pycache-suite-{who}"))
            for who in sides}
    paddings = HEAP_PADDINGS[:opts.layouts or (1 if opts.tiny else SUITE_LAYOUTS)]
    repeat = opts.check_repeat or 0
    manifest = work / "interpreters.json"
    identity = {"upstream": fingerprint(upstream), "patched": fingerprint(python),
                "paddings": list(paddings), "selection": selection}
    if opts.resume and manifest.exists():
        recorded = json.loads(manifest.read_text())
        if recorded != identity:
            raise SystemExit(f"bench: --resume: {work} was measured with other interpreters "
                             f"or options ({recorded} != {identity})")
    elif not opts.resume:
        stale = list((work / "counts").glob("*.json"))
        if stale:
            raise SystemExit(f"bench: {work} already has counts; pass --resume to keep them "
                             "or choose another --out")
    write_json(manifest, identity)
    order = list(reversed(benches)) if opts.reverse else benches
    todo = [] if opts.measured_only else order
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs_count(opts)) as pool:
        futs = [pool.submit(suite_benchmark, b, venvs, envs, work, paddings, True,
                            repeat if i < (opts.check_benchmarks or 0) else 0)
                for i, b in enumerate(todo)]
        for f in futs:
            f.result()
    if jobs_count(opts) > 1:
        count_failed_again_alone(todo, work, lambda b: suite_benchmark(
            b, venvs, envs, work, paddings, False, 0))
    if opts.check_misses and not opts.measured_only:
        checked = paddings + tuple(p for p in HEAP_PADDINGS[:SUITE_LAYOUTS]
                                   if p not in paddings)
        count_misses_again(order, work, checked, lambda b: suite_benchmark(
            b, venvs, envs, work, checked, True, opts.check_repeat or 1))
    # Read back every benchmark's record: a process working from the other end
    # (--reverse) may have measured some.
    records, not_run = [], []
    for b in benches:
        f = work / "counts" / f"{b['name']}.json"
        rec = json.loads(f.read_text()) if f.exists() else {}
        if rec.get("complete"):
            records.append(rec)
        else:
            not_run.append(b["name"])
    rows, failed = suite_rows(records, paddings)
    res = {"status": "ok", "selection": selection, "selected": len(benches),
           "venv_versions": venv_versions(venvs),
           "pyperformance": version[0], "pyperf": version[1], "paddings": list(paddings),
           "rows": rows, "failed": failed, "not_run": not_run, "hashseed": 0,
           "cpu_seconds": sum(c["seconds"] for r in records
                              for c in r.get("counts", {}).values()),
           "example_command": next((c["command"] for r in records
                                    for c in r.get("counts", {}).values()), None),
           "method": "one pyperf worker process per benchmark task (--worker --worker-task "
                     "I --loops L --warmups 0 --values 1), L calibrated once natively by "
                     "pyperf (--calibrate-loops) on upstream and used on both; total Ir of "
                     "the process and its children (--trace-children=yes) under "
                     f"{len(paddings)} heap layout(s) (bench/heap_layout.py, paddings "
                     f"{', '.join(map(str, paddings))}); ratio of the interpreters' medians"}
    if rows:
        ratios = [r["ratio"] for r in rows]
        res["geomean"] = math.exp(sum(map(math.log, ratios)) / len(ratios))
        res["worst"] = max(rows, key=lambda r: r["ratio"])["name"]
        res["worst_ratio"] = max(ratios)
    return res


# --- wall clock, interleaved and pinned ----------------------------------------------------

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    if df <= len(T975):
        return T975[df - 1]
    z = 1.959964   # Cornish-Fisher expansion beyond the table, within 1e-3 there
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def ratio_interval(ratios):
    """Geometric mean of paired ratios and its 95% confidence interval (t on the logs)."""
    logs = [math.log(r) for r in ratios]
    n = len(logs)
    mean = sum(logs) / n
    if n < 2:
        return math.exp(mean), None, None
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1))
    h = t975(n - 1) * sd / math.sqrt(n)
    return math.exp(mean), math.exp(mean - h), math.exp(mean + h)


def resolved(lo, hi, ratio, width):
    """The interval is narrower than ±width around the ratio."""
    return lo is not None and hi / ratio - 1 <= width and 1 - lo / ratio <= width


def phase_wallclock(opts, python, upstream, out, build):
    """Wall-clock ratios, pinned to one core, the interpreters interleaved task by task,
    repeated until each ratio's 95% interval is within ±2% or the time budget ends."""
    venv_py = ensure_pyperformance(build)
    selection = selection_of(opts, ",".join(SUBSET))
    benches = list_benchmarks(venv_py, selection, upstream)
    sides = {"upstream": upstream, "patched": python}
    venvs = benchmark_venvs(venv_py, benches, selection, sides, build, opts)
    work = out / "wallclock"
    work.mkdir(parents=True, exist_ok=True)
    cpu = opts.cpu if opts.cpu is not None else (os.cpu_count() or 1) - 1
    pin = ["taskset", "--cpu-list", str(cpu)] if shutil.which("taskset") else []
    envs = {who: clean_env(PYTHONPYCACHEPREFIX=str(work / f"pycache-{who}")) for who in sides}
    width = TARGETS["wallclock_ci"]
    budget = (opts.budget if opts.budget is not None else 2 if opts.tiny else 60) * 60
    min_rounds = 2 if opts.tiny else 5
    tasks = []
    for b in benches:
        found, err = calibrate_tasks(venvs["upstream"], b, envs["upstream"],
                                     work / f"calibrate-{b['name']}.json", pin)
        if not found:
            tasks.append({"benchmark": b["name"], "name": b["name"], "error": err})
            continue
        tasks += [dict(t, benchmark=b["name"], bench=b, samples={"upstream": [],
                                                                 "patched": []})
                  for t in found]
    rnd, loads = wallclock_rounds(tasks, venvs, envs, work, pin, budget, min_rounds, width,
                                  1 if opts.tiny else 3)
    rows = []
    for t in tasks:
        row = {k: t.get(k) for k in ("benchmark", "name", "loops", "ratio", "low", "high",
                                     "resolved", "error")}
        row["rounds"] = len(t.get("samples", {}).get("patched", []))
        row["samples"] = t.get("samples")
        rows.append(row)
    return {"status": "ok", "rows": rows, "cpu": cpu if pin else None, "width": width,
            "budget_min": budget / 60, "rounds": rnd, "load_per_round": loads,
            "method": "for each task: one pyperf worker process per interpreter per round "
                      "(--worker --loops L --warmups 1 --values 3, L calibrated natively on "
                      "upstream), the two interleaved, the first alternating between rounds, "
                      f"both pinned with `taskset --cpu-list {cpu}`; ratio = geometric mean "
                      "of the rounds' patched/upstream means, 95% interval from Student's t "
                      "on their logarithms; a task stops once its interval is within "
                      f"±{width:.0%} (at least {min_rounds} rounds)"}


def wallclock_rounds(tasks, venvs, envs, work, pin, budget, min_rounds, width, values):
    """Run rounds over the tasks not yet resolved until none is left or the budget (s)
    ends; each task's samples, ratio, interval and resolved flag are updated in place.
    Returns the number of rounds and the load average after each."""
    t0 = time.monotonic()
    rnd = 0
    loads = []
    while True:
        todo = [t for t in tasks if "error" not in t and not t.get("resolved")]
        if not todo or time.monotonic() - t0 > budget:
            break
        for t in todo:
            if time.monotonic() - t0 > budget and len(t["samples"]["patched"]) >= min_rounds:
                continue
            order = ["upstream", "patched"] if rnd % 2 == 0 else ["patched", "upstream"]
            for who in order:
                dest = work / f"{t['name']}.{who}.json"
                dest.unlink(missing_ok=True)
                argv = worker_argv(t["bench"], t["task"], t["loops"], warmups=1,
                                   values=values)
                res = run([*pin, venvs[who], "-s", *argv, "--output", dest], check=False,
                          env=envs[who], timeout=3600)
                if res.returncode or not dest.exists():
                    t["error"] = f"{who}: exit {res.returncode}: {res.stderr[-1000:]}"
                    break
                (got,) = [b["values"] for b in read_pyperf_json(dest)]
                t["samples"][who].append(sum(got) / len(got))
            if "error" in t:
                continue
            ratios = [p / u for u, p in zip(t["samples"]["upstream"],
                                            t["samples"]["patched"])]
            t["ratio"], t["low"], t["high"] = ratio_interval(ratios)
            t["resolved"] = (len(ratios) >= min_rounds and
                             resolved(t["low"], t["high"], t["ratio"], width))
        loads.append(os.getloadavg()[0])
        rnd += 1
        done = sum(bool(t.get("resolved")) for t in tasks)
        log(f"wallclock: round {rnd} done, {done}/{len(tasks)} intervals within ±"
            f"{width:.0%}, {(time.monotonic() - t0) / 60:.1f} of {budget / 60:.1f} min")
    return rnd, loads


def phase_stdlib(opts, python, upstream, out, build):
    """Instructions per standard-library operation: (Ir(2N) - Ir(N)) / N, both sides."""
    problem = ensure_valgrind()
    if problem:
        return {"status": problem, "rows": []}
    work = out / "stdlib"
    work.mkdir(parents=True, exist_ok=True)
    envs = layout_envs(work)
    ops = stdlib_ops_list(upstream)
    if opts.ops:
        unknown = set(opts.ops) - {o["name"] for o in ops}
        if unknown:
            raise ValueError(f"unknown --ops {', '.join(sorted(unknown))}; choose from "
                             + ",".join(o["name"] for o in ops))
        ops = [o for o in ops if o["name"] in opts.ops]
    paddings = choose_paddings(opts, STDLIB_LAYOUTS)
    sides = {"upstream": upstream, "patched": python}
    rows, jobs = [], {}
    script = HERE / "stdlib_ops.py"
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs_count(opts)) as pool:
        for op in ops:
            n = max(op["n"] // 100, 2) if opts.tiny else op["n"]
            row = {"name": op["name"], "what": op["what"], "n": n,
                   "target": TARGETS["stdlib"]}
            rows.append(row)
            problem = submit_layouts(pool, jobs, sides, envs, work, op["name"],
                                     lambda k, op=op["name"], n=n: [script, op, n * k],
                                     paddings)
            if problem:
                row["status"] = problem
        collect_layouts(jobs, {r["name"]: r for r in rows})
    for r in rows:
        if "status" not in r:
            compare_layouts(r, paddings, work)
            r["upstream_per_op"] = r["upstream_ir"] / r["n"]
            r["patched_per_op"] = r["patched_ir"] / r["n"]
    return {"status": "ok", "rows": rows, "hashseed": 0, "paddings": list(paddings),
            "method": layouts_method(paddings) + "; per operation: divided by N"}


def median_int(values):
    """The median count (of an even number, the upper middle one): one of them."""
    values = sorted(values)
    return values[len(values) // 2]


# --- latency and deferred ------------------------------------------------------------------

def run_json_script(python, script, args):
    cmd = [python, "-s", HERE / script, *args]
    show(cmd)
    res = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=None,
                         text=True, env=clean_env(), timeout=1800)
    if res.returncode != 0:
        raise RuntimeError(f"{script} failed with exit code {res.returncode}")
    return json.loads(res.stdout)


def phase_latency(opts, python, upstream, out, build):
    trials = 20 if opts.tiny else 200
    args = ["--trials", str(trials)]
    if opts.tiny:
        args += ["--kinds", "busy,sleep,lock_acquire"]
    res = run_json_script(python, "latency.py", args)
    for r in res["rows"]:
        r["interpreter"] = "patched"
    ref = run_json_script(upstream, "latency.py", ["--trials", str(trials), "--kinds", "busy"])
    rows = res["rows"] + [dict(r, interpreter="upstream") for r in ref["rows"]
                          if r["method"] == "setasyncexc"]
    for r in rows:
        if "median_ns" not in r:
            r["verdict"] = "n/a"
            continue
        ok = (r["median_ns"] <= TARGETS["latency_median_ms"] * 1e6 and
              r["p99_ns"] <= TARGETS["latency_p99_ms"] * 1e6 and
              r["max_ns"] <= TARGETS["latency_max_ms"] * 1e6 and not r["timeouts"])
        r["verdict"] = "PASS" if ok else "MISS"
    return {"status": "ok", "trials": trials,
            "has_thread_interrupt": res["has_thread_interrupt"], "rows": rows}


DEFERRED_DEPTHS = (0, 100, 1000, 3000)


def deferred_callgrind_loops(depth):
    """Loop iterations counted at a depth: fewer where each iteration may cost O(depth)."""
    return 20000 if depth <= 100 else max(1000, 2_000_000 // depth)


def phase_deferred(opts, python, upstream, out, build):
    depths = opts.depths or ((0, 100) if opts.tiny else DEFERRED_DEPTHS)
    dargs = ["--depths", ",".join(map(str, depths))]
    args = ["--loops", "20000", "--repeat", "3"] if opts.tiny else []
    res = run_json_script(python, "deferred.py", args + dargs)
    res["depths"] = list(depths)
    for r in res.get("rows", []):
        r.setdefault("depth", 0)
        r["verdict"] = "PASS" if r["speed_ratio"] >= TARGETS["deferred_speed"] else "MISS"
    if not res.get("rows") or not shutil.which("valgrind") or opts.tiny:
        return res
    # The same loops' instruction counts: deterministic where the times above are not.
    work = out / "callgrind"
    work.mkdir(parents=True, exist_ok=True)
    env = clean_env(PYTHONPYCACHEPREFIX=str(work / "pycache-patched"))
    scopes = ("finally", "defer")
    run([python, "-s", HERE / "deferred.py", "--once", "finally,pending", "--loops", "10"],
        env=env)   # warm the bytecode cache
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs_count(opts)) as pool:
        for scope in scopes:
            for depth in depths:
                loops = deferred_callgrind_loops(depth)
                for variant in ("none", "pending"):
                    for k in (1, 2):
                        f = work / f"deferred-{scope}-d{depth}-{variant}.{k}N.out"
                        args = [HERE / "deferred.py", "--once", f"{scope},{variant},{depth}",
                                "--loops", str(loops * k)]
                        jobs[(scope, depth, variant, k)] = pool.submit(
                            callgrind_one, python, args, f, env)
        ir = {key: fut.result() for key, fut in jobs.items()}
    res["callgrind"] = []
    for scope in scopes:
        for depth in depths:
            loops = deferred_callgrind_loops(depth)
            none = ir[(scope, depth, "none", 2)] - ir[(scope, depth, "none", 1)]
            pending = ir[(scope, depth, "pending", 2)] - ir[(scope, depth, "pending", 1)]
            ratio = none / pending
            log(f"deferred {scope} depth {depth}: {none / loops:,.0f} Ir per iteration "
                f"with none pending, {pending / loops:,.0f} with one pending")
            row = {"scope": scope, "depth": depth, "loops": loops, "none_ir": none,
                   "pending_ir": pending, "ir_speed_ratio": ratio,
                   "verdict": "PASS" if ratio >= TARGETS["deferred_speed"] else "MISS"}
            if row["verdict"] == "MISS" and shutil.which("callgrind_annotate"):
                files = {(v, k): work / f"deferred-{scope}-d{depth}-{v}.{k}N.out"
                         for v in ("none", "pending") for k in (1, 2)}
                row["cost_breakdown"] = cost_breakdown(files, "pending", "none")
            res["callgrind"].append(row)
    return res


# --- report --------------------------------------------------------------------------------

def ms(ns):
    return "-" if ns is None else f"{ns / 1e6:.3f}"


def venv_lines(phase):
    if not phase.get("venv_versions"):
        return []
    return ["Benchmark venvs run: " + "; ".join(
        f"{who} `{v.splitlines()[0]}`" for who, v in phase["venv_versions"].items()) + ".", ""]


def report_md(res):
    m = res["machine"]
    lines = [f"# `./fork bench` results ({res['started']})", ""]
    if res.get("config", "default") != "default":
        lines += [f"Build configuration: **{res['config']}** (both interpreters).", ""]
    lines += [f"Command: `{res['command']}` (in `{res['cwd']}`), wall time "
              f"{res['wall_seconds'] / 60:.1f} min; per phase: " + ", ".join(
                  f"{p} {res[p]['seconds'] / 60:.1f} min" for p in PHASE_ORDER
                  if isinstance(res.get(p), dict) and "seconds" in res[p]) + ".", ""]
    load = max(m["loadavg_start"][0], m.get("loadavg_end", (0,))[0])
    if load > (m.get("cores") or 1):
        lines += [f"**Note: the load average reached {load:.1f} on {m.get('cores')} cores "
                  "during this run (other processes were running). Time-based figures "
                  "(pyperformance, latency, deferred-mode times) mostly measure that "
                  "contention and cannot resolve the targets here; the callgrind "
                  "instruction counts are unaffected.**", ""]
    for c in res.get("interpreter_changed", []):
        lines += [f"**WARNING: the {c['side']} interpreter binary changed during the run "
                  f"(before phase {c['before_phase'] or 'end'}); figures spanning the "
                  "change are not comparable.**", ""]
    pp = res.get("pyperformance")
    if pp:
        lines += ["## pyperformance (patched / upstream)", ""]
        if pp.get("rows"):
            if pp.get("not_run"):
                lines += [f"**Partial run: {pp['selected'] - len(pp['not_run'])} of "
                          f"{pp['selected']} benchmarks of the `{pp['selection']}` selection "
                          "were measured** (the run was stopped and reported with "
                          "`--resume --measured-only`); not measured: "
                          + ", ".join(pp["not_run"]) + ".", ""]
            lines += venv_lines(pp)
            lines += [f"pyperformance {pp['pyperformance']}, pyperf {pp.get('pyperf')}, "
                      f"options `{' '.join(pp['pyperf_opts']) or '(default)'}`, "
                      "benchmarks interleaved (upstream and patched alternately, "
                      "alternating which goes first).", "",
                      "| benchmark | upstream | patched | ratio | significant |",
                      "|---|---:|---:|---:|---|"]
            for r in pp["rows"]:
                lines.append(f"| {r['name']} | {r['base_mean'] * 1e3:.2f} ms ± "
                             f"{r['base_stdev'] * 1e3:.2f} | {r['changed_mean'] * 1e3:.2f} ms "
                             f"± {r['changed_stdev'] * 1e3:.2f} | {r['ratio']:.3f} | "
                             f"{'yes' if r['significant'] else 'no'} |")
            g = pp["geomean"]
            w = pp["worst_significant"]
            limit = TARGETS["pyperformance_worst_significant"]
            lines += ["", f"- Geometric mean: **{g:.4f}** (target ≤ "
                      f"{TARGETS['pyperformance_geomean']}): "
                      f"{'PASS' if g <= TARGETS['pyperformance_geomean'] else 'MISS'}",
                      f"- Slowest significant: {'none' if w is None else f'{w:.3f}'} "
                      f"(target ≤ {limit}): {'PASS' if w is None or w <= limit else 'MISS'}",
                      "", "`" + pp["compare_to_command"] + "`:", "", "```",
                      pp["compare_to"].rstrip(), "```"]
        else:
            lines.append(f"Status: {pp.get('status')}")
        for f in pp.get("failed", []):
            lines.append(f"- FAILED: {f['name']} on {f['side']} (exit {f['rc']})")
        lines.append("")
    cg = res.get("callgrind")
    if cg:
        lines += ["## Instruction counts (callgrind, patched / upstream)", ""]
        if cg["rows"]:
            lines += [f"Method: {cg['method']}; PYTHONHASHSEED=0. Target ≤ "
                      f"{TARGETS['callgrind']}, ≤ {TARGETS['callgrind_plain']} where the "
                      "workload's source has no `with`/`finally` (marked plain).", "",
                      "Upstream and patched Ir are the medians over the layouts; the "
                      "range is that of the per-layout ratios.", "",
                      "| workload | what | N | upstream Ir | patched Ir | ratio | layout range "
                      "| target | |",
                      "|---|---|---:|---:|---:|---:|---|---:|---|"]
            for r in cg["rows"]:
                if "ratio" in r:
                    lo, hi = r.get("layout_ratio_range", (r["ratio"], r["ratio"]))
                    lines.append(f"| {r['name']} | {r['what']}{' (plain)' if r['plain'] else ''}"
                                 f" | {r['n']} | {r['upstream_ir']:,} | {r['patched_ir']:,} | "
                                 f"{r['ratio']:.4f} | {lo:.4f}-{hi:.4f} | {r['target']} | "
                                 f"{r['status']} |")
                else:
                    lines.append(f"| {r['name']} | {r['what']} | | | | | | | {r['status']} |")
            for r in cg["rows"]:
                if r.get("cost_breakdown"):
                    where = (f", layout of padding {r['cost_breakdown_padding']}"
                             if "cost_breakdown_padding" in r else "")
                    lines += ["", f"Where {r['name']}'s extra instructions are (exclusive Ir "
                              f"per function, patched minus upstream, workload only{where}):",
                              "",
                              "| function | extra Ir |", "|---|---:|"]
                    lines += [f"| `{c['function']}` | {c['extra_ir']:,} |"
                              for c in r["cost_breakdown"]]
        else:
            lines.append(f"Status: {cg['status']}")
        lines.append("")
    st = res.get("stdlib")
    if st:
        lines += ["## Standard-library operations (callgrind, Ir per operation, "
                  "patched / upstream)", ""]
        if st["rows"]:
            lines += [f"Method: {st['method']}; PYTHONHASHSEED=0 "
                      "(`bench/stdlib_ops.py` runs each operation). "
                      f"Target ≤ {TARGETS['stdlib']}.", "",
                      "| operation | N | upstream Ir/op | patched Ir/op | ratio | layout range "
                      "| target | |", "|---|---:|---:|---:|---:|---|---:|---|"]
            for r in st["rows"]:
                if "ratio" in r:
                    lo, hi = r["layout_ratio_range"]
                    lines.append(f"| {r['what']} | {r['n']:,} | {r['upstream_per_op']:,.1f} | "
                                 f"{r['patched_per_op']:,.1f} | {r['ratio']:.4f} | "
                                 f"{lo:.4f}-{hi:.4f} | {r['target']} | {r['status']} |")
                else:
                    lines.append(f"| {r['what']} | {r['n']:,} | | | | | | {r['status']} |")
            for r in st["rows"]:
                if r.get("cost_breakdown"):
                    lines += ["", f"Where `{r['name']}`'s extra instructions are (exclusive "
                              f"Ir per function, patched minus upstream, {r['n']:,} "
                              "operations, layout of padding "
                              f"{r['cost_breakdown_padding']}):", "",
                              "| function | extra Ir |", "|---|---:|"]
                    lines += [f"| `{c['function']}` | {c['extra_ir']:,} |"
                              for c in r["cost_breakdown"]]
        else:
            lines.append(f"Status: {st['status']}")
        lines.append("")
    su = res.get("suite-ir")
    if su:
        lines += ["## Whole suite, instruction counts (callgrind, patched / upstream)", ""]
        if su.get("rows") or su.get("failed"):
            if su.get("not_run"):
                lines += [f"**Partial: {su['selected'] - len(su['not_run'])} of "
                          f"{su['selected']} benchmarks of the `{su['selection']}` selection "
                          "counted**; not counted: " + ", ".join(su["not_run"]) + ".", ""]
            lines += venv_lines(su)
            lines += [f"pyperformance {su['pyperformance']}, pyperf {su['pyperf']}, "
                      f"selection `{su['selection']}`. Method: {su['method']}; "
                      f"PYTHONHASHSEED=0. Targets: geometric mean ≤ "
                      f"{TARGETS['suite_geomean']}, every benchmark ≤ "
                      f"{TARGETS['suite_worst']}. Callgrind CPU time: "
                      f"{su['cpu_seconds'] / 3600:.1f} h.", ""]
            if su.get("example_command"):
                lines += ["One count, as run:", "", "```", su["example_command"], "```", ""]
            if su.get("rows"):
                g, w = su["geomean"], su["worst_ratio"]
                lines += [f"- Geometric mean over {len(su['rows'])} benchmarks: **{g:.4f}** "
                          f"(target ≤ {TARGETS['suite_geomean']}): "
                          f"{'PASS' if g <= TARGETS['suite_geomean'] else 'MISS'}",
                          f"- Highest: {su['worst']} **{w:.4f}** (target ≤ "
                          f"{TARGETS['suite_worst']}): "
                          f"{'PASS' if w <= TARGETS['suite_worst'] else 'MISS'}", "",
                          "| benchmark | loops | upstream Ir | patched Ir | ratio | "
                          "layout range | | callgrind s |",
                          "|---|---:|---:|---:|---:|---|---|---:|"]
                for r in su["rows"]:
                    lo, hi = r["layout_ratio_range"]
                    more = (f" ({r['layouts']} layouts)" if r.get("layouts", 1)
                            > len(su.get("paddings") or [1]) else "")
                    lines.append(f"| {r['name']} | {r['loops']:,} | {r['upstream_ir']:,} | "
                                 f"{r['patched_ir']:,} | {r['ratio']:.4f} | {lo:.4f}-{hi:.4f}"
                                 f"{more} | {r['status']} | {r['seconds']:.0f} |")
                checked = [r for r in su["rows"] if r.get("repeat")]
                if checked:
                    lines += ["", "Reproducibility: the same count made again (first layout):",
                              "", "| benchmark | side | first | again | difference |",
                              "|---|---|---:|---:|---:|"]
                    for r in checked:
                        for who, (a, *b) in r["repeat"].items():
                            for x in b:
                                lines.append(f"| {r['name']} | {who} | {a:,} | {x:,} | "
                                             f"{(x - a) / a:+.2e} |")
                    lines += ["", "Ratio of the first counts, then of each repeated pair:", ""]
                    for r in checked:
                        (u, *us), (p, *ps) = r["repeat"]["upstream"], r["repeat"]["patched"]
                        lines.append(f"- {r['name']}: {p / u:.4f}, again "
                                     + ", ".join(f"{y / x:.4f}" for x, y in zip(us, ps)))
            for f in su.get("failed", []):
                last = (f["error"].strip().splitlines() or [""])[-1]
                lines.append(f"- FAILED: {f['benchmark']} on {f['side']}: {last}")
        else:
            lines.append(f"Status: {su.get('status')}")
        lines.append("")
    wc = res.get("wallclock")
    if wc:
        lines += ["## Wall clock, interleaved and pinned (patched / upstream)", ""]
        if wc.get("rows"):
            lines += [f"Method: {wc['method']}. Budget {wc['budget_min']:g} min, "
                      f"{wc['rounds']} rounds; load average at the end of each round: "
                      + ", ".join(f"{x:.1f}" for x in wc["load_per_round"]) + ".", "",
                      "| benchmark | loops | rounds | ratio | 95% interval | within ±"
                      f"{wc['width']:.0%} | what it resolves |",
                      "|---|---:|---:|---:|---|---|---|"]
            for r in wc["rows"]:
                if r.get("error") or r.get("low") is None:
                    lines.append(f"| {r['name']} | {r.get('loops') or ''} | {r['rounds']} | | "
                                 f"| | {(r.get('error') or 'too few rounds').splitlines()[0]} |")
                    continue
                lo, hi = r["low"], r["high"]
                if lo > 1:
                    says = "patched slower"
                elif hi < 1:
                    says = "patched faster"
                else:
                    says = "no difference resolved"
                says += f"; excludes a slowdown above {hi - 1:+.1%}" if hi > 1 else ""
                lines.append(f"| {r['name']} | {r['loops']:,} | {r['rounds']} | "
                             f"{r['ratio']:.3f} | {lo:.3f}-{hi:.3f} | "
                             f"{'yes' if r['resolved'] else 'no'} | {says} |")
            lines += ["", "An interval within ±2% cannot tell a 1% cost from none: the "
                      "instruction counts resolve that; the wall clock bounds what the "
                      "counts could miss (caches, branch prediction, code layout).", ""]
        else:
            lines.append(f"Status: {wc.get('status')}")
        lines.append("")
    lat = res.get("latency")
    if lat:
        lines += ["## Interrupt latency (post → ThreadInterrupt handler)", "",
                  f"{lat['trials']} trials per row; targets: median ≤ "
                  f"{TARGETS['latency_median_ms']} ms, p99 ≤ {TARGETS['latency_p99_ms']} ms, "
                  f"max ≤ {TARGETS['latency_max_ms']} ms.", "",
                  "| target thread | posted with | interpreter | median ms | p99 ms | max ms "
                  "| status | |", "|---|---|---|---:|---:|---:|---|---|"]
        for r in lat["rows"]:
            lines.append(f"| {r['kind']} | {r['method']} | {r['interpreter']} | "
                         f"{ms(r.get('median_ns'))} | {ms(r.get('p99_ns'))} | "
                         f"{ms(r.get('max_ns'))} | {r['status']} | {r['verdict']} |")
        lines += ["", "`setasyncexc` rows post with ctypes `PyThreadState_SetAsyncExc`, which "
                  "reaches a thread running Python code only; they are a reference, not the "
                  "PEP's API.", ""]
    d = res.get("deferred")
    if d:
        lines += ["## Deferred mode (protected loop, interrupt pending vs none)", ""]
        if d.get("rows"):
            lines += ["The loop runs in the protected scope (depth 0) or that many frames "
                      "below it.", "",
                      "| scope | depth | loop iterations | best, none (ms) | best, pending (ms) "
                      "| speed ratio | target | | undelivered |",
                      "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
            for r in d["rows"]:
                lines.append(f"| {r['scope']} | {r.get('depth', 0):,} | {r['loops']:,} | "
                             f"{ms(r['best_none_ns'])} | "
                             f"{ms(r['best_pending_ns'])} | {r['speed_ratio']:.3f} | ≥ "
                             f"{TARGETS['deferred_speed']} | {r['verdict']} | "
                             f"{r['undelivered']} |")
            lines += ["", "Times are the best of interleaved runs on a shared machine. The "
                      "same loops' instruction counts (callgrind, Ir(2L) - Ir(L)), "
                      "deterministic:", "",
                      "| scope | depth | loop iterations L | Ir, none | Ir, pending | "
                      "Ir per iteration, none / pending | speed ratio "
                      "(Ir none / Ir pending) | |", "|---|---:|---:|---:|---:|---:|---:|---|"]
            for r in d.get("callgrind", []):
                lines.append(f"| {r['scope']} | {r.get('depth', 0):,} | {r['loops']:,} | "
                             f"{r['none_ir']:,} | {r['pending_ir']:,} | "
                             f"{r['none_ir'] / r['loops']:,.0f} / "
                             f"{r['pending_ir'] / r['loops']:,.0f} | "
                             f"{r['ir_speed_ratio']:.3f} | {r['verdict']} |")
            for r in d.get("callgrind", []):
                if r.get("cost_breakdown"):
                    lines += ["", f"Where the {r['scope']} loop's extra instructions with an "
                              f"interrupt pending are at depth {r.get('depth', 0):,} "
                              "(exclusive Ir per function, pending minus none, loop only):",
                              "", "| function | extra Ir |", "|---|---:|"]
                    lines += [f"| `{c['function']}` | {c['extra_ir']:,} |"
                              for c in r["cost_breakdown"]]
        else:
            lines.append(f"Status: {d.get('status')}")
        lines.append("")
    lines += ["## Machine", "", "| | |", "|---|---|"]
    for k in ("cpu", "cores", "memory", "kernel", "system", "compiler", "valgrind",
              "host_python"):
        lines.append(f"| {k} | {m.get(k)} |")
    lines.append(f"| load average (start → end) | {m['loadavg_start']} → {m['loadavg_end']} |")
    for who in ("upstream", "patched"):
        i = m[who]
        lines.append(f"| {who} | `{i['executable']}`: {i['version'].replace('|', '/')} |")
        lines.append(f"| {who} configure / OPT | `{i['config_args'] or '(none)'}` / "
                     f"`{i['opt']}` |")
        if res.get("interpreter_fingerprints"):
            lines.append(f"| {who} binary (size mtime sha256) | "
                         f"{res['interpreter_fingerprints'][who]} |")
    lines += ["", "Chart: [chart.svg](chart.svg). Machine-readable: "
              "[results.json](results.json).", ""]
    return "\n".join(lines)


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chart_svg(res):
    bars = []
    pp = res.get("pyperformance") or {}
    for r in pp.get("rows", []):
        bars.append((f"pyperf {r['name']}", r["ratio"],
                     TARGETS["pyperformance_worst_significant"]))
    for r in (res.get("callgrind") or {}).get("rows", []):
        if "ratio" in r:
            bars.append((f"Ir {r['name']}", r["ratio"], r["target"]))
    lat = [r for r in (res.get("latency") or {}).get("rows", []) if r.get("samples_ns")]
    W, left, right = 900, 220, 40
    row_h = 18
    h1 = 50 + row_h * max(len(bars), 1) + 30
    h2 = 50 + 24 * max(len(lat), 1) + 40
    H = h1 + h2
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="10" y="20" font-size="14">patched / upstream ratio '
           f'(pyperformance time, callgrind instructions); dashed: target</text>']
    lo, hi = 0.9, 1.1
    if bars:
        lo = min(lo, min(b[1] for b in bars) - 0.01)
        hi = max(hi, max(b[1] for b in bars) + 0.01)
    plot_w = W - left - right

    def x(v):
        return left + (v - lo) / (hi - lo) * plot_w

    top = 40
    for t in [lo + (hi - lo) * i / 8 for i in range(9)]:
        out.append(f'<line x1="{x(t):.1f}" y1="{top}" x2="{x(t):.1f}" '
                   f'y2="{top + row_h * len(bars)}" stroke="#eee"/>')
        out.append(f'<text x="{x(t):.1f}" y="{top + row_h * len(bars) + 14}" '
                   f'text-anchor="middle">{t:.3f}</text>')
    out.append(f'<line x1="{x(1):.1f}" y1="{top}" x2="{x(1):.1f}" '
               f'y2="{top + row_h * len(bars)}" stroke="black"/>')
    for i, (label, v, target) in enumerate(bars):
        y = top + i * row_h
        color = "#c0392b" if v > target else "#2e86c1"
        x0, x1 = sorted((x(1), x(v)))
        out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{esc(label)}</text>')
        out.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" '
                   f'height="{row_h - 6}" fill="{color}"/>')
        out.append(f'<line x1="{x(target):.1f}" y1="{y + 1}" x2="{x(target):.1f}" '
                   f'y2="{y + row_h - 1}" stroke="#555" stroke-dasharray="2,2"/>')
        out.append(f'<text x="{max(x1, x0) + 4:.1f}" y="{y + 12}">{v:.4f}</text>')
    # Latency distributions on a log axis, 1 us .. 1 s.
    y0 = h1
    out.append(f'<text x="10" y="{y0 + 20}" font-size="14">interrupt latency (log scale): '
               f'samples, median (black), p99 (orange); dashed: 0.2 ms / 2 ms / 20 ms</text>')
    llo, lhi = 3.0, 9.0

    def lx(ns):
        return left + (math.log10(max(ns, 1e3)) - llo) / (lhi - llo) * plot_w

    top = y0 + 40
    bottom = top + 24 * len(lat)
    for e, label in [(3, "1 µs"), (4, "10 µs"), (5, "100 µs"), (6, "1 ms"), (7, "10 ms"),
                     (8, "100 ms"), (9, "1 s")]:
        out.append(f'<line x1="{lx(10 ** e):.1f}" y1="{top}" x2="{lx(10 ** e):.1f}" '
                   f'y2="{bottom}" stroke="#eee"/>')
        out.append(f'<text x="{lx(10 ** e):.1f}" y="{bottom + 14}" '
                   f'text-anchor="middle">{label}</text>')
    for limit in (2e5, 2e6, 2e7):
        out.append(f'<line x1="{lx(limit):.1f}" y1="{top}" x2="{lx(limit):.1f}" '
                   f'y2="{bottom}" stroke="#999" stroke-dasharray="3,3"/>')
    for i, r in enumerate(lat):
        y = top + i * 24 + 12
        out.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">'
                   f'{esc(r["kind"])} ({esc(r["method"])}, {esc(r["interpreter"])})</text>')
        for s in r["samples_ns"]:
            out.append(f'<line x1="{lx(s):.1f}" y1="{y - 6}" x2="{lx(s):.1f}" y2="{y + 6}" '
                       f'stroke="#2e86c1" stroke-opacity="0.3"/>')
        for key, color in (("median_ns", "black"), ("p99_ns", "#e67e22")):
            out.append(f'<line x1="{lx(r[key]):.1f}" y1="{y - 9}" x2="{lx(r[key]):.1f}" '
                       f'y2="{y + 9}" stroke="{color}" stroke-width="2"/>')
    if not lat:
        out.append(f'<text x="{left}" y="{top + 12}">no latency samples</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- driver --------------------------------------------------------------------------------

def add_arguments(p):
    p.add_argument("--subset", action="store_true",
                   help=f"pyperformance: only {', '.join(SUBSET)}, with pyperf --fast")
    p.add_argument("--fast", action="store_true",
                   help="pyperformance: pyperf --fast (fewer processes and values) for the "
                   "full suite too; --subset implies it")
    p.add_argument("--resume", action="store_true",
                   help="pyperformance, suite-ir: keep the benchmarks already measured in "
                   "--out (same interpreter binaries and options), run the others")
    p.add_argument("--reverse", action="store_true",
                   help="pyperformance, suite-ir: run the selection in reverse order (with "
                   "--resume, a second process on another core can work from the other end)")
    p.add_argument("--measured-only", action="store_true",
                   help="with --resume: run no new pyperformance or suite-ir benchmark, "
                   "report on those already measured (a run stopped before the end)")
    p.add_argument("--out", help="output directory (default: build/bench/results-TIMESTAMP)")
    p.add_argument("--phases",
                   help=f"comma-separated phases among {','.join(PHASES + EXTRA_PHASES)} "
                   f"(default: {','.join(PHASES)}, or those of --stdlib, --suite-ir, "
                   "--wallclock)")
    p.add_argument("--stdlib", action="store_true",
                   help="the stdlib phase only (with --suite-ir/--wallclock: also): "
                   "instructions per standard-library operation (bench/stdlib_ops.py)")
    p.add_argument("--ops", type=lambda s: s.split(","),
                   help="stdlib operations to count (default: all)")
    p.add_argument("--suite-ir", action="store_true",
                   help="the suite-ir phase only (hours): every benchmark of the selection "
                   "(pyperformance's default one unless --subset/--benchmarks) run once "
                   "under callgrind, fixed loops, on both interpreters; with --resume, "
                   "--reverse and --jobs like pyperformance's")
    p.add_argument("--check-benchmarks", type=int, metavar="K",
                   help="suite-ir: count the first K benchmarks again (--check-repeat "
                   "times, first layout) to show the counts are reproducible")
    p.add_argument("--check-repeat", type=int, default=1, metavar="R",
                   help="suite-ir: repeats per checked benchmark (default 1)")
    p.add_argument("--check-misses", action="store_true",
                   help="suite-ir: count every benchmark with a task above the target "
                   "under the default three layouts and again under the first, to "
                   "separate heap placement and scheduling from cost; its ratio becomes "
                   "the median of its layouts (with --resume: of a finished run too)")
    p.add_argument("--wallclock", action="store_true",
                   help="the wallclock phase only: the selection (--subset's by default) "
                   "timed pinned to one core, the interpreters interleaved, repeated until "
                   "each ratio's 95%% interval is within ±2%% or --budget ends")
    p.add_argument("--budget", type=float, metavar="MIN",
                   help="wallclock: time budget in minutes (default 60)")
    p.add_argument("--cpu", type=int,
                   help="wallclock: the core to pin to (default: the last one)")
    p.add_argument("--release", action="store_true",
                   help="measure the release builds (PGO + LTO: ./fork build --release, "
                   "--upstream) as well as the default ones, into --out/default and "
                   "--out/release, with a side-by-side report in --out")
    p.add_argument("--release-only", action="store_true",
                   help="measure the release builds only")
    p.add_argument("--jobs", type=int,
                   help="callgrind processes at a time (default: one per core)")
    p.add_argument("--depths", type=lambda s: tuple(int(d) for d in s.split(",")),
                   help="deferred: frames between the protecting scope and the loop "
                   f"(default: {','.join(map(str, DEFERRED_DEPTHS))})")
    p.add_argument("--benchmarks", type=lambda s: s.split(","),
                   help="pyperformance benchmarks to run (overrides --subset's list)")
    p.add_argument("--micro", type=lambda s: s.split(","),
                   help="callgrind workloads to run (default: all): "
                   + ",".join(w[0] for w in WORKLOADS))
    p.add_argument("--layouts", type=int, choices=range(1, len(HEAP_PADDINGS) + 1),
                   help="callgrind, stdlib, suite-ir: heap layouts per count (default: "
                   f"{CALLGRIND_LAYOUTS}, {STDLIB_LAYOUTS} for stdlib, 3 with --subset, "
                   f"{SUITE_LAYOUTS} for suite-ir, 1 with --tiny; paddings {HEAP_PADDINGS})")
    p.add_argument("--tiny", action="store_true",
                   help="smallest sizes and no deferred-mode instruction counts, for testing "
                   "the tool (figures are meaningless)")


def selected_phases(opts):
    asked = [name for name, flag in (("stdlib", "stdlib"), ("suite-ir", "suite_ir"),
                                     ("wallclock", "wallclock"))
             if getattr(opts, flag, False)]
    if opts.phases:
        return list(dict.fromkeys(opts.phases.split(",") + asked))
    return asked or list(PHASES)


def bench(opts, python, upstream, build, command):
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    out = Path(opts.out or build / "bench" / f"results-{started:%Y%m%d-%H%M%S}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    phases = selected_phases(opts)
    unknown = set(phases) - set(PHASES + EXTRA_PHASES)
    if unknown:
        raise SystemExit(f"bench: unknown phases {', '.join(sorted(unknown))}")
    if opts.measured_only and not opts.resume:
        raise SystemExit("bench: --measured-only needs --resume")
    log(f"patched {python}, upstream {upstream}, output {out}")
    res = {"started": started.isoformat(timespec="seconds"), "command": command,
           "cwd": os.getcwd(), "subset": opts.subset, "fast": opts.fast, "tiny": opts.tiny,
           "resume": opts.resume, "measured_only": opts.measured_only,
           "config": getattr(opts, "config", "default"), "targets": TARGETS,
           "machine": machine(python, upstream)}
    funcs = {"pyperformance": phase_pyperformance, "callgrind": phase_callgrind,
             "stdlib": phase_stdlib, "latency": phase_latency, "deferred": phase_deferred,
             "suite-ir": phase_suite_ir, "wallclock": phase_wallclock}
    # Deterministic and quick phases first; pyperformance (timing-sensitive) last.
    prints = {"patched": fingerprint(python), "upstream": fingerprint(upstream)}
    res["interpreter_fingerprints"] = prints
    res["interpreter_changed"] = []
    for phase in PHASE_ORDER + [None]:
        now = {"patched": fingerprint(python), "upstream": fingerprint(upstream)}
        for who in now:
            if now[who] != prints[who]:
                log(f"WARNING: the {who} interpreter changed (rebuilt?) before phase {phase}")
                res["interpreter_changed"].append({"side": who, "before_phase": phase,
                                                   "fingerprint": now[who]})
                prints[who] = now[who]
        if phase not in phases:
            continue
        log(f"phase {phase}")
        p0 = time.monotonic()
        try:
            res[phase] = funcs[phase](opts, python, upstream, out, build)
        except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError) as e:
            log(f"phase {phase} failed: {e}")
            res[phase] = {"status": f"error: {e}", "rows": []}
        res[phase]["seconds"] = round(time.monotonic() - p0, 1)
        log(f"phase {phase} done in {res[phase]['seconds']:.0f}s")
    res["machine"]["loadavg_end"] = os.getloadavg()
    res["wall_seconds"] = round(time.monotonic() - t0, 1)
    (out / "results.json").write_text(json.dumps(res, indent=1) + "\n")
    render(out)
    summarize(res)
    log(f"wrote {out / 'results.json'}, {out / 'report.md'}, {out / 'chart.svg'} "
        f"in {res['wall_seconds'] / 60:.1f} min")
    return res


def configs_of(opts):
    if getattr(opts, "release_only", False):
        return ["release"]
    return ["default", "release"] if getattr(opts, "release", False) else ["default"]


def bench_configs(opts, configs, build, command):
    """bench() for each build configuration {name: (patched, upstream)}; with more than
    one, each in its own subdirectory of --out, plus a side-by-side report."""
    if len(configs) == 1:
        ((config, (python, upstream)),) = configs.items()
        opts.config = config
        return {config: bench(opts, python, upstream, build, command)}
    started = datetime.datetime.now(datetime.timezone.utc)
    out = Path(opts.out or build / "bench" / f"results-{started:%Y%m%d-%H%M%S}").resolve()
    results = {}
    for config, (python, upstream) in configs.items():
        sub = argparse.Namespace(**vars(opts))
        sub.out, sub.config = str(out / config), config
        log(f"configuration {config}: {python} vs {upstream}")
        results[config] = bench(sub, python, upstream, build, command)
    (out / "report.md").write_text(side_by_side_md(out, list(configs), command))
    log(f"wrote {out / 'report.md'} (side by side)")
    return results


def headline(res):
    """{(section, row): ratio text} of one run's results, for the side-by-side table."""
    h = {}
    for r in (res.get("callgrind") or {}).get("rows", []):
        if "ratio" in r:
            h[("instructions, bench/micro", r["name"])] = f"{r['ratio']:.4f} {r['status']}"
    for r in (res.get("stdlib") or {}).get("rows", []):
        if "ratio" in r:
            h[("instructions per stdlib operation", r["name"])] = (f"{r['ratio']:.4f} "
                                                                  f"{r['status']}")
    su = res.get("suite-ir") or {}
    if su.get("rows"):
        h[("instructions, whole suite", "geometric mean")] = f"{su['geomean']:.4f}"
        h[("instructions, whole suite", "highest")] = f"{su['worst']} {su['worst_ratio']:.4f}"
    pp = res.get("pyperformance") or {}
    for r in pp.get("rows", []):
        h[("time, pyperformance", r["name"])] = (f"{r['ratio']:.3f}"
                                                 f"{' (significant)' if r['significant'] else ''}")
    if pp.get("rows"):
        h[("time, pyperformance", "geometric mean")] = f"{pp['geomean']:.4f}"
    for r in (res.get("wallclock") or {}).get("rows", []):
        if r.get("low") is not None:
            h[("time, interleaved and pinned", r["name"])] = (f"{r['ratio']:.3f} "
                                                               f"[{r['low']:.3f}-{r['high']:.3f}]")
    d = res.get("deferred") or {}
    for r in d.get("rows", []):
        h[("deferred mode, speed by time", f"{r['scope']} depth {r.get('depth', 0)}")] = (
            f"{r['speed_ratio']:.3f} {r['verdict']}")
    for r in d.get("callgrind", []):
        h[("deferred mode, speed by instructions", f"{r['scope']} depth {r.get('depth', 0)}")] = (
            f"{r['ir_speed_ratio']:.3f} {r['verdict']}")
    return h


def side_by_side_md(out, configs, command):
    runs = {c: json.loads((Path(out) / c / "results.json").read_text()) for c in configs}
    heads = {c: headline(r) for c, r in runs.items()}
    keys = list(dict.fromkeys(k for c in configs for k in heads[c]))
    lines = ["# `./fork bench`: build configurations side by side", "",
             f"Command: `{command}`. Ratios are patched / upstream, each configuration's "
             "interpreters built with the same flags; full reports: "
             + ", ".join(f"[{c}]({c}/report.md)" for c in configs) + ".", "",
             "| configuration | configure flags | OPT |", "|---|---|---|"]
    for c in configs:
        i = runs[c]["machine"]["patched"]
        lines.append(f"| {c} | `{i['config_args'] or '(none)'}` | `{i['opt']}` |")
    lines += ["", "| measurement | row | " + " | ".join(configs) + " |",
              "|---|---|" + "---:|" * len(configs)]
    for section, row in keys:
        lines.append(f"| {section} | {row} | "
                     + " | ".join(heads[c].get((section, row), "-") for c in configs) + " |")
    return "\n".join(lines) + "\n"


def render(out):
    """Write report.md and chart.svg from out/results.json (also to redo them alone)."""
    res = json.loads((Path(out) / "results.json").read_text())
    (Path(out) / "report.md").write_text(report_md(res))
    (Path(out) / "chart.svg").write_text(chart_svg(res))


def summarize(res):
    pp = res.get("pyperformance") or {}
    if pp.get("rows"):
        w = pp["worst_significant"]
        log(f"pyperformance geometric mean {pp['geomean']:.4f}, slowest significant "
            f"{'none' if w is None else f'{w:.3f}'}")
    for r in (res.get("callgrind") or {}).get("rows", []):
        if "ratio" in r:
            log(f"callgrind {r['name']:16} {r['ratio']:.4f} (target {r['target']}) "
                f"{r['status']}")
        else:
            log(f"callgrind {r['name']:16} {r['status']}")
    for r in (res.get("stdlib") or {}).get("rows", []):
        if "ratio" in r:
            log(f"stdlib {r['name']:12} {r['upstream_per_op']:10,.1f} -> "
                f"{r['patched_per_op']:10,.1f} Ir/op {r['ratio']:.4f} (target "
                f"{r['target']}) {r['status']}")
        else:
            log(f"stdlib {r['name']:12} {r['status']}")
    su = res.get("suite-ir") or {}
    if su.get("rows"):
        log(f"suite-ir: {len(su['rows'])} benchmarks, geometric mean {su['geomean']:.4f}, "
            f"highest {su['worst']} {su['worst_ratio']:.4f}; failed: "
            + (", ".join(f"{f['benchmark']} ({f['side']})" for f in su["failed"]) or "none"))
    for r in (res.get("latency") or {}).get("rows", []):
        log(f"latency {r['kind']:15} {r['method']:16} {r['interpreter']:8} median "
            f"{ms(r.get('median_ns'))} p99 {ms(r.get('p99_ns'))} max {ms(r.get('max_ns'))} ms"
            f" {r['status']} {r['verdict']}")
    d = res.get("deferred") or {}
    for r in d.get("rows", []):
        log(f"deferred {r['scope']:20} depth {r.get('depth', 0):5} speed ratio "
            f"{r['speed_ratio']:.3f} {r['verdict']}")
    for r in d.get("callgrind", []):
        log(f"deferred {r['scope']:20} depth {r.get('depth', 0):5} instruction speed ratio "
            f"{r['ir_speed_ratio']:.3f} "
            f"{r['verdict']}")
    if d and not d.get("rows"):
        log(f"deferred: {d.get('status')}")


def main(argv=None):
    """Standalone use: python3 bench/forkbench.py PATCHED UPSTREAM [options]."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("python")
    p.add_argument("upstream")
    add_arguments(p)
    opts = p.parse_args(argv)
    if opts.release or opts.release_only:
        p.error("--release needs ./fork bench, which builds both configurations")
    opts.config = "default"
    bench(opts, Path(opts.python).resolve(), Path(opts.upstream).resolve(), ROOT / "build",
          shlex.join(sys.argv))


if __name__ == "__main__":
    main()
