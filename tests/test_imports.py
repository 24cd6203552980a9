"""The library's modules import each other in one direction: no cycle, function-level imports included; and the
front end (app.py, ui/) reaches the library through its service only.

A cycle hidden inside a function still ties two modules together (neither can be read, tested or moved without the
other), so every `import` in a module counts, wherever it stands (type-only ones too).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "fashion_ai"
# Loops known and reported to their owners, by package and rooms; each goes when its fix lands (issue 32 point 1).
# The last one (training's engine <-> run) went when train_loop typed its run by a Protocol (engine.RunState).
KNOWN_LOOPS: set[tuple[str, frozenset[str]]] = set()  # none left; a loop added here needs a reason beside it


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def library_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / PACKAGE).rglob("*.py"))}


def imported_names(path: Path, name: str) -> set[str]:
    """Every dotted name that `name`'s imports reach, top-level and inside functions, relative ones resolved."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            # `from a import b` reads module a.b when there is one, else a name defined in a.
            names.update(f"{base}.{alias.name}" for alias in node.names)
            names.add(base)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the library modules it imports (a `from a import b` of a name counts as importing a)."""
    modules = library_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(path, name):
            if imported in modules:
                targets.add(imported)
            elif imported.rpartition(".")[0] in modules and imported.rpartition(".")[0] != name:
                targets.add(imported.rpartition(".")[0])
        targets.discard(name)
        graph[name] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of two or more nodes that all reach each other (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

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
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path back to its start) per group of nodes that reach each other."""
    return [_one_cycle(graph, group) for group in strongly_connected(graph)]


def _one_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first node back to itself, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group always has one


def folder_graphs(graph: dict[str, set[str]]) -> dict[str, dict[str, set[tuple[str, str]]]]:
    """For each package: child (subfolder, module or its __init__) -> child -> the module imports that tie them.

    `catalog` imports `datasets` when any module under catalog/ imports one under datasets/: a loop between two
    folders means neither can be understood or moved without the other, even when no two files form a loop.
    """
    packages = {name for name in graph if any(other.startswith(name + ".") for other in graph)}
    folders: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for package in packages:
        def child(module: str, package: str = package) -> str | None:
            if module == package:
                return "__init__"  # a package's face is one of its rooms: a child importing it back is a loop
            return module[len(package) + 1 :].split(".")[0] if module.startswith(package + ".") else None

        ties: dict[str, dict[str, set[tuple[str, str]]]] = {}
        for module, targets in graph.items():
            source = child(module)
            if source is None:
                continue
            for target in targets:
                into = child(target)
                if into is not None and into != source:
                    ties.setdefault(source, {}).setdefault(into, set()).add((module, target))
        folders[package] = ties
    return folders


def describe_cycles() -> list[str]:
    """Every loop among the rooms (modules and folders) of each package, with the imports that make it.

    A loop between modules shows in the package that holds them both, so this finds every module loop too.
    """
    graph = import_graph()
    found = []
    for package, ties in sorted(folder_graphs(graph).items()):
        children = {source: set(targets) for source, targets in ties.items()}
        for group in strongly_connected(children):
            if (package, frozenset(group)) in KNOWN_LOOPS:
                continue
            cycle = _one_cycle(children, group)
            lines = [f"in {package}/: " + " -> ".join(cycle) + f" (all of {sorted(group)} reach each other)"]
            for source, into in zip(cycle, cycle[1:]):
                lines += [f"    {module} imports {target}" for module, target in sorted(ties[source][into])]
            found.append("\n".join(lines))
    return found


def test_the_library_has_no_import_cycle():
    cycles = describe_cycles()
    assert not cycles, "import cycles in fashion_ai/:\n" + "\n".join(cycles)


# What the front end may import of the library: the service; and app.py the settings, read before there is a service
# to ask (the service is made from them).
FRONT_END = {"app.py": {"fashion_ai.service", "fashion_ai.config"}}
SERVICE_ONLY = {"fashion_ai.service"}


def front_end_files() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "ui").rglob("*.py"))]


def library_imports_beyond(path: Path, name: str, allowed: set[str]) -> set[str]:
    """The library modules (and names in them) a file (module `name`) imports that are not, or not under, an
    allowed module."""
    reached = set()
    for imported in imported_names(path, name):
        if imported == PACKAGE:  # the base of `from fashion_ai import x`: x is judged on its own
            continue
        if imported.startswith(PACKAGE + ".") and not any(imported == ok or imported.startswith(ok + ".") for ok in allowed):
            reached.add(imported)
    return reached


@pytest.mark.parametrize("path", front_end_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_the_front_end_reaches_the_library_through_the_service_only(path):
    beyond = library_imports_beyond(path, module_name(path), FRONT_END.get(str(path.relative_to(ROOT)), SERVICE_ONLY))
    assert not beyond, f"{path.relative_to(ROOT)} imports {sorted(beyond)}: ask fashion_ai.service for it instead"


def test_a_front_end_import_past_the_service_is_caught(tmp_path):
    page = tmp_path / "ui" / "page.py"
    page.parent.mkdir()
    page.write_text("from fashion_ai.service import FashionService\nfrom fashion_ai import service, schema\n"
                    "if TYPE_CHECKING:\n    from fashion_ai.models.extraction import FieldGuess\n"
                    "def f():\n    import fashion_ai.catalog.store\n")
    assert library_imports_beyond(page, "ui.page", SERVICE_ONLY) == {
        "fashion_ai.schema", "fashion_ai.models.extraction", "fashion_ai.models.extraction.FieldGuess",
        "fashion_ai.catalog.store"}


@pytest.mark.parametrize("module", ["fashion_ai.datasets", "fashion_ai.catalog.importer", "fashion_ai.demo_world"])
def test_data_modules_load_without_torch(module):
    # Reading a dataset or writing a catalog needs the prompt's words, not a model: torch takes seconds to import.
    probe = f"import sys, {module}; print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "graph, expected",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b", "a"]]),
        # Two separate loops, one of three modules reached through a module that is in none.
        ({"a": {"b"}, "b": {"a"}, "x": {"p"}, "p": {"q"}, "q": {"r"}, "r": {"p"}}, [["a", "b", "a"], ["p", "q", "r", "p"]]),
    ],
)
def test_find_cycles_names_each_loop(graph, expected):
    assert sorted(find_cycles(graph)) == expected


def test_imports_inside_functions_and_relative_imports_are_read(tmp_path):
    source = tmp_path / "fashion_ai" / "catalog" / "items.py"
    source.parent.mkdir(parents=True)
    source.write_text("def load():\n    from ..models import registry\n    import fashion_ai.schema\n")
    # module_name needs ROOT; read the file as the module it would be.
    names = imported_names(source, "fashion_ai.catalog.items")
    assert {"fashion_ai.models.registry", "fashion_ai.schema"} <= names
