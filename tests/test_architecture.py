"""The layers stay layers: the domain core imports no framework and no adapter, and no two
first-party modules import each other (directly or through others), counting imports made
inside functions too. Adapters (bot/, web/, actions/, sim/) sit on top of community/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("community", "bot", "web", "actions", "nlu", "sim")
# Adapters and the frameworks they wrap. The core may use libraries (SQLAlchemy, Alembic,
# phonenumbers, openpyxl, typer for its own CLI) but no front end.
FORBIDDEN_IN_CORE = (
    "telegram",
    "rasa",
    "rasa_sdk",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "httpx",
    "apscheduler",
    "bot",
    "actions",
    "nlu",
    "web",
    "sim",
    "tests",
)


def _imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file (also inside functions); for
    `from a import b` both `a` and `a.b` (b may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_community_imports_no_framework_and_no_adapter():
    core = [p for name, p in _modules().items() if name.split(".")[0] == "community"]
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in core
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN_IN_CORE
    )
    assert not offenders
    assert len(core) > 10  # the scan really saw the package


def test_no_import_cycles_between_first_party_modules():
    modules = _modules()
    graph = {
        name: {target for target in _imports(path) if target in modules and target != name}
        for name, path in modules.items()
    }
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    # The check itself: a graph with a cycle through three modules is reported.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_test_tooling_is_not_in_the_bot_package():
    assert not list((ROOT / "bot").glob("emulator*"))
