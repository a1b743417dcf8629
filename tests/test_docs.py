"""PEP-draft.rst parses cleanly, its objection table cites real tests, and the docs build."""

import ast
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

PEP = ROOT / "PEP-draft.rst"
TABLE_SECTION = "Objections raised in the discussion"
# A cited test: module.Class.test_name, relative to Lib/test/test_interrupt/.
TEST_NAME = re.compile(r"^(test_\w+)\.(\w+)\.(test_\w+)$")


def cpython_tree():
    """The patched CPython tree: $FORK_TREE, else the work tree ./fork prepare creates."""
    return Path(os.environ.get("FORK_TREE", ROOT / "cpython"))


def parse_pep():
    """Return (doctree, messages): every docutils message of level WARNING or above."""
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


def objection_rows(doctree):
    """The body rows of the objection table, each as a list of its cells' nodes."""
    from docutils import nodes
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is not None and title.astext() == TABLE_SECTION:
            table = section.next_node(nodes.table)
            tbody = table.next_node(nodes.tbody)
            return [list(row.findall(nodes.entry)) for row in tbody.findall(nodes.row)]
    raise AssertionError(f"no section titled {TABLE_SECTION!r} with a table in {PEP.name}")


def cited_tests(doctree):
    """{objection number: [cited test names]} from the table's last column."""
    from docutils import nodes
    cited = {}
    for cells in objection_rows(doctree):
        number = cells[0].astext().strip()
        cited[number] = [lit.astext() for lit in cells[-1].findall(nodes.literal)]
    return cited


def defined_tests(path):
    """{(Class, test_method)} of a test module, found by parsing it.

    A method counts for a class if the class or one of its bases defined in the same
    module (a mixin) defines it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

    def methods(name, seen=()):
        node = classes.get(name)
        if node is None or name in seen:
            return set()
        own = {item.name for item in node.body
               if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for base in node.bases:
            if isinstance(base, ast.Name):
                own |= methods(base.id, seen + (name,))
        return own

    return {(name, method) for name in classes for method in methods(name)}


def test_pep_parses_without_warnings(pep):
    doctree, messages, stream = pep
    assert not messages, "docutils reported:\n" + stream


def test_objection_table_has_a_test_for_every_row(pep):
    cited = cited_tests(pep[0])
    assert len(cited) >= 31, f"the objection table has only {len(cited)} rows"
    bad = {n: names for n, names in cited.items()
           if not names or not all(TEST_NAME.match(name) for name in names)}
    assert not bad, f"rows without a test named module.Class.test_name: {bad}"


def test_objection_table_matches_the_list_of_proposed_tests(pep):
    """Every name in the table is in the comment at the end of the PEP, and vice versa."""
    text = PEP.read_text(encoding="utf-8")
    listed, module = set(), None
    for line in text[text.index("Tests referenced by the objection table"):].splitlines():
        m = re.match(r"^\s+(test_\w+)\.py\b", line)
        if m:
            module = m.group(1)
            continue
        m = re.match(r"^\s+(\w+\.test_\w+)\s*$", line)
        if m and module:
            listed.add(f"{module}.{m.group(1)}")
    cited = {name for names in cited_tests(pep[0]).values() for name in names}
    assert cited - listed == set(), "cited in the table but not listed at the end"
    assert listed - cited == set(), "listed at the end but not cited in the table"


def test_cited_tests_exist_in_the_patched_tree(pep):
    tree = cpython_tree()
    package = tree / "Lib" / "test" / "test_interrupt"
    if not package.is_dir():
        pytest.fail(f"no {package}; run ./fork prepare or set FORK_TREE to a patched tree")
    missing = []
    defined = {}
    for number, names in cited_tests(pep[0]).items():
        for name in names:
            module, cls, method = TEST_NAME.match(name).groups()
            path = package / f"{module}.py"
            if module not in defined:
                defined[module] = defined_tests(path) if path.exists() else None
            if defined[module] is None:
                missing.append(f"row {number}: {name} (no module {module}.py)")
            elif (cls, method) not in defined[module]:
                missing.append(f"row {number}: {name}")
    assert not missing, (f"{len(missing)} tests cited in the PEP's objection table do not "
                         f"exist in {package}:\n  " + "\n  ".join(missing))


@pytest.mark.full
def test_cpython_docs_build_without_warnings():
    """./fork docs: CPython's Doc/Makefile, Sphinx from PyPI, warnings as errors."""
    env = dict(os.environ)
    tree = os.environ.get("FORK_TREE")
    cmd = [sys.executable, str(ROOT / "fork"), "docs"] + (["--tree", tree] if tree else [])
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=3 * 3600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-4000:]


def test_patch_list_matches_the_series(pep):
    """The Reference Implementation section lists patches/ in order, by subject."""
    from docutils import nodes
    doctree = pep[0]
    section = next(s for s in doctree.findall(nodes.section)
                   if s.next_node(nodes.title).astext() == "Reference Implementation")
    listed = [" ".join(item.astext().split())
              for item in section.next_node(nodes.enumerated_list).children]
    subjects = []
    for name in (ROOT / "patches" / "series").read_text().split():
        text = (ROOT / "patches" / name).read_text(encoding="utf-8")
        # The Subject header, folded over lines by format-patch.
        header = re.search(r"^Subject: \[PATCH\] (.*?)\n(?=\S)", text, re.M | re.S)
        subjects.append(" ".join(header.group(1).split()))
    # The PEP may add a parenthesized note after a subject.
    assert [re.sub(r" \(.*\)$", "", item) for item in listed] == subjects
