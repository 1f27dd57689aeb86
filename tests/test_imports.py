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
ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()


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


def _private_members(tree):
    """Private methods and attributes a module's classes define (``_name``, not dunder):
    methods, class-level names and ``self._name = ...`` assignments."""
    names = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
        for node in cls.body:
            if isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def _private_uses(tree):
    """``(line, text, name)`` of every ``obj._name`` whose object is not ``self``, ``cls``,
    ``super()`` or a kernel module (``_kernels()``, a name ending in ``_kernels``)."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")):
            continue
        if node.attr.startswith("__"):
            continue
        value = node.value
        if isinstance(value, ast.Call):
            value = value.func
        if isinstance(value, ast.Name) and (
            value.id in ("self", "cls", "super") or value.id.endswith("_kernels")
        ):
            continue
        yield node.lineno, ast.unparse(node), node.attr


def test_no_private_members_of_another_modules_classes():
    """A module uses another module's classes through their public methods and
    attributes (scikit-learn's ``check_input=False`` for validated input), never
    their ``_private`` ones."""
    paths = [*PACKAGE.glob("*.py"), *(REPO / "viz").glob("*.py")]
    trees = {p: ast.parse(p.read_text()) for p in paths}
    owners: dict[str, set[str]] = {}
    for path, tree in trees.items():
        for name in _private_members(tree):
            owners.setdefault(name, set()).add(path.stem)
    found = [
        f"{path.stem}:{line}: {text} (a private member of {sorted(owners[name])})"
        for path, tree in trees.items()
        for line, text, name in _private_uses(tree)
        if name in owners and path.stem not in owners[name]
    ]
    assert found == []


def test_the_private_member_check_finds_a_crossing():
    user = ast.parse("def f(D):\n    return D._pass(1)\n")
    owner = ast.parse("class A:\n    def _pass(self, r):\n        return r\n")
    assert "_pass" in _private_members(owner)
    assert [name for _, _, name in _private_uses(user)] == ["_pass"]
