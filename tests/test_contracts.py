"""Contracts between the parts of the project that nothing else checks: the `test` extra
installs what the tests import, and the type stub matches the native module."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement

TESTS = Path(__file__).parent


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_for_tests() -> set[str]:
    """The distributions `pip install ".[test]"` installs (ferroflow's own dependencies and
    its `test` extra), as the installed metadata says."""
    names = set()
    for line in importlib.metadata.requires("ferroflow") or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": "test"}):
            names.add(_normalized(requirement.name))
    return names


def _imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, at any depth, including
    `pytest.importorskip("name")` and the `importlib.util.find_spec("name")` that gates a
    test."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("importorskip", "find_spec")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def test_the_test_extra_installs_every_package_a_test_imports():
    # tests/data/ holds the scripts that wrote the golden files with TensorFlow; they are run
    # by hand, never by the suite, so only the modules pytest loads are checked.
    local = {p.stem for p in TESTS.glob("*.py")} | {"ferroflow"}
    providers = importlib.metadata.packages_distributions()
    extra = _installed_for_tests()
    missing = []
    for path in sorted(TESTS.glob("*.py")):
        for module in sorted(_imported_modules(path)):
            if module in sys.stdlib_module_names or module in local or module == "__future__":
                continue
            distributions = {_normalized(d) for d in providers.get(module, [module])}
            if not distributions & extra:
                missing.append(f"{path.name} imports {module} ({', '.join(sorted(distributions))})")
    assert not missing, "not in the `test` extra of pyproject.toml:\n" + "\n".join(missing)


def test_the_check_sees_imports_of_every_kind(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "import a.b\nfrom c import d\nfrom . import e\n"
        "def f():\n    import g\n    pytest.importorskip('h.i')\n"
        "skip = importlib.util.find_spec('j') is None\n"
    )
    assert _imported_modules(source) == {"a", "c", "g", "h", "j"}


def test_the_type_stub_matches_the_native_module():
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "ferroflow._lib"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# The functions through which Python records a traced op: its name is their first argument.
_OP_EMITTERS = {"_apply", "apply_multi", "random_op", "add"}
# The functions that record one operation of an op that names several in its attribute
# (`op:name`, as the engine lists them), with the name as their first argument.
_SUB_OP_EMITTERS = {
    "_binary": "binary",
    "_unary": "unary",
    "_string_map": "strings",
    "_adjust": "adjust",
    "_random_adjust": "random_adjust",
}


def _emitted_ops(path: Path) -> set[str]:
    """Op names a Python module hands to the engine: first arguments of the emitting calls,
    and the node tuples `(op, inputs, attr)` of graphs it builds by hand."""

    def literal(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return None

    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in _OP_EMITTERS and node.args and (op := literal(node.args[0])) is not None:
            # `set.add("x")` has one argument; an emitting `add` has the op, inputs, attr
            # and output specs.
            if name != "add" or len(node.args) == 4:
                found.add(op)
                # `_apply("unary", [x], "neg", ...)`: the attribute names the operation.
                if len(node.args) > 2 and (sub := literal(node.args[2])) is not None:
                    if op in _SUB_OP_EMITTERS.values():
                        found.add(f"{op}:{sub}")
        elif name in _SUB_OP_EMITTERS and node.args and (sub := literal(node.args[0])):
            found.add(f"{_SUB_OP_EMITTERS[name]}:{sub}")
        elif name == "NativeGraph" and len(node.args) >= 2:
            for element in getattr(node.args[1], "elts", []):
                if isinstance(element, ast.Tuple) and (op := literal(element.elts[0])):
                    found.add(op)
    return found


def test_python_and_the_engine_know_the_same_traced_ops():
    import ferroflow
    from ferroflow._lib import graph_op_names

    package = Path(ferroflow.__file__).parent
    emitted: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        for op in _emitted_ops(path):
            emitted.setdefault(op, []).append(str(path.relative_to(package)))
    engine = set(graph_op_names())
    assert len(engine) == len(graph_op_names()), "an op is declared twice"
    unknown = {op: where for op, where in emitted.items() if op not in engine}
    assert not unknown, f"Python emits ops the engine does not know: {unknown}"
    unused = engine - set(emitted)
    assert not unused, f"the engine knows ops Python never emits: {sorted(unused)}"


def test_the_op_scan_finds_every_way_of_emitting(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "_apply('a', [x], None, spec)\napply_multi('b', [x], None, specs, 2)\n"
        "random_op('c', [x], (), spec, None, False)\ng.add('d', [x], None, [spec])\n"
        "seen.add('not an op')\nNativeGraph(1, [('e', [0], None)], [1])\n"
        "_apply('unary', [x], 'neg', spec)\n_binary('add', x, y)\nself._unary('abs')\n"
    )
    assert _emitted_ops(source) == {
        "a",
        "b",
        "c",
        "d",
        "e",
        "unary",
        "unary:neg",
        "binary:add",
        "unary:abs",
    }
