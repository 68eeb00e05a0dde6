"""The sandbox's import rules, read from the source with ``ast`` (nothing is imported).

1. The sandbox imports nothing of the client: no ``angelctl.broker``, ``orders``, ``risk``,
   ``cli``, ``render``, ``config``, ``secrets`` or ``instruments``, and of ``angelctl.feed`` only
   the codec (``encode``, ``decode``, ``ticks``, ``layout``) and the recording format
   (``recording``, which the replay reads).
2. Layers run one way: shared leaves (``clock``, ``config``, ``config_defaults``,
   ``market_calendar``, ``trading_hours``) → ``engine`` → ``rest`` → ``ws`` → ``server`` → the
   package's ``__init__``; a module imports only its own layer or those before it.
3. Inside ``ws``: ``endpoints`` → ``feed``/``orders`` → ``hub``, never back.
4. No import cycle between sandbox modules (imports at any depth, ``TYPE_CHECKING`` ones too).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import angelctl.sandbox

SANDBOX = Path(angelctl.sandbox.__file__).parent
PACKAGE = "angelctl.sandbox"

FORBIDDEN = ("broker", "orders", "risk", "cli", "render", "config", "secrets", "instruments")
FEED_ALLOWED = (
    "angelctl.feed.encode",
    "angelctl.feed.decode",
    "angelctl.feed.ticks",
    "angelctl.feed.layout",
    "angelctl.feed.recording",
)

# Imports allowed by name in spite of the rules (none since the exchange calendar left
# ``angelctl.risk``). An entry that no longer matches an import fails ``test_no_stale_exemptions``.
EXEMPT: set[tuple[str, str]] = set()

LEAVES = ("clock", "config", "config_defaults", "market_calendar", "trading_hours")
LAYERS = {"engine": 1, "rest": 2, "ws": 3, "server": 4}
WS_ORDER = {"hub": 0, "feed": 1, "orders": 1, "endpoints": 2}


def module_name(path: Path) -> str:
    parts = path.relative_to(SANDBOX).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def is_module(name: str) -> bool:
    if not name.startswith(PACKAGE):
        return False
    rel = name[len(PACKAGE) :].lstrip(".").replace(".", "/")
    base = SANDBOX / rel if rel else SANDBOX
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports(tree: ast.AST, name: str, is_package: bool) -> Iterator[str]:
    """Every module ``tree`` imports; ``from pkg import mod`` names ``pkg.mod`` when a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yielded = False
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                if is_module(candidate):
                    yield candidate
                    yielded = True
            if not yielded:
                yield source


def import_table(root: Path = SANDBOX) -> dict[str, set[str]]:
    table = {}
    for path in sorted(root.rglob("*.py")):
        name = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        table[name] = set(imports(tree, name, path.name == "__init__.py"))
    return table


def client_violations(table: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in table.items():
        for target in sorted(targets):
            if (module, target) in EXEMPT:
                continue
            parts = target.split(".")
            if parts[0] != "angelctl" or len(parts) < 2:
                continue
            if parts[1] in FORBIDDEN:
                found.append(f"{module} imports the client's {target}")
            elif parts[1] == "feed" and not target.startswith(FEED_ALLOWED):
                found.append(f"{module} imports {target} (only the feed codec and recording)")
    return found


def layer(module: str) -> tuple[int, int]:
    """(layer, rank inside ws) of a sandbox module; the package itself is the top."""
    parts = module.split(".")[2:]
    if not parts:
        return 5, 0
    if parts[0] in LEAVES:
        return 0, 0
    inner = WS_ORDER.get(parts[1], 0) if parts[0] == "ws" and len(parts) > 1 else 0
    return LAYERS[parts[0]], inner


def layer_violations(table: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in table.items():
        for target in sorted(t for t in targets if t.startswith(PACKAGE)):
            if target == module or module.startswith(target + "."):
                continue  # a module and its own package's __init__
            if layer(target) > layer(module):
                found.append(f"{module} imports {target}, a later layer")
    return found


def cycles(table: dict[str, set[str]]) -> list[list[str]]:
    graph = {m: {t for t in ts if t in table and t != m} for m, ts in table.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def package_inits(table: dict[str, set[str]]) -> set[str]:
    return {
        m for m in table if (SANDBOX / m[len(PACKAGE) :].lstrip(".").replace(".", "/")).is_dir()
    }


@pytest.fixture(scope="module")
def table() -> dict[str, set[str]]:
    return import_table()


def test_the_sandbox_imports_nothing_of_the_client(table: dict[str, set[str]]) -> None:
    assert len(table) > 40  # the walk found the sandbox
    assert client_violations(table) == []


def test_no_stale_exemptions(table: dict[str, set[str]]) -> None:
    stale = sorted(pair for pair in EXEMPT if pair[1] not in table.get(pair[0], set()))
    assert stale == [], "these modules no longer import that: delete the EXEMPT entries"


def test_layers_run_one_way(table: dict[str, set[str]]) -> None:
    assert layer_violations(table) == []


def test_no_import_cycle_between_sandbox_modules(table: dict[str, set[str]]) -> None:
    # A package's __init__ that re-exports its modules is not a cycle with them.
    inits = package_inits(table)
    plain = {m: ts - inits for m, ts in table.items()}
    assert cycles(plain) == []


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """Each rule flags a module written to break it (so an empty answer above means something)."""
    bad = {
        "angelctl.sandbox.engine.bad": {
            "angelctl.broker.trace",
            "angelctl.feed.connection",
            "angelctl.sandbox.rest.wire",
            "angelctl.risk.holidays",
        },
        "angelctl.sandbox.ws.hub": {"angelctl.sandbox.ws.feed"},
        "angelctl.sandbox.ws.feed": {"angelctl.sandbox.ws.hub", "angelctl.feed.ticks"},
    }
    assert client_violations(bad) == [
        "angelctl.sandbox.engine.bad imports the client's angelctl.broker.trace",
        "angelctl.sandbox.engine.bad imports angelctl.feed.connection "
        "(only the feed codec and recording)",
        "angelctl.sandbox.engine.bad imports the client's angelctl.risk.holidays",
    ]
    assert layer_violations(bad) == [
        "angelctl.sandbox.engine.bad imports angelctl.sandbox.rest.wire, a later layer",
        "angelctl.sandbox.ws.hub imports angelctl.sandbox.ws.feed, a later layer",
    ]
    assert cycles(bad) == [
        ["angelctl.sandbox.ws.feed", "angelctl.sandbox.ws.hub", "angelctl.sandbox.ws.feed"]
    ]


def test_relative_and_package_imports_resolve_to_modules() -> None:
    source = (
        "from . import feed\nfrom ..engine import market\nfrom angelctl.sandbox.ws import hub\n"
    )
    found = set(imports(ast.parse(source), "angelctl.sandbox.ws.orders", is_package=False))
    assert found == {
        "angelctl.sandbox.ws.feed",
        "angelctl.sandbox.engine.market",
        "angelctl.sandbox.ws.hub",
    }
