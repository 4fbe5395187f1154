"""Every module the package imports at run time is installed because pyproject.toml asks for it.

An import that works here only because the test environment happens to have the package
(it came with a test tool, or was installed by hand) crashes a fresh `pip install .`. Each
third-party import of `wagechannel` (and of the migrations shipped inside it) must belong to a
distribution in `[project] dependencies` or in what those pull in.
"""
from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterable, Iterator
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
SHIPPED = (REPO / "wagechannel", REPO / "migrations")  # migrations go into the wheel too


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[str]:
    """Top-level names of absolute imports, leaving out `if TYPE_CHECKING:` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            yield from (name for child in node.orelse for name in _imports(child))
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]
        yield from _imports(node)


def third_party_imports(roots: Iterable[Path] = SHIPPED) -> dict[str, set[str]]:
    """{top-level module: files importing it}, standard library and the package itself left out."""
    found: dict[str, set[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for module in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if module in sys.stdlib_module_names or module in {"__future__", "wagechannel"}:
                    continue
                found.setdefault(module, set()).add(str(path.relative_to(root.parent)))
    return found


def declared_requirements() -> list[str]:
    """`[project] dependencies` as written now (installed metadata may be older)."""
    with open(REPO / "pyproject.toml", "rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def installed_closure(requirements: Iterable[str]) -> set[str]:
    """Canonical names of the requirements and of everything they require, with their extras."""
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    pending = [Requirement(line) for line in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        names.add(name)
        try:
            lines = requires(requirement.name) or []
        except PackageNotFoundError:
            continue  # not installed here (another platform's marker): nothing of it is imported
        for line in lines:
            nested = Requirement(line)
            extras = requirement.extras or {""}
            if nested.marker is None or any(nested.marker.evaluate({"extra": extra})
                                            for extra in extras):
                pending.append(nested)
    return names


def undeclared(modules: Iterable[str], requirements: Iterable[str]) -> dict[str, str]:
    """{module: why} for each module no declared requirement installs."""
    owners = packages_distributions()
    allowed = installed_closure(requirements)
    problems: dict[str, str] = {}
    for module in sorted(modules):
        distributions = {canonicalize_name(name) for name in owners.get(module, [])}
        if not distributions:
            problems[module] = "no installed distribution provides it"
        elif not distributions & allowed:
            problems[module] = (f"comes from {', '.join(sorted(distributions))}, "
                                "which [project] dependencies do not pull in")
    return problems


def test_every_runtime_import_is_a_declared_dependency() -> None:
    imported = third_party_imports()
    assert {"flask", "sqlalchemy", "cryptography"} <= imported.keys(), sorted(imported)
    problems = undeclared(imported, declared_requirements())
    assert problems == {}, "\n".join(f"{module} ({', '.join(sorted(imported[module]))}): {why}"
                                     for module, why in problems.items())


def test_the_check_catches_an_import_declared_only_for_the_tests(tmp_path: Path) -> None:
    module = tmp_path / "wagechannel_extra.py"
    module.write_text("import json\nimport pytest\nfrom werkzeug import Response\n"
                      "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import _pytest\n"
                      "def later():\n    import hypothesis\n")
    imported = third_party_imports([tmp_path])
    assert set(imported) == {"pytest", "werkzeug", "hypothesis"}
    # werkzeug comes with flask; pytest and hypothesis only with the test extra.
    assert set(undeclared(imported, declared_requirements())) == {"pytest", "hypothesis"}
    assert undeclared(["not_a_module_anywhere"], []) == {
        "not_a_module_anywhere": "no installed distribution provides it"}
    # cryptography was once imported without being declared: the check would have said so.
    without = [line for line in declared_requirements() if not line.startswith("cryptography")]
    assert set(undeclared(third_party_imports(), without)) == {"cryptography"}
