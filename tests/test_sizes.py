"""The size test: no unit in ``angelctl/`` grows past what a reader takes in at once.

Every module is read with ``ast``. A module over ``MODULE_LINES`` lines needs a
``# long module: <reason>`` comment in its first 30 lines; a function (or method, nested ones
included) over ``FUNCTION_LINES`` lines — from its ``def`` line to its last line, signature
included, decorators not — needs ``# long: <reason>`` as the first line of its body (after the
docstring, if it has one). A written reason is the only way past.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import angelctl

PACKAGE = Path(angelctl.__file__).resolve().parent
ROOT = PACKAGE.parent
MODULE_LINES = 400
FUNCTION_LINES = 60
HEADER_LINES = 30

# Units outside the CLI and rendering that still exceed the limits: being split on other
# branches. Each is an expected failure until it is split (or given a written reason); empty this
# set as they land.


def _functions(
    body: list[ast.stmt], prefix: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function under ``body`` with its dotted name (``Class.method``, ``outer.inner``)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from _functions(node.body, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node.body, f"{prefix}{node.name}.")
        else:
            for child in ast.iter_child_nodes(node):  # under if/try/with at any depth
                if isinstance(child, ast.stmt):
                    yield from _functions([child], prefix)


def _body_opens_with_reason(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> bool:
    """Whether the first line of the body (after the docstring) is ``# long: <reason>``: the
    first of the comment lines just above the body's first statement."""
    statements = node.body
    first = statements[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        statements = statements[1:]
    if not statements:
        return False
    block: list[str] = []
    for line in reversed(lines[: statements[0].lineno - 1]):  # upwards from the statement
        text = line.strip()
        if text and not text.startswith("#"):
            break
        if text:
            block.insert(0, text)
    return bool(block) and block[0].startswith("# long:") and len(block[0]) > len("# long: ")


def oversized(source: str, name: str) -> list[str]:
    """The units of one module (``name``) over the limits without a written reason."""
    lines = source.splitlines()
    found = []
    if len(lines) > MODULE_LINES and not any(
        line.startswith("# long module:") for line in lines[:HEADER_LINES]
    ):
        found.append(name)
    for qualname, node in _functions(ast.parse(source).body):
        size = (node.end_lineno or node.lineno) - node.lineno + 1
        if size > FUNCTION_LINES and not _body_opens_with_reason(node, lines):
            found.append(f"{name}:{qualname}")
    return found


def _all_oversized() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += oversized(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    return found


def test_no_module_or_function_is_over_the_limits_without_a_reason() -> None:
    new = _all_oversized()
    assert not new, f"over {MODULE_LINES} lines per module / {FUNCTION_LINES} per function: {new}"


def _function_source(lines: int, *, doc: bool, reason: str | None) -> str:
    body = ['    """Doc."""'] if doc else []
    body += [f"    # long: {reason}"] if reason is not None else []
    body += ["    x = 1"] * (lines - 1 - len(body))
    return "def f(\n    a: int,\n) -> int:\n" + "\n".join([*body[:-1], "    return x"]) + "\n"


@pytest.mark.parametrize("doc", [False, True])
def test_the_measure_counts_the_signature_and_honours_only_a_written_reason(doc: bool) -> None:
    limit = FUNCTION_LINES + 2  # "def f(" and "a: int," come before the body's lines
    assert oversized(_function_source(FUNCTION_LINES - 2, doc=doc, reason=None), "m") == []
    assert oversized(_function_source(limit, doc=doc, reason=None), "m") == ["m:f"]
    assert oversized(_function_source(limit, doc=doc, reason="one table"), "m") == []
    assert oversized(_function_source(limit, doc=doc, reason=""), "m") == ["m:f"]
    late = _function_source(limit, doc=doc, reason=None).replace(
        "    x = 1\n", "    x = 1\n    # long: too late\n", 1
    )
    assert oversized(late, "m") == ["m:f"]


def test_a_long_module_needs_its_reason_near_the_top() -> None:
    body = "x = 1\n" * (MODULE_LINES + 1)
    assert oversized(body, "m") == ["m"]
    assert oversized("# long module: one table of codes\n" + body, "m") == []
    assert oversized("x = 1\n" * HEADER_LINES + "# long module: too late\n" + body, "m") == ["m"]
