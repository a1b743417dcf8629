"""PEP-draft.rst: PEP 1/12 form, at most 8,000 words, and true to the built interpreter.

The PEP's names, signatures, -X options, environment variables, C API prototypes, list of
interruptible calls and a few statements of fact are extracted from its text and checked
against the interpreter built by ./fork (the ``python`` fixture) and the tree it was built
from.
"""

import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_python

PEP = ROOT / "PEP-draft.rst"
ANSWERS = ROOT / "docs" / "discussion-answers.md"
MAX_WORDS = 8000
MAX_TITLE = 44                      # PEP 1, "What belongs in a successful PEP?"

# PEP 1 "PEP header preamble", in its order; * marks optional headers there.
HEADER_ORDER = ["PEP", "Title", "Author", "Sponsor", "PEP-Delegate", "Discussions-To",
                "Status", "Type", "Topic", "Requires", "Created", "Python-Version",
                "Post-History", "Replaces", "Superseded-By", "Resolution"]
REQUIRED_HEADERS = {"PEP", "Title", "Author", "Discussions-To", "Status", "Type",
                    "Created", "Post-History"}
# The PEP 12 template (peps/pep-0012/pep-NNNN.rst) after python/peps#4802, in order.
TEMPLATE_SECTIONS = ["Abstract", "Motivation", "Specification", "Rationale",
                     "Backwards Compatibility", "Security Implications", "How to Teach This",
                     "Reference Implementation", "Rejected Ideas", "Open Issues",
                     "Acknowledgements", "Footnotes", "Change History", "Copyright"]
OPTIONAL_SECTIONS = {"Change History"}
COPYRIGHT = ("This document is placed in the public domain or under the\n"
             "CC0-1.0-Universal license, whichever is more permissive.\n")
# Sections where the PEP names what Python does not have: rejected or proposed names, and
# other languages' APIs (Java's Thread.stop, Ruby's Thread.handle_interrupt).
HYPOTHETICAL_SECTIONS = {"Rejected Ideas", "Open Issues", "Other languages", "Footnotes"}
# Names that exist only on some platforms; looked up where they exist.
PLATFORM_NAMES = {"select.devpoll", "select.kqueue", "select.epoll", "select.poll"}
# Statements the PEP makes that the code does not satisfy yet, with who fixes them.
# strict: once fixed, the test fails until the entry is removed.
PENDING = {}


def cpython_tree():
    """The patched CPython tree: $FORK_TREE, else the work tree ./fork prepare creates."""
    return Path(os.environ.get("FORK_TREE", ROOT / "cpython"))


@pytest.fixture(scope="module")
def tree(python):
    """The tree the interpreter was built from (its srcdir), else cpython_tree()."""
    srcdir = run_python(python, "-c", "import sysconfig; "
                        "print(sysconfig.get_config_var('srcdir'))").stdout.strip()
    if srcdir and Path(srcdir, "Include").is_dir():
        return Path(srcdir)
    return cpython_tree()


def parse_pep():
    """Return (doctree, messages, warning stream): docutils messages of level WARNING up."""
    import docutils.core   # installed in the test venv by ./fork test
    from docutils import nodes
    from docutils.readers import pep as pep_reader
    stream = io.StringIO()
    doctree = docutils.core.publish_doctree(
        PEP.read_text(encoding="utf-8"), source_path=str(PEP), reader=pep_reader.Reader(),
        settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": stream,
                            "input_encoding": "utf-8"})
    messages = [m for m in doctree.findall(nodes.system_message) if m["level"] >= 2]
    return doctree, messages, stream.getvalue()


@pytest.fixture(scope="module")
def pep():
    return parse_pep()


@pytest.fixture(scope="module")
def text():
    return PEP.read_text(encoding="utf-8")


def sections(doctree):
    """[(title, section node)] of every section, in document order."""
    from docutils import nodes
    return [(s.next_node(nodes.title).astext(), s) for s in doctree.findall(nodes.section)]


def top_sections(doctree):
    from docutils import nodes
    return [s.next_node(nodes.title).astext() for s in doctree.children
            if isinstance(s, nodes.section)]


def section(doctree, title):
    for name, node in sections(doctree):
        if name == title:
            return node
    raise AssertionError(f"no section titled {title!r} in {PEP.name}")


def literals(doctree):
    """[(text, section titles enclosing it, is a definition term)] of inline literals."""
    from docutils import nodes
    found = []
    for lit in doctree.findall(nodes.literal):
        titles, parent, term = [], lit.parent, False
        while parent is not None:
            if isinstance(parent, nodes.term):
                term = True
            if isinstance(parent, nodes.section):
                titles.append(parent.next_node(nodes.title).astext())
            parent = parent.parent
        found.append((" ".join(lit.astext().split()), titles, term))
    return found


def headers(text):
    """{name: value} of the RFC 2822 preamble, in order."""
    block = text.split("\n\n", 1)[0]
    result = {}
    for line in block.splitlines():
        m = re.match(r"^([A-Za-z-]+): ?(.*)$", line)
        if m:
            result[m.group(1)] = m.group(2).strip()
        else:
            last = list(result)[-1]
            result[last] += " " + line.strip()
    return result


# ---------------------------------------------------------------------------------------
# Form

def test_pep_parses_without_warnings(pep):
    doctree, messages, stream = pep
    assert not messages, "docutils reported:\n" + stream


def test_at_most_8000_words(text):
    # wc -w counts maximal runs of non-whitespace characters, as str.split() does.
    words = len(text.split())
    assert words <= MAX_WORDS, (
        f"{PEP.name} has {words} words (wc -w); the limit is {MAX_WORDS}")


def test_headers_follow_pep_1(text):
    found = headers(text)
    missing = REQUIRED_HEADERS - found.keys()
    assert not missing, f"missing headers: {sorted(missing)}"
    unknown = found.keys() - set(HEADER_ORDER)
    assert not unknown, f"headers PEP 1 does not define: {sorted(unknown)}"
    order = [h for h in HEADER_ORDER if h in found]
    assert list(found) == order, f"headers out of PEP 1 order: {list(found)}"
    assert len(found["Title"]) <= MAX_TITLE, (
        f"title {found['Title']!r} has {len(found['Title'])} characters; PEP 1 allows "
        f"{MAX_TITLE}")
    assert found["Status"] == "Draft" and found["Type"] == "Standards Track"
    assert re.fullmatch(r"\d\d-[A-Z][a-z]{2}-\d{4}", found["Created"])
    assert re.fullmatch(r"3\.\d+", found["Python-Version"])
    for name in ("Discussions-To", "Post-History"):
        assert found[name] == "Pending" or found[name].startswith(("https://", "`")), name
    for name, value in found.items():
        assert not re.search(r"\b(TBD|TODO|XXX)\b", value), f"placeholder in {name}: {value}"


def test_python_version_is_not_an_open_issue(pep, text):
    """Python-Version names a release still open for features; no Open Issue disputes it."""
    version = headers(text)["Python-Version"]
    assert tuple(map(int, version.split("."))) >= (3, 16), (
        f"Python-Version {version}: 3.15 is in feature freeze")
    open_issues = section(pep[0], "Open Issues").astext()
    assert "Python-Version" not in open_issues and "Target version" not in open_issues


def test_sections_in_template_order(pep):
    titles = top_sections(pep[0])
    assert titles[0] == "Abstract" and titles[-1] == "Copyright", titles
    template = [t for t in titles if t in TEMPLATE_SECTIONS]
    assert template == [t for t in TEMPLATE_SECTIONS if t in titles], (
        f"sections out of PEP 12 template order: {titles}")
    missing = set(TEMPLATE_SECTIONS) - OPTIONAL_SECTIONS - set(titles)
    assert not missing, f"template sections missing: {sorted(missing)}"


def test_nothing_after_the_copyright_paragraph(text):
    head = "Copyright\n=========\n\n"
    assert text.count(head) == 1
    assert text.split(head, 1)[1] == COPYRIGHT, (
        "the Copyright section must be the template paragraph and end the file "
        "(no hidden comment after it)")


def test_figure_placeholders_only_in_performance(text):
    """[FIGURE: ...] marks figures the lead supplies; everywhere else the text is final."""
    start = text.index("\nPerformance\n===")
    # The section ends where the next top-level title (underlined with =) starts.
    end = re.search(r"\n\n\n[^\n]+\n=+\n", text[start + 1:]).start() + start + 1
    outside = [m.start() for m in re.finditer(r"\[FIGURE:", text)
               if not start <= m.start() < end]
    assert not outside, "figure placeholders outside Performance at offsets %s" % outside
    assert not re.search(r"\b(TBD|TODO|XXX)\b", text), "a TBD/TODO/XXX left in the PEP"


def test_discussion_answers_exist_and_are_linked(pep, text):
    assert ANSWERS.is_file(), f"no {ANSWERS}"
    assert "docs/discussion-answers.md" in text
    answers = ANSWERS.read_text(encoding="utf-8")
    # One section per message of the thread (seed-thread), plus the survey appendix.
    assert len(re.findall(r"^## \d+\. ", answers, re.M)) >= 22
    assert "## Appendix" in answers
    # It names sections of the PEP in italics (capitalized; lower-case italics are
    # emphasis): each must still exist.
    titles = {" ".join(name.replace("``", "").split()) for name, _ in sections(pep[0])}
    refs = {" ".join(r.split()) for r in re.findall(
        r"(?<![*\w])\*(?![*\s])([^*]+?)(?<!\s)\*(?![*\w])", answers, re.S)}
    missing = sorted(r for r in refs if r[0].isupper() and r not in titles)
    assert not missing, f"{ANSWERS.name} refers to sections the PEP lacks: {missing}"


def test_internal_docs_linked_from_the_pep_exist(text, tree):
    assert "InternalDocs/interrupts.md" in text
    assert (tree / "InternalDocs" / "interrupts.md").is_file()


@pytest.mark.full
def test_cpython_docs_build_without_warnings():
    """./fork docs: CPython's Doc/Makefile, Sphinx from PyPI, warnings as errors."""
    env = dict(os.environ)
    tree = os.environ.get("FORK_TREE")
    cmd = [sys.executable, str(ROOT / "fork"), "docs"] + (["--tree", tree] if tree else [])
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=3 * 3600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-4000:]


# ---------------------------------------------------------------------------------------
# Names and signatures against the built interpreter

CALL = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)\((?P<params>.*)\)$")
NAME = re.compile(r"^(?P<name>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)$")

# The PEP writes some names relative to a module, as the docs do.
RESOLVE = Path(__file__).with_name("pep") / "resolve_names.py"


def pep_names(doctree):
    """[{literal, name, params or None}] of the names and signatures the PEP gives.

    A literal is a signature if it is a definition term (the threading API) or if its
    parameters have defaults or / or * markers; other ``name(...)`` and dotted literals
    are only looked up. Rejected Ideas and Open Issues discuss names that do not exist."""
    entries = {}
    for lit, titles, term in literals(doctree):
        if HYPOTHETICAL_SECTIONS & set(titles):
            continue
        m = CALL.match(lit)
        if m:
            params = m.group("params")
            signature = term or bool(re.search(r"=|(^|,)\s*[/*]", params))
            entry = entries.setdefault(lit, {"literal": lit, "name": m.group("name"),
                                             "params": None})
            if signature:
                entry["params"] = params
        elif NAME.match(lit):
            entries.setdefault(lit, {"literal": lit, "name": lit, "params": None})
    return list(entries.values())


@pytest.fixture(scope="module")
def checked_names(pep, python):
    entries = pep_names(pep[0])
    data = {"entries": entries, "platform": sorted(PLATFORM_NAMES)}
    proc = subprocess.run([str(python), str(RESOLVE)], input=json.dumps(data),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return entries, json.loads(proc.stdout)


def test_pep_gives_the_new_signatures(pep):
    """The extraction finds the API the PEP defines (guards the extraction itself)."""
    names = {e["name"] for e in pep_names(pep[0]) if e["params"] is not None}
    for name in ("Thread.interrupt", "_thread.interrupt_thread", "threading.interrupt_all",
                 "threading.defer_interrupts", "threading.interrupts_deferred",
                 "threading.interrupt_pending"):
        assert name in names, f"the PEP no longer gives the signature of {name}"


def test_names_and_signatures_match_the_interpreter(checked_names):
    entries, results = checked_names
    wrong = {lit: err for lit, err in results.items()
             if err and not any(lit.startswith(p) for p in PENDING)}
    assert not wrong, "the PEP disagrees with the interpreter:\n  " + "\n  ".join(
        f"{lit}: {err}" for lit, err in wrong.items())


@pytest.mark.parametrize("name", sorted(PENDING))
def test_pending_statements(name, checked_names):
    """Each PENDING entry: the disagreement is real today (strict: fixed means remove it)."""
    entries, results = checked_names
    errors = [err for lit, err in results.items() if lit.startswith(name) and err]
    if not errors:
        pytest.fail(f"{name} now matches the PEP; remove it from PENDING")
    pytest.xfail(f"{PENDING[name]}: {errors[0]}")


def test_x_options_and_environment_variables(text, python):
    """Every -X option and PYTHON* variable the PEP names exists: upstream ones appear in
    --help-xoptions / --help-env, new ones pass a behavioural check below."""
    options = set(re.findall(r"-X\s+``?(\w+)", text)) | set(re.findall(r"``-X (\w+)", text))
    variables = set(re.findall(r"\bPYTHON[A-Z0-9_]+\b", text))
    upstream_x = run_python(python, "--help-xoptions").stdout
    upstream_env = run_python(python, "--help-env").stdout
    unchecked = []
    for option in sorted(options):
        if re.search(rf"-X {option}\b", upstream_x):
            continue
        if option not in X_CHECKS:
            unchecked.append(f"-X {option}")
        else:
            X_CHECKS[option](python)
    for variable in sorted(variables):
        if re.search(rf"\b{variable}\b", upstream_env):
            continue
        if variable not in ENV_CHECKS:
            unchecked.append(variable)
        else:
            ENV_CHECKS[variable](python)
    assert options >= set(X_CHECKS), "the PEP no longer names " + str(set(X_CHECKS) - options)
    assert not unchecked, f"no check for {unchecked}: add one to X_CHECKS/ENV_CHECKS"


def _interrupt_signal(python, *args, env=None):
    proc = run_python(python, *args, "-c", "import signal; print(signal.interrupt_signal())",
                      env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def check_no_interrupt_signal(python):
    assert _interrupt_signal(python) != "None", "no wake-up signal reserved by default"
    assert _interrupt_signal(python, "-X", "no_interrupt_signal") == "None"


def check_env_no_interrupt_signal(python):
    env = dict(os.environ, PYTHONNOINTERRUPTSIGNAL="1")
    assert _interrupt_signal(python, env=env) == "None"


DEFERRED = textwrap.dedent("""
    import threading, time
    try:
        try:
            pass
        finally:
            threading.current_thread().interrupt()
            t = time.monotonic()
            while time.monotonic() - t < 0.6:
                pass
    except threading.ThreadInterrupt:
        pass
""")


def check_interrupt_defer_warning(python):
    quiet = run_python(python, "-c", DEFERRED, timeout=60)
    warned = run_python(python, "-X", "interrupt_defer_warning=0.1", "-c", DEFERRED,
                        timeout=60)
    assert "deferred" not in quiet.stderr, quiet.stderr
    assert "deferred" in warned.stderr, warned.stderr


X_CHECKS = {"no_interrupt_signal": check_no_interrupt_signal,
            "interrupt_defer_warning": check_interrupt_defer_warning}
ENV_CHECKS = {"PYTHONNOINTERRUPTSIGNAL": check_env_no_interrupt_signal}


# ---------------------------------------------------------------------------------------
# C API

PROTOTYPE = re.compile(
    r"(?P<ret>[A-Za-z_][\w\s\*]*?)\s*\b(?P<name>_?Py\w+)\s*\((?P<args>[^)]*)\)\s*;")


def c_blocks(doctree):
    from docutils import nodes
    return [b.astext() for b in doctree.findall(nodes.literal_block)
            if "c" in b.get("classes", []) or b.get("language") == "c"]


def normalize(decl):
    return re.sub(r"\s*\*\s*", " *", " ".join(decl.split())).strip()


@pytest.fixture(scope="module")
def headers_text(tree):
    include = tree / "Include"
    if not include.is_dir():
        pytest.fail(f"no {include}; build with ./fork or set FORK_TREE")
    public = [p for p in include.rglob("*.h") if "internal" not in p.parts]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in public)


def test_c_api_prototypes_match_the_headers(pep, headers_text):
    blocks = c_blocks(pep[0])
    assert blocks, "the PEP has no C code block"
    found = 0
    for block in blocks:
        for m in PROTOTYPE.finditer(block):
            found += 1
            name = m.group("name")
            decl = re.search(rf"PyAPI_FUNC\(([^)]*)\)\s*{name}\s*\(([^)]*)\)\s*;",
                             headers_text)
            assert decl, f"{name} is not declared with PyAPI_FUNC in the public headers"
            assert normalize(decl.group(1)) == normalize(m.group("ret")), (
                f"{name}: returns {decl.group(1)!r} in the headers, {m.group('ret')!r} in "
                f"the PEP")
            assert normalize(decl.group(2)) == normalize(m.group("args")), (
                f"{name}: ({decl.group(2)}) in the headers, ({m.group('args')}) in the PEP")
        for typedef in re.findall(r"typedef[^;]*;", block):
            assert normalize(typedef) in normalize(headers_text), (
                f"{typedef!r} is not in the public headers")
    assert found >= 6


def test_c_names_exist_and_new_ones_are_exported(pep, text, headers_text, python):
    names = set()
    for block in c_blocks(pep[0]):
        names |= {m.group("name") for m in PROTOTYPE.finditer(block)}
    for lit, titles, term in literals(pep[0]):
        m = re.fullmatch(r"(_?Py[A-Z]\w*)(\(\))?", lit)
        if m and not HYPOTHETICAL_SECTIONS & set(titles):
            names.add(m.group(1))
    missing = sorted(n for n in names if not re.search(rf"\b{n}\b", headers_text))
    assert not missing, f"not in the public headers: {missing}"
    new = sorted(n for n in names if n.startswith(("PyInterrupt_", "PyExc_BaseInterrupt")))
    assert new, "the PEP names no new C API"
    code = ("import ctypes, sys; "
            "print([n for n in sys.argv[1:] if not hasattr(ctypes.pythonapi, n)])")
    proc = run_python(python, "-c", code, *new)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", f"not exported by the interpreter: {proc.stdout}"


# ---------------------------------------------------------------------------------------
# The interruptible calls: each one the PEP lists is woken by Thread.interrupt()

# Tokens of the PEP's list (its inline literals) -> cases of pep/wake_calls.py; an empty
# list is a word that only qualifies its neighbours.
CALL_CASES = {
    "time.sleep()": ["sleep"],
    "acquire()": [], "queue.Queue": [], "get()": ["queue_get"], "put()": ["queue_put"],
    "Lock": ["lock", "lock_timeout"], "RLock": ["rlock"], "Semaphore": ["semaphore"],
    "BoundedSemaphore": ["bounded_semaphore"],
    "Condition.wait()": ["condition_wait"], "Condition.wait_for()": ["condition_wait_for"],
    "Event.wait()": ["event_wait"], "Barrier.wait()": ["barrier_wait"],
    "Thread.join()": ["thread_join"], "queue.SimpleQueue.get()": ["simple_queue_get"],
    "accept": ["accept"], "connect": ["connect"],
    "recv*": ["recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg"],
    "send*": ["send", "sendall", "sendto", "sendmsg"],
    "select.select()": ["select"], "poll()": ["poll"], "epoll()": ["epoll"],
    "selectors": ["selectors"], "os.read()": ["os_read", "file_read"],
    "os.write()": ["os_write", "file_write"], "os.wait()": ["wait"],
    "waitpid()": ["waitpid"], "wait3()": ["wait3"], "wait4()": ["wait4"],
    "waitid()": ["waitid"], "subprocess.Popen.wait()": ["popen_wait"],
    "signal.sigwait()": ["sigwait"], "sigwaitinfo()": ["sigwaitinfo"],
    "sigtimedwait()": ["sigtimedwait"],
    "fcntl.flock()": ["flock"], "lockf()": ["lockf"], "fcntl()": ["fcntl_setlkw"],
    "multiprocessing": ["multiprocessing_lock", "multiprocessing_semaphore"],
    "signal.pause()": ["pause"],
}

WAKE = Path(__file__).with_name("pep") / "wake_calls.py"


def listed_calls(doctree):
    """The inline literals of the PEP's list of interruptible calls."""
    from docutils import nodes
    node = section(doctree, "Blocking calls")
    bullet = node.next_node(nodes.bullet_list)
    return [lit.astext() for lit in bullet.findall(nodes.literal)]


def test_every_listed_call_has_a_check(pep):
    tokens = listed_calls(pep[0])
    assert len(tokens) >= 20, tokens
    unknown = sorted(set(tokens) - CALL_CASES.keys())
    assert not unknown, f"the PEP lists calls this test does not check: {unknown}"


@pytest.mark.skipif(sys.platform != "linux", reason="the cases assume Linux (epoll, "
                    "a full accept queue, real-time signals)")
def test_every_listed_call_is_woken(pep, python):
    cases = sorted({c for t in listed_calls(pep[0]) for c in CALL_CASES[t]})
    proc = run_python(python, str(WAKE), *cases, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    wrong = {name: got for name, got in results.items()
             if not got.startswith("ThreadInterrupt")}
    assert not wrong, f"not broken by Thread.interrupt(): {wrong}"


# ---------------------------------------------------------------------------------------
# Statements of fact in the PEP's text, each checked when the PEP makes it

FACTS = Path(__file__).with_name("pep") / "facts.py"

UNCAUGHT = textwrap.dedent("""
    import threading
    def target():
        raise threading.ThreadInterrupt
    t = threading.Thread(target=target)
    t.start()
    t.join()
    print("joined")
""")

# (a phrase of the PEP, the check that verifies it). A check runs only while the PEP says it.
CLAIMS = [
    (r"``KeyboardInterrupt`` becomes a direct\s+subclass of ``BaseInterrupt``", "hierarchy"),
    (r"an instance or\s+``None`` raises ``TypeError``",
     "interrupt rejects instances and None"),
    (r"``_thread.interrupt_thread\(ident, exc, /\)``",
     "interrupt_thread rejects None"),
    (r"``RuntimeError`` if the thread has not started", "not started"),
    (r"called without arguments in\s+the \*calling\* thread",
     "instance created in the calling thread"),
    (r"auditing event\s+``_thread.interrupt_thread``", "audit event"),
    (r"``threading.interrupt_all\(exc=ThreadInterrupt\)``", "interrupt_all"),
    (r"``__enter__`` raises ``RuntimeError`` otherwise",
     "defer_interrupts outside a with statement"),
    (r"``threading.interrupts_deferred\(\)``", "queries"),
    (r"``signal.signal\(\)`` and\s+``siginterrupt\(\)`` refuse it", "reserved signal"),
    (r"``types.CodeType`` takes it as a last optional argument ``protectedtable``",
     "code objects"),
]


@pytest.fixture(scope="module")
def facts(python):
    proc = run_python(python, str(FACTS), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("phrase, check", CLAIMS, ids=[c for _, c in CLAIMS])
def test_statement_of_fact(phrase, check, text, facts):
    if not re.search(phrase, text):
        pytest.skip(f"the PEP no longer says {phrase!r}")
    assert facts[check] is None, f"{check}: {facts[check]}"


def test_uncaught_threadinterrupt_ends_the_thread_quietly(text, python):
    assert re.search(r"uncaught\s+``ThreadInterrupt`` ends the thread quietly", text)
    proc = run_python(python, "-c", UNCAUGHT)
    assert proc.returncode == 0 and proc.stdout.strip() == "joined", proc
    assert proc.stderr == "", proc.stderr
