"""Child of test_docs.py: look up the names the PEP gives and compare its signatures.

Reads {"entries": [{"literal", "name", "params"}], "platform": [names]} on stdin and
prints {literal: null or the disagreement} as JSON. Runs under the interpreter checked.
"""

import ast
import builtins
import importlib
import inspect
import json
import sys

# The PEP writes some names relative to a module, as the documentation does.
ALIASES = {
    "Thread": "threading.Thread", "Condition": "threading.Condition",
    "Event": "threading.Event", "Barrier": "threading.Barrier",
    "ThreadPoolExecutor": "concurrent.futures.ThreadPoolExecutor",
    "loop": "asyncio.BaseEventLoop", "code": "types.CodeType",
    "ExitStack": "contextlib.ExitStack", "Future": "concurrent.futures.Future",
    "Task": "asyncio.Task", "BaseInterrupt": "builtins.BaseInterrupt",
    "KeyboardInterrupt": "builtins.KeyboardInterrupt",
}
# Names starting with anything else (sock.recv, q.get, urlopen) are examples, not API.
MODULES = {"threading", "_thread", "signal", "asyncio", "concurrent", "contextlib",
           "queue", "tempfile", "os", "select", "selectors", "socket", "subprocess",
           "time", "types", "sys", "faulthandler", "marshal", "dis", "gc", "builtins"}


def resolve(name):
    """(object, owning class or None, module namespace), or None for a name not ours."""
    head, _, rest = name.partition(".")
    if head in ALIASES:
        name = ALIASES[head] + ("." + rest if rest else "")
    elif head not in MODULES:
        return None
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        module, owner = obj, None
        for j, attr in enumerate(parts[i:], i):
            if not hasattr(obj, attr):
                raise LookupError(f"{'.'.join(parts[:j])} has no attribute {attr!r}")
            owner = obj if isinstance(obj, type) else None
            obj = getattr(obj, attr)
        return obj, owner, vars(module)
    raise LookupError(f"cannot import {name}")


def pep_params(src):
    """[(name, kind, default source or None)] of a parameter list as the PEP writes it."""
    args = ast.parse(f"def f({src}): pass").body[0].args
    kinds = [(a, "POSITIONAL_ONLY") for a in args.posonlyargs]
    kinds += [(a, "POSITIONAL_OR_KEYWORD") for a in args.args]
    defaults = [None] * (len(kinds) - len(args.defaults)) + list(args.defaults)
    params = [(a.arg, kind, None if d is None else ast.unparse(d))
              for (a, kind), d in zip(kinds, defaults)]
    if args.vararg:
        params.append((args.vararg.arg, "VAR_POSITIONAL", None))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        params.append((a.arg, "KEYWORD_ONLY", None if d is None else ast.unparse(d)))
    if args.kwarg:
        params.append((args.kwarg.arg, "VAR_KEYWORD", None))
    return params


def check(entry, platform_names):
    name, params = entry["name"], entry["params"]
    try:
        found = resolve(name)
    except LookupError as exc:
        return None if name in platform_names else str(exc)
    if found is None or params is None:
        return None
    obj, owner, namespace = found
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError) as exc:
        return f"{name}: no signature ({exc})"
    actual = list(sig.parameters.values())
    if owner is not None and actual and actual[0].name == "self":
        actual = actual[1:]
    expected = pep_params(params)
    if [(p.name, p.kind.name) for p in actual] != [(n, k) for n, k, _ in expected]:
        return f"{name}({params}): the interpreter has {sig}"
    env = dict(vars(builtins), **namespace)
    for p, (n, _, default) in zip(actual, expected):
        if (default is None) != (p.default is inspect.Parameter.empty):
            return f"{name}({params}): {n} has default {p.default!r} in {sig}"
        if default is not None:
            value = eval(default, env)
            if not (p.default is value or p.default == value):
                return f"{name}({params}): {n} defaults to {p.default!r}, not {default}"
    return None


def main():
    data = json.load(sys.stdin)
    platform_names = set(data["platform"])
    print(json.dumps({e["literal"]: check(e, platform_names) for e in data["entries"]}))


if __name__ == "__main__":
    main()
