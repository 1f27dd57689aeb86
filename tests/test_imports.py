"""The package's import structure: no circles, no private names taken from public modules.

Both tests read the source files with :mod:`ast`, so imports inside functions
count as much as those at the top of a module.
"""

import ast
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = REPO / "geolasso"

#: Edges (importer, imported) left out of the acyclicity check. Each is a known circle that the
#: modules concerned must break themselves.
ALLOWED_EDGES: set[tuple[str, str]] = set()

#: Private names imported from public geolasso modules, outside the modules cleaned so far:
#: (importer, imported module, name). Each should become a public-in-package helper.
ALLOWED_PRIVATE = {
    ("arrangements", "dictionary", "_first_unique_rows"),
    ("cnn", "dictionary", "_build_bytes"),
    ("cnn", "dictionary", "_gib"),
    ("cnn", "dictionary", "_setting_of"),
    ("cnn", "dictionary", "_subset_size"),
    ("cnn", "lasso", "_check_positive"),  # _validation.check_positive is the public twin
    ("cnn", "convex", "_Progress"),
    ("convex", "dictionary", "_build_bytes"),
    ("convex", "arrangements", "_row_space"),
}


def _imports(path):
    """(imported geolasso module, names) of every ``from`` import in a source file."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    inside = path.parent == PACKAGE
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 1 and inside:
            if node.module is None:  # from . import convex
                for alias in node.names:
                    if alias.name in modules:
                        yield alias.name, ()
                continue
            module = node.module
        elif node.level == 0 and (node.module or "").startswith("geolasso."):
            module = node.module.split(".", 1)[1]
        else:
            continue
        yield module.split(".")[0], tuple(alias.name for alias in node.names)


def _graph():
    graph = {}
    for path in PACKAGE.glob("*.py"):
        edges = {module for module, _ in _imports(path)} - {path.stem}
        graph[path.stem] = {m for m in edges if (path.stem, m) not in ALLOWED_EDGES}
    return graph


def _cycle(graph):
    """A list of modules forming a circle, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_cycle():
    graph = _graph()
    assert "readers" in graph
    assert graph["lasso"].isdisjoint({"estimators"})
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_allowed_edges_are_still_needed():
    # an allowance whose import is gone must be removed from the list
    for importer, imported in ALLOWED_EDGES:
        assert imported in {m for m, _ in _imports(PACKAGE / f"{importer}.py")}


def test_no_private_names_from_public_modules():
    found = set()
    for path in [*PACKAGE.glob("*.py"), *(REPO / "viz").glob("*.py")]:
        for module, names in _imports(path):
            if module.startswith("_"):  # private modules (kernels) are the package's own
                continue
            found |= {(path.stem, module, n) for n in names if n.startswith("_")}
    assert found - ALLOWED_PRIVATE == set()
    assert ALLOWED_PRIVATE - found == set(), "remove the fixed entries from ALLOWED_PRIVATE"
