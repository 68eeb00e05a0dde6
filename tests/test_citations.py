"""Citations resolve: every pointer into docs/ names a file and a heading that exist, no old-form
citation is left, and dotted module paths in docstrings name real modules.

What is allowed, precisely:
- ``docs/<name>.md`` and ``docs/<name>.md#<anchor>``, where the file exists and the anchor
  is one of its headings' GitHub anchors (``rewrite_citations.slug``, repeats numbered -1, -2 …);
  inside docs/*.md also ``(#<anchor>)`` links to the same file;
- "RFC 6455 §5.2"-style citations of public standards;
- a scenario id used as a name ("A4: …" opening a test's docstring, "# --- B4"), since
  docs/scenarios.md has a heading for each id; but not "scenario A4", "scenarios A4, B3" or
  "(A4)" without a pointer.
Not allowed anywhere: "reference §N", a bare "§N", "smartapi-protocol.md",
"reliability-scenarios.md", or a path into ../shared (except in test_realdata_copy.py, whose
subject is that folder). docs/rewrite_citations.py holds the patterns (``old_citations``) and
the tables; this file and it are exempt from the old-form check because they spell the forms out.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import sys
import tokenize
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO


def _load_rewriter() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rewrite_citations", REPO / "docs" / "rewrite_citations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


rc = _load_rewriter()

POINTER = re.compile(r"docs/([\w.-]+\.md)(?:#([\w-]+))?")
LOCAL_LINK = re.compile(r"\]\(#([\w-]+)\)")
ALLOWED_OLD = {("tests/test_realdata_copy.py", "../shared")}


def _files() -> Iterator[Path]:
    for folder in ("angelctl", "tests", "bench"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if "realdata" not in path.relative_to(REPO).parts:
                yield path
    yield REPO / "README.md"
    yield from sorted((REPO / "docs").glob("*.md"))
    yield REPO / "docs" / "rewrite_citations.py"


def _name(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@cache
def _anchors(doc: str) -> frozenset[str]:
    return frozenset(rc.anchors((REPO / "docs" / doc).read_text(encoding="utf-8")))


# ------------------------------------------------------------------------------ the slug rule


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("A4 — crash between send and answer", "a4--crash-between-send-and-answer"),
        ("Rate limits", "rate-limits"),
        ("WebSocket 2.0 market feed", "websocket-20-market-feed"),
        ("heading with a - dash", "heading-with-a---dash"),
        ("heading with an _ underscore", "heading-with-an-_-underscore"),
        ("heading with a period.txt", "heading-with-a-periodtxt"),
        ("exchange.bind_headers(exchange, routing [, bindCallback])",
         "exchangebind_headersexchange-routing--bindcallback"),
        ("I ♥ unicode", "i--unicode"),
        ("en–dash", "endash"),
        ("apostrophe’s should be trimmed", "apostrophes-should-be-trimmed"),
        ("Привет non-latin 你好", "привет-non-latin-你好"),
        ("`code`, **bold** and [a link](https://example.com)", "code-bold-and-a-link"),
    ],
)  # fmt: skip
def test_slug_is_githubs_heading_anchor(heading: str, anchor: str) -> None:
    assert rc.slug(heading) == anchor


def test_repeated_headings_are_numbered_as_github_numbers_them() -> None:
    text = "# echo\n## echo\n### echo 1\n#### echo-1\n# echo\n```\n# not a heading\n```\n"
    assert rc.anchors(text) == ["echo", "echo-1", "echo-1-1", "echo-1-2", "echo-2"]


# ------------------------------------------------------------------------ the rewriter's rules


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("(reference §5)", "(docs/protocol.md#rate-limits)"),
        ("protocol reference §3.3 #19-#23", "docs/protocol.md#route-table #19-#23"),
        ("(reference §3.1, §4).", "(docs/protocol.md#envelopes-and-value-types, "
         "docs/protocol.md#error-answers)."),
        ("a 10 s heartbeat (§8) by default", "a 10 s heartbeat "
         "(docs/protocol.md#order-update-socket) by default"),
        ("§§7.1-7.3", "docs/protocol.md#feed-handshake, docs/protocol.md#feed-limits, "
         "docs/protocol.md#feed-heartbeat"),
        ("see smartapi-protocol.md §9", "see docs/protocol.md#instrument-master"),
        ("(scenario E5)", "(docs/scenarios.md#e5--starting-with-no-network)"),
        ("(scenarios A4, B3)", "(docs/scenarios.md#a4--crash-at-every-step-of-placement, "
         "docs/scenarios.md#b3--the-kill-run-twice-or-crashed-halfway)"),
        ("the scenarios (B1, B4) need", "the scenarios (docs/scenarios.md#b1--full-kill-under-load,"
         " docs/scenarios.md#b4--partial-fills-and-refused-exits) need"),
        ("pre-trade checks (A6),", "pre-trade checks "
         "(docs/scenarios.md#a6--pre-trade-checks-before-any-network-call),"),
        ("in ../shared/realdata/ticks", "in tests/realdata/ticks"),
        ("RFC 6455 §5.2 opcodes", "RFC 6455 §5.2 opcodes"),
        ("the reference price", "the reference price"),
    ],
)  # fmt: skip
def test_every_old_form_becomes_a_pointer(old: str, new: str) -> None:
    assert rc.rewrite_text(old) == new
    assert rc.rewrite_text(new) == new  # idempotent
    assert rc.old_citations(new) == []


def test_a_section_missing_from_the_table_is_refused_not_guessed() -> None:
    with pytest.raises(rc.Unmapped):
        rc.rewrite_text("reference §42")
    with pytest.raises(rc.Unmapped):
        rc.rewrite_text("scenario E9")


def test_python_rewrites_touch_prose_only_and_wrap_to_the_line_limit() -> None:
    source = (
        '"""Handlers for the GTT routes (reference §3.3 #19-#23): validation with the documented\n'
        "AB9xxx codes, and the rest.\n"
        '"""\n\n'
        "LIMIT = 1000  # per connection, counted per token×mode, on the live service (§7.2, §8)\n"
        "NAME = 'reference §5'\n"
    )
    problems: list[str] = []
    new = rc.rewrite_python(source, problems.append)
    assert problems == []
    assert all(len(line) <= rc.LINE_LIMIT for line in new.splitlines())
    assert "LIMIT = 1000\n" in new and "# per connection" in new
    assert "docs/protocol.md#route-table #19-#23" in new
    assert "AB9xxx codes, and the rest." in new.replace("\n", " ")

    def code(text: str) -> list[str]:
        skip = (tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE)
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return [t.string for t in tokens if t.type not in skip]

    assert code(new) == code(source)
    assert rc.rewrite_python(new, problems.append) == new


def test_the_rewriter_has_nothing_left_to_do_in_the_repository() -> None:
    assert rc.main(["--check"]) == 0


def test_every_table_entry_names_a_heading_that_exists() -> None:
    for anchor in rc.PROTOCOL_SECTIONS.values():
        assert anchor in _anchors("protocol.md"), anchor
    for scenario, anchor in rc.SCENARIO_ANCHORS.items():
        assert anchor in _anchors("scenarios.md"), anchor
        assert anchor.startswith(scenario.lower() + "--")


# ------------------------------------------------------------------- the repository's citations


def test_every_docs_pointer_names_an_existing_file_and_heading() -> None:
    broken = []
    for path in _files():
        text = path.read_text(encoding="utf-8")
        for match in POINTER.finditer(text):
            doc, anchor = match.groups()
            if not (REPO / "docs" / doc).is_file():
                broken.append(f"{_name(path)}: {match.group(0)} (no such file)")
            elif anchor and anchor not in _anchors(doc):
                broken.append(f"{_name(path)}: {match.group(0)} (no such heading)")
        if path.suffix == ".md" and path.parent.name == "docs":
            for anchor in LOCAL_LINK.findall(text):
                if anchor not in _anchors(path.name):
                    broken.append(f"{_name(path)}: #{anchor} (no such heading)")
    assert broken == []


def test_no_old_form_citation_is_left() -> None:
    found = []
    for path in _files():
        if _name(path) in ("docs/rewrite_citations.py", "tests/test_citations.py"):
            continue
        for old in rc.old_citations(path.read_text(encoding="utf-8")):
            if (_name(path), old) not in ALLOWED_OLD:
                found.append(f"{_name(path)}: {old!r}")
    assert found == []


def test_the_docs_name_tests_benches_and_modules_that_exist() -> None:
    """`tests/x.py::test_y`, `bench/x.py` and `broker/x.py`-style paths in docs/*.md."""
    missing = []
    for doc in sorted((REPO / "docs").glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for path, function in re.findall(r"`((?:tests|bench)/[\w/]+\.py)(?:::(\w+))?`", text):
            target = REPO / path
            if not target.is_file():
                missing.append(f"{doc.name}: {path}")
            elif function and f"def {function}(" not in target.read_text(encoding="utf-8"):
                missing.append(f"{doc.name}: {path}::{function}")
        for path in re.findall(r"`([a-z_]+/[\w/]+\.py)`", text):
            if path.startswith(("tests/", "bench/", "docs/")):
                continue
            if not (REPO / path).is_file() and not (PACKAGE / path).is_file():
                missing.append(f"{doc.name}: {path}")
    assert missing == []


# ------------------------------------------------------------- dotted module paths in docstrings

PACKAGE = REPO / "angelctl"
MODULES = {p.stem for p in PACKAGE.glob("*.py")}
TOP_LEVEL = MODULES | {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
DOTTED = re.compile(r"``((?:angelctl\.)?[a-z_][a-z0-9_]*(?:\.[A-Za-z_]\w*)+)``")
FILE_SUFFIXES = ("py", "json", "md", "toml", "txt", "sqlite3", "csv", "log")


def _defined_names(tree: ast.AST) -> dict[str, ast.AST]:
    """Top-level names a module (or class body) defines or imports."""
    names: dict[str, ast.AST] = {}
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = node
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, ast.If | ast.Try):
            names.update(_defined_names(node))
    return names


@cache
def _module_tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _class_members(tree: ast.Module) -> set[str]:
    """Names any class of a module defines: fields, methods, and ``self.x = …`` in its methods."""
    members: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            members.update(_defined_names(node))
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            members.add(node.attr)
    return members


def _resolve_in(folder: Path, parts: list[str]) -> bool | None:
    """None when ``parts[0]`` is no module under ``folder``; else whether the rest resolves: a
    module path, then names the deepest module defines (following classes), and, tolerantly,
    one name any of its classes defines (`config.allow_remote` for a config object)."""
    module, index = folder / "__init__.py", 0
    while index < len(parts):
        name = parts[index]
        if (folder / name / "__init__.py").is_file():
            folder, module, index = folder / name, folder / name / "__init__.py", index + 1
        elif (folder / f"{name}.py").is_file():
            module, index = folder / f"{name}.py", index + 1
            break
        else:
            break
    if index == 0:
        return None
    tree = _module_tree(module)
    node: ast.AST = tree
    for position, name in enumerate(parts[index:]):
        found = _defined_names(node).get(name)
        if found is None:
            return position == 0 and len(parts) - index == 1 and name in _class_members(tree)
        if not isinstance(found, ast.ClassDef):
            return True  # a function, constant or import: its members are not followed
        node = found
    return True


def _resolves(dotted: str, here: Path = PACKAGE) -> bool:
    """`angelctl.a.b` from the package root; `a.b` from the citing file's own package (a
    sibling module) or from the root."""
    if dotted.startswith("angelctl."):
        return bool(_resolve_in(PACKAGE, dotted.split(".")[1:]))
    parts = dotted.split(".")
    return any(_resolve_in(folder, parts) for folder in dict.fromkeys([here, PACKAGE]))


def _docstrings_and_comments(path: Path) -> Iterator[tuple[str, set[str]]]:
    """Each docstring with the parameter names of its function (`status.at` in a function
    taking `status` is about the argument, not the module), and each comment."""
    source = path.read_text(encoding="utf-8")
    for node in ast.walk(_module_tree(path)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            params: set[str] = set()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args
                every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                params = {a.arg for a in every}
            if docstring:
                yield docstring, params
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.string, set()


def test_dotted_module_paths_in_docstrings_resolve() -> None:
    unresolved = []
    for path in _files():
        if path.suffix != ".py":
            continue
        for text, params in _docstrings_and_comments(path):
            for dotted in DOTTED.findall(text):
                first = dotted.removeprefix("angelctl.").split(".")[0]
                if dotted.rsplit(".", 1)[-1] in FILE_SUFFIXES:
                    continue  # a file name such as ``config.json``
                if first not in TOP_LEVEL and not dotted.startswith("angelctl."):
                    continue
                if first in params and not dotted.startswith("angelctl."):
                    continue  # an argument's attribute
                here = path.parent if path.is_relative_to(PACKAGE) else PACKAGE
                if not _resolves(dotted, here) and first not in sys.stdlib_module_names:
                    unresolved.append(f"{_name(path)}: ``{dotted}``")
    assert unresolved == []


def test_the_module_path_check_catches_a_module_that_does_not_exist() -> None:
    assert _resolves("broker.api.open_api")
    assert _resolves("angelctl.orders.placer.OrderPlacer.place")
    assert _resolves("feed.decode")
    assert _resolves("config.allow_remote", PACKAGE / "sandbox")  # an attribute of its config
    assert not _resolves("broker.factory.open_api")
    assert not _resolves("angelctl.broker.factory")
    assert not _resolves("angelctl.broker.api.no_such_function")
    assert not _resolves("orders.placer.OrderPlacer.no_such_method")
