"""The structure test: the arrows between packages run one way.

Every ``import`` in ``angelctl/`` (module level, function level and ``TYPE_CHECKING`` alike) is
read with ``ast``; a unit is a package (``angelctl.orders``) or a top-level module
(``angelctl.config``). The rules:

- the core (every unit but ``cli``, ``render`` and ``__main__``) imports neither Typer nor rich,
  nor ``angelctl.cli`` / ``angelctl.render``;
- the sandbox imports nothing of the client; of ``feed`` only the codec and the recording format;
- the client's core never imports the sandbox (only the CLI's ``sandbox`` commands host it);
- no cycle between units.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import angelctl

ROOT = Path(angelctl.__file__).parent
SHELL = {"angelctl.cli", "angelctl.render", "angelctl.__main__"}
# The feed codec and the recording format (the replay reads recordings): bytes and files only.
CODEC = {
    "angelctl.feed.encode",
    "angelctl.feed.decode",
    "angelctl.feed.ticks",
    "angelctl.feed.layout",
    "angelctl.feed.recording",
}
# Leaf modules every layer may use, the sandbox included (no client behaviour in them).
NEUTRAL = {
    "angelctl",
    "angelctl.records",
    "angelctl.clock",
    "angelctl.exchange",
    "angelctl.status",
    "angelctl.fsutil",
    "angelctl.dbutil",
    "angelctl.numbers",
    "angelctl.wire",
    "angelctl.masking",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _imports() -> list[tuple[str, str]]:
    """(importing module, imported module) for every import in the package."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(module, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                if node.module is None or target in {"angelctl", *_packages()}:
                    found += [(module, f"{target}.{alias.name}") for alias in node.names]
                else:
                    found.append((module, target))
    return found


def _packages() -> set[str]:
    return {_module_name(p.parent / "__init__.py") for p in ROOT.rglob("__init__.py")}


def test_the_core_imports_no_cli_framework_and_no_rendering() -> None:
    bad = [
        f"{source} imports {target}"
        for source, target in _imports()
        if _unit(source) not in SHELL
        and (
            target.split(".")[0] in {"typer", "rich", "click"}
            or _unit(target) in {"angelctl.cli", "angelctl.render"}
        )
    ]
    assert not bad, "\n".join(bad)


def test_the_sandbox_imports_nothing_of_the_client() -> None:
    bad = [
        f"{source} imports {target}"
        for source, target in _imports()
        if source.startswith("angelctl.sandbox")
        and target.startswith("angelctl")
        and not target.startswith("angelctl.sandbox")
        and _unit(target) not in NEUTRAL
        and target not in NEUTRAL
        and not any(target == c or target.startswith(c + ".") for c in CODEC)
    ]
    assert not bad, "\n".join(bad)


def test_the_clients_core_never_imports_the_sandbox() -> None:
    bad = [
        f"{source} imports {target}"
        for source, target in _imports()
        if _unit(source) not in SHELL
        and not source.startswith("angelctl.sandbox")
        and target.startswith("angelctl.sandbox")
    ]
    assert not bad, "\n".join(bad)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], str] = {}
    for source, target in _imports():
        a, b = _unit(source), _unit(target)
        if target.startswith("angelctl.") and a != b and b != "angelctl":
            edges[a].add(b)
            why.setdefault((a, b), f"{source} → {target}")
    cycles = _cycles(edges)
    detail = [
        " ⇄ ".join(group)
        + ": "
        + "; ".join(why[(a, b)] for a in group for b in group if (a, b) in why)
        for group in cycles
    ]
    assert not cycles, "\n".join(detail)


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The finder itself: a two-unit loop and a three-unit loop are reported, a chain is not."""
    assert _cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}}) == []
