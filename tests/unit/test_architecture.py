"""The package layering of DESIGN.md, checked on the source: who may import whom, no cycles.

An AST walk (no import is executed) collects every import of a product module, also
those inside functions; imports under ``if TYPE_CHECKING:`` are only for type hints and
do not count. ``from pkg import name`` counts as an import of ``pkg.name`` when that is
a module, else of ``pkg``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("acd", "ivr", "case_store", "agi_scripts", "asterisk_conf", "hotline")
TOOLING = ("testkit",)

# package -> the project's packages it must never import
FORBIDDEN = {
    "case_store": {"acd", "ivr", "hotline", "testkit", "asterisk_conf"},
    "acd": {"ivr", "hotline", "testkit", "asterisk_conf"},
    "ivr": {"hotline", "testkit", "asterisk_conf"},
    "asterisk_conf": {"acd", "ivr", "case_store", "hotline", "testkit"},
    "agi_scripts": {"acd", "ivr", "case_store", "hotline", "testkit", "asterisk_conf"},
    "hotline": {"testkit"},
}


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if _type_checking_only(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports."""
    files = {module_name(root, p): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in files else base)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def breaches(graph: dict[str, set[str]], forbidden: dict[str, set[str]]) -> list[str]:
    """'a.b -> c.d' for every import a package must not make."""
    out = []
    for module, targets in sorted(graph.items()):
        banned = forbidden.get(module.split(".")[0], set())
        out += [f"{module} -> {t}" for t in sorted(targets) if t.split(".")[0] in banned]
    return out


def _plant(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_product_and_test_kit_have_no_import_cycle():
    assert cycles(import_graph(ROOT, PRODUCT + TOOLING)) == []


def test_packages_import_only_what_their_layer_allows():
    graph = import_graph(ROOT, PRODUCT + TOOLING)
    assert breaches(graph, FORBIDDEN) == []


def test_the_running_product_never_reaches_the_test_kit():
    graph = import_graph(ROOT, PRODUCT + TOOLING)
    reached, todo = set(), ["hotline.cli", "hotline.service"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo += graph.get(module, ())
    assert reached and not [m for m in reached if m.startswith("testkit")]


def test_the_check_finds_a_planted_cycle_and_a_planted_breach(tmp_path):
    _plant(tmp_path, {
        "acd/__init__.py": "",
        "acd/line.py": "from acd import seats\n",
        "acd/seats.py": "def f():\n    from acd.line import X\n",  # a lazy import still counts
        "acd/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                        "    from acd import line\n",
        "case_store/__init__.py": "",
        "case_store/store.py": "from . import rules\nimport acd.line\n",
        "case_store/rules.py": "",
    })
    graph = import_graph(tmp_path, ("acd", "case_store"))
    assert cycles(graph) == [["acd.line", "acd.seats"]]
    assert graph["case_store.store"] == {"case_store.rules", "acd.line"}
    assert graph["acd.typed"] == set()
    assert breaches(graph, FORBIDDEN) == ["case_store.store -> acd.line"]
