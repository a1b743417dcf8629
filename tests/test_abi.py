"""The fork keeps upstream 3.13.5's ABI: libpython's exported functions, variables and
the layout of every type they reach, checked with libabigail as upstream checks it, and
the struct offsets that out-of-process tools (profilers, debuggers) read.

Upstream's own check is `make check-abidump` on an `--enable-shared` build with CFLAGS
`-g3 -O0`, against Doc/data/python3.13.abi.  That file was made with upstream's CI
toolchain; here (another GCC and libabigail) the unpatched tarball does not pass it
either (typedef and enumerator names in the DWARF differ), so the test first runs it on
the unpatched build: if it passes, the patched build must pass too; in any case the
patched libpython is compared with the unpatched one built here with the same flags
(`abidiff`), where only additions (the new C API) may be reported.

The `shared` builds are cached in build/shared and build/upstream-shared like the others.
"""

import re
import shutil
import subprocess

import pytest

from conftest import ROOT, run_python
from test_hardening import load_tool

pytestmark = pytest.mark.full

LIBRARY = "libpython3.13.so"


@pytest.fixture(scope="module")
def shared_builds():
    """(upstream, patched) build directories of the `shared` config."""
    if not shutil.which("abidiff"):
        pytest.fail("abidiff is missing: ./fork build installs abigail-tools as root, "
                    "else apt-get install abigail-tools")
    tool = load_tool()
    upstream = tool.build("shared", upstream=True).parent
    patched = tool.build("shared").parent
    return upstream, patched


def abidiff(*args):
    cmd = ["abidiff", *map(str, args)]
    print("+", " ".join(cmd))
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    print(res.stdout[-20000:], res.stderr[-2000:])
    # abidiff's exit status is a bit field: 1 error, 2 usage error, 4 ABI change,
    # 8 incompatible ABI change.
    assert res.returncode & 3 == 0, f"abidiff failed ({res.returncode}): {res.stderr}"
    return res


SUMMARY = re.compile(r"^(Functions|Variables) changes summary: (\d+) Removed, (\d+) "
                     r"Changed(?: \(\d+ filtered out\))?, (\d+) Added", re.M)
SYMBOLS = re.compile(r"^(Function|Variable) symbols changes summary: (\d+) Removed, "
                     r"(\d+) Added", re.M)


def changes(report):
    """{'Functions': (removed, changed, added), ...} and the ELF symbol summaries."""
    found = {m[1]: tuple(map(int, m.groups()[1:])) for m in SUMMARY.finditer(report)}
    symbols = {m[1]: tuple(map(int, m.groups()[1:])) for m in SYMBOLS.finditer(report)}
    return found, symbols


def test_upstream_check_abidump(shared_builds):
    """Upstream's `make check-abidump`: if the unpatched build passes it here, so must
    the patched one."""
    upstream, patched = shared_builds
    reference = ROOT / "build" / "upstream-src" / "Doc" / "data" / "python3.13.abi"
    flags = ["--drop-private-types", "--no-architecture", "--no-added-syms"]
    if abidiff(reference, upstream / LIBRARY, *flags).returncode != 0:
        pytest.skip("unpatched 3.13.5 does not pass make check-abidump with this "
                    "toolchain; test_additions_only compares the two builds instead")
    res = abidiff(ROOT / "cpython" / "Doc" / "data" / "python3.13.abi",
                  patched / LIBRARY, *flags)
    assert res.returncode == 0, res.stdout[-8000:]


def test_additions_only(shared_builds):
    """abidiff of the unpatched and the patched libpython (same flags, same toolchain):
    no removed or changed function or variable, no removed symbol, through any type of
    the C API (Include/*.h, Include/cpython/*.h: PyCodeObject, PyThreadState, ...); the
    added ones are the new C API.  Changes to the runtime's internal structures are
    suppressed (tests/abi-internal.abignore says which and why); the full report is
    written to build/abidiff-full.txt."""
    upstream, patched = shared_builds
    full = abidiff(upstream / LIBRARY, patched / LIBRARY, "--no-architecture")
    (ROOT / "build" / "abidiff-full.txt").write_text(full.stdout)
    res = abidiff(upstream / LIBRARY, patched / LIBRARY, "--no-architecture",
                  "--suppressions", ROOT / "tests" / "abi-internal.abignore")
    found, symbols = changes(res.stdout)
    assert set(found) == {"Functions", "Variables"}, res.stdout
    for kind, (removed, changed, added) in found.items():
        assert (removed, changed) == (0, 0), f"{kind} removed or changed:\n{res.stdout}"
    for kind, (removed, added) in symbols.items():
        assert removed == 0, f"{kind} symbols removed:\n{res.stdout}"
    assert res.returncode in (0, 4), res.stdout
    added = re.findall(r"^  \[A\] '.*?\{(\w+)\}$", res.stdout, re.M)
    assert "PyInterrupt_Defer" in added and "PyExc_BaseInterrupt" in added, res.stdout


# The part of _Py_DebugOffsets (Include/internal/pycore_runtime.h) that out-of-process
# tools read: read from _PyRuntime of each interpreter with ctypes.
READ_DEBUG_OFFSETS = """
import ctypes, sys
names = sys.argv[1].split()
raw = (ctypes.c_char * (16 + 8 * len(names))).in_dll(ctypes.pythonapi, "_PyRuntime").raw
assert raw[:8] == b"xdebugpy", raw[:8]
assert int.from_bytes(raw[8:16], sys.byteorder) == sys.hexversion
for i, name in enumerate(names):
    print(name, int.from_bytes(raw[16 + 8 * i:24 + 8 * i], sys.byteorder))
"""


def debug_offset_fields(header):
    """The field names of _Py_DebugOffsets after the cookie and version, in order."""
    text = header.read_text()
    body = text[text.index("typedef struct _Py_DebugOffsets {"):
                text.index("} _Py_DebugOffsets;")]
    fields, section = [], None
    for line in body.splitlines()[1:]:
        line = line.split("//")[0].strip()
        if m := re.match(r"struct _(\w+) ?\{", line):
            section = m[1]
        elif line.startswith("}"):
            section = None
        elif m := re.match(r"uint64_t (\w+);", line):
            fields.append(f"{section}.{m[1]}" if section else m[1])
    assert fields[0] == "version", fields
    return fields[1:]


def test_debug_offsets_match_upstream(python, upstream_python):
    """Every offset and size that _Py_DebugOffsets publishes is upstream's, except two
    sizes: PyInterpreterState's, whose embedded first thread state (_PyThreadStateImpl)
    carries the interrupt state at its end, and with it _PyRuntimeState's, which embeds
    the main interpreter and the static strings (one more identifier).  No field that
    tools read moves."""
    fields = debug_offset_fields(ROOT / "build" / "upstream-src" / "Include" /
                                 "internal" / "pycore_runtime.h")
    assert "code_object.co_code_adaptive" in fields and len(fields) > 60, fields
    values = []
    for interpreter in (upstream_python, python):
        out = run_python(interpreter, "-c", READ_DEBUG_OFFSETS, " ".join(fields))
        assert out.returncode == 0, out.stderr
        values.append(dict(line.split() for line in out.stdout.splitlines()))
    upstream, patched = values
    differ = {name: (upstream[name], patched[name]) for name in fields
              if upstream[name] != patched[name]}
    assert set(differ) <= {"interpreter_state.size", "runtime_state.size"}, differ


# Structures whose layout out-of-process tools and C extensions depend on, from the DWARF
# of both shared builds (pahole).  Every upstream member keeps its offset and size; a new
# member may only use padding or follow the upstream members.  The exceptions, in
# PyInterpreterState, which embeds its first thread state (_initial_thread) whose
# internal part grows at its end by the interrupt state: that member's size and the
# offsets of the two members after it.
STRUCTS = {
    "PyCodeObject": {},
    "_ts": {},
    "_frame": {},
    "_PyInterpreterFrame": {},
    "_is": {"_initial_thread": "size", "_interactive_src_count": "offset",
            "threads_preallocated": "offset"},
}

MEMBER = re.compile(r"^\t(?P<decl>[^/]*?)(?P<name>\w+)(?:\[\d*\])?;\s*/\*\s*(?P<offset>\d+)"
                    r"\s+(?P<size>\d+)\s*\*/")


def members(library, struct):
    """{member: (offset, size)} of `struct STRUCT` in the DWARF of LIBRARY."""
    # All structures at once: `pahole -C PyCodeObject` shows only the typedef.
    res = subprocess.run(["pahole", library], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0 and res.stdout, res.stderr[-2000:]
    start = res.stdout.index(f"\nstruct {struct} {{\n")
    body = res.stdout[start:res.stdout.index("\n};", start)]
    found = {}
    for line in body.splitlines():
        if m := MEMBER.match(line):
            found[m["name"]] = (int(m["offset"]), int(m["size"]))
    assert found, body
    return found


@pytest.mark.parametrize("struct", sorted(STRUCTS))
def test_struct_layout(shared_builds, struct):
    if not shutil.which("pahole"):
        pytest.fail("pahole is missing: ./fork build installs dwarves as root, else "
                    "apt-get install dwarves")
    upstream, patched = (members(build / LIBRARY, struct) for build in shared_builds)
    allowed = STRUCTS[struct]
    for name, (offset, size) in upstream.items():
        assert name in patched, f"{struct}.{name} removed"
        new_offset, new_size = patched[name]
        if allowed.get(name) != "offset":
            assert new_offset == offset, f"{struct}.{name} moved: {offset} -> {new_offset}"
        if allowed.get(name) != "size":
            assert new_size == size, f"{struct}.{name} resized: {size} -> {new_size}"
    occupied = [patched[name] for name in upstream]
    end = max(offset + size for offset, size in occupied)
    for name in patched.keys() - upstream.keys():
        offset, size = patched[name]
        overlaps = [o for o, s in occupied if o < offset + size and offset < o + s]
        assert not overlaps or offset >= end, f"{struct}.{name} at {offset} overlaps"


def test_code_object_layout_matches_upstream(python, upstream_python):
    """PyCodeObject: same basic size, co_code_adaptive at the same offset, the same
    instruction bytes at it (what py-spy and austin read)."""
    code = ("import ctypes, sys, types\n"
            "def f(x):\n"
            "    with open(x) as g:\n"
            "        return g.read()\n"
            "c = f.__code__\n"
            "print(types.CodeType.__basicsize__, types.CodeType.__itemsize__)\n"
            "raw = ctypes.string_at(id(c) + types.CodeType.__basicsize__,"
            " len(c.co_code))\n"
            "print(raw == bytes(c._co_code_adaptive))\n")
    outs = []
    for interpreter in (upstream_python, python):
        out = run_python(interpreter, "-c", code)
        assert out.returncode == 0, out.stderr
        outs.append(out.stdout.split())
    assert outs[0] == outs[1]
    assert outs[1][-1] == "True"
