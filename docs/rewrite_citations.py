"""Rewrite old-style citations into pointers into the repository's own docs.

    python docs/rewrite_citations.py [--check] [PATH ...]

Old forms name documents that are not in the repository: "reference §3.3 #19-#23",
"protocol reference §7.5", "(§5)", "§§7.1-7.3", "scenario A4", "scenarios A4, B3",
"scenarios (B1, B4)", a bare "(A6)" in a comment or docstring, and paths into the folder beside
the checkout ("../shared/realdata/…"). Each becomes a pointer such as
``docs/protocol.md#rate-limits`` or ``docs/scenarios.md#a4--crash-at-every-step-of-placement``,
through the two tables below (old section or scenario id → docs file + anchor).

Invariants:
- only comments and string literals of Python files are touched (tokenize finds them), and the
  whole text of Markdown files; code never changes;
- "RFC 6455 §5.2"-style citations of public standards are left alone;
- idempotent: a second run changes nothing (no old form is left to match);
- a rewritten line over LINE_LIMIT is wrapped if it is a comment or a docstring line (a
  trailing comment moves above its code line); any other over-long line is reported;
- an old citation with no entry in the tables is reported and fails the run, never guessed.

``--check`` writes nothing and exits 1 when a file would change or a citation is unmapped.
Default paths: angelctl, tests, bench, README.md and docs/*.md. ``slug`` is GitHub's heading
anchor rule; tests/test_citations.py imports it, the tables and ``old_citations`` from here.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tokenize
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

PROTOCOL = "docs/protocol.md"
SCENARIOS = "docs/scenarios.md"

# Old protocol section (as cited: "§3.3", "§7.5" …) → anchor in docs/protocol.md.
PROTOCOL_SECTIONS: dict[str, str] = {
    "1": "hosts-and-paths",
    "2": "request-headers",
    "2.1": "request-headers",
    "2.2": "request-headers",
    "2.3": "request-headers",
    "3": "route-table",
    "3.1": "envelopes-and-value-types",
    "3.2": "enumerations",
    "3.3": "route-table",
    "3.4": "row-shapes",
    "3.5": "market-quotes",
    "3.6": "historical-candles",
    "4": "error-answers",
    "4.1": "error-codes",
    "4.2": "expired-sessions",
    "4.3": "bodies-that-are-not-json",
    "5": "rate-limits",
    "6": "login-sessions-and-totp",
    "7": "websocket-20-market-feed",
    "7.1": "feed-handshake",
    "7.2": "feed-limits",
    "7.3": "feed-heartbeat",
    "7.4": "subscribe-requests",
    "7.5": "binary-tick-layout",
    "7.6": "server-text-frames",
    "7.7": "index-tokens-on-the-feed",
    "7.8": "websocket-20-market-feed",
    "7.9": "websocket-20-market-feed",
    "8": "order-update-socket",
    "9": "instrument-master",
    "10": "exchange-facts",
    "10.1": "market-hours",
    "10.2": "lot-sizes-and-freeze-quantities",
    "10.3": "static-ip-and-the-2026-algo-rules",
    "10.4": "exchange-refusal-texts",
    "10.5": "known-quirks",
    "10.6": "exchange-refusal-texts",
    "11": "known-quirks",
}

# Scenario id → anchor in docs/scenarios.md.
SCENARIO_ANCHORS: dict[str, str] = {
    "A1": "a1--placeorder-answer-lost-after-the-broker-accepted-it",
    "A2": "a2--a-failure-before-sending-is-retried",
    "A3": "a3--a-definite-refusal-is-not-resent-blindly",
    "A4": "a4--crash-at-every-step-of-placement",
    "A5": "a5--ten-runs-with-one-intent-id-at-once",
    "A6": "a6--pre-trade-checks-before-any-network-call",
    "B1": "b1--full-kill-under-load",
    "B2": "b2--the-latch-blocks-new-exposure",
    "B3": "b3--the-kill-run-twice-or-crashed-halfway",
    "B4": "b4--partial-fills-and-refused-exits",
    "B5": "b5--the-session-expires-mid-kill",
    "B6": "b6--nothing-can-be-verified",
    "C1": "c1--malformed-frames",
    "C2": "c2--decoder-properties-and-fuzzing",
    "C3": "c3--silent-stall",
    "C4": "c4--reconnect-storm",
    "C5": "c5--subscriptions-survive-everything",
    "C6": "c6--bad-certificate",
    "D1": "d1--no-secrets-in-any-output",
    "D2": "d2--no-secrets-in-argv-or-environment",
    "D3": "d3--no-keyring-backend",
    "D4": "d4--file-permissions",
    "D5": "d5--login-and-totp-discipline",
    "E1": "e1--one-rate-budget-across-processes",
    "E2": "e2--journal-durability",
    "E3": "e3--timezone-independence",
    "E4": "e4--wall-clock-steps",
    "E5": "e5--starting-with-no-network",
}

# Paths into the folder beside the checkout → the repository's own copy.
PATH_REWRITES: list[tuple[str, str]] = [
    (
        r"copied verbatim from (?:\.\./|/work/)shared/realdata",
        "copied verbatim from the project's real-data folder",
    ),
    (r"(?:\.\./|/work/)shared/realdata", "tests/realdata"),
]

# Files whose subject is the old forms themselves (or the folder the real data is copied from).
EXEMPT = {"docs/rewrite_citations.py", "tests/test_citations.py", "tests/test_realdata_copy.py"}

LINE_LIMIT = 100
Report = Callable[[str], None]

# ------------------------------------------------------------------------------- the patterns

_SEC = r"\d+(?:\.\d+)?"
# "(protocol) reference §3.3", "smartapi-protocol.md §5", a bare "§7.2", "§§7.1-7.3, 8".
PROTOCOL_CITE = re.compile(
    r"(?P<lead>(?:(?:the\s+)?(?:protocol\s+)?reference|"
    r"(?:(?:\.\./|/work/)shared/)?smartapi-protocol\.md)\s*)?"
    r"(?:§§\s?(?P<many>" + _SEC + r"(?:\s*(?:-|–|,|and)\s*" + _SEC + r")*)"
    r"|§\s?(?P<one>" + _SEC + r"))"
)
# a bare "smartapi-protocol.md" / "reliability-scenarios.md" without a section
DOC_NAME = re.compile(
    r"(?:(?:\.\./|/work/)shared/)?(?P<name>smartapi-protocol|reliability-scenarios)\.md"
)
_ID = r"\b[A-E][1-9]\b"
_ID_ITEM = _ID + r"(?:\s*\([^()]*\))?"
_ID_SEP = r"(?:\s*,\s*and\s+|\s*,\s*|\s+and\s+|\s*/\s*)"
# "scenario A4", "scenarios A4, B3", "Scenarios C1 (…), C3 (…) and C5 (…)", "scenarios (B1, B4)"
SCENARIO_CITE = re.compile(
    r"\b(?P<word>[Ss]cenarios?)(?P<gap>\s+\(?|\s*\()(?P<ids>"
    + _ID_ITEM
    + r"(?:"
    + _ID_SEP
    + _ID_ITEM
    + r")*)\b"
)
# a bare "(A6)", "(A1, A3)" in a comment or docstring
BARE_IDS = re.compile(r"\((?P<ids>" + _ID + r"(?:" + _ID_SEP + _ID + r")*)\)")
RFC_BEFORE = re.compile(r"(?:RFC|rfc)\s*\d+,?\s*$")


def slug(heading: str) -> str:
    """GitHub's heading anchor (github-slugger): lower case; drop punctuation, symbols, controls,
    "other" numbers and separators except the plain space and hyphen (letters, marks, decimal
    digits, letter numbers and connector punctuation such as ``_`` stay); each space → ``-``.
    Markdown inline syntax is reduced to its text first (links, code spans, emphasis)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url) → text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    kept = []
    for ch in text.strip().lower():
        if ch in " -" or ch.isalpha():
            kept.append(ch)
            continue
        category = unicodedata.category(ch)
        if category[0] in "LM" or category in ("Nd", "Nl", "Pc"):
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors(markdown: str) -> list[str]:
    """Every heading anchor of a Markdown text, numbered as GitHub numbers repeats (-1, -2 …)."""
    seen: dict[str, int] = {}
    found: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = re.match(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if fenced or not match:
            continue
        base = slug(match.group(2))
        name = base
        while name in seen:
            seen[base] += 1
            name = f"{base}-{seen[base]}"
        seen[name] = 0
        found.append(name)
    return found


# ----------------------------------------------------------------------------- the rewriting


class Unmapped(Exception):
    """An old citation with no entry in the tables."""


def _expand(secs: str) -> list[str]:
    """ "7.1-7.3, 8" → ["7.1", "7.2", "7.3", "8"] (ranges only within one major section)."""
    out: list[str] = []
    for part in re.split(r"\s*(?:,|and)\s*", secs.strip()):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and "." in bounds[0] and "." in bounds[1]:
            major, low = bounds[0].split(".")
            major2, high = bounds[1].split(".")
            if major == major2:
                out += [f"{major}.{n}" for n in range(int(low), int(high) + 1)]
                continue
        out += [b for b in bounds if b]
    return out


def _protocol_pointer(section: str) -> str:
    anchor = PROTOCOL_SECTIONS.get(section)
    if anchor is None:
        raise Unmapped(f"§{section}")
    return f"{PROTOCOL}#{anchor}"


def _scenario_pointer(scenario: str) -> str:
    anchor = SCENARIO_ANCHORS.get(scenario)
    if anchor is None:
        raise Unmapped(f"scenario {scenario}")
    return f"{SCENARIOS}#{anchor}"


def _join(pointers: list[str]) -> str:
    unique = list(dict.fromkeys(pointers))
    return ", ".join(unique)


def rewrite_text(text: str) -> str:
    """Every old citation in a piece of prose → pointers (raises ``Unmapped``)."""

    def protocol(match: re.Match[str]) -> str:
        if not match.group("lead") and RFC_BEFORE.search(match.string, 0, match.start()):
            return match.group(0)  # "RFC 6455 §5.2": a public standard, not our reference
        sections = _expand(match.group("many")) if match.group("many") else [match.group("one")]
        return _join([_protocol_pointer(s) for s in sections])

    def scenario(match: re.Match[str]) -> str:
        ids = re.sub(_ID, lambda m: _scenario_pointer(m.group(0)), match.group("ids"))
        if match.group("gap").strip() == "(":
            return f"{match.group('word')}{match.group('gap')}{ids}"
        before = match.string[: match.start()].rstrip()
        if before.endswith("("):
            return ids  # "(scenario E5)" → "(docs/scenarios.md#e5--starting-with-no-network)"
        return f"{match.group('word')} {ids}"

    def bare(match: re.Match[str]) -> str:
        return "(" + re.sub(_ID, lambda m: _scenario_pointer(m.group(0)), match.group("ids")) + ")"

    def doc_name(match: re.Match[str]) -> str:
        return PROTOCOL if match.group("name") == "smartapi-protocol" else SCENARIOS

    text = PROTOCOL_CITE.sub(protocol, text)
    text = DOC_NAME.sub(doc_name, text)
    text = SCENARIO_CITE.sub(scenario, text)
    text = BARE_IDS.sub(bare, text)
    for pattern, replacement in PATH_REWRITES:
        text = re.sub(pattern, replacement, text)
    return text


def old_citations(text: str) -> list[str]:
    """Old-form citations left in a text (what tests/test_citations.py forbids)."""
    found: list[str] = []
    for match in PROTOCOL_CITE.finditer(text):
        if match.group("lead") or not RFC_BEFORE.search(text, 0, match.start()):
            found.append(match.group(0))
    found += [m.group(0) for m in DOC_NAME.finditer(text)]
    found += [m.group(0) for m in SCENARIO_CITE.finditer(text)]
    found += [m.group(0) for m in BARE_IDS.finditer(text)]
    found += [m.group(0) for m in re.finditer(r"(?:\.\./|/work/)shared\b", text)]
    return found


# ------------------------------------------------------------------ Python: prose spans only


def _prose_spans(source: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_docstring) character offsets of every comment and string literal."""
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    spans: list[tuple[int, int, bool]] = []
    previous = tokenize.NEWLINE
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            start = offsets[token.start[0] - 1] + token.start[1]
            end = offsets[token.end[0] - 1] + token.end[1]
            statement_start = previous in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
            docstring = token.type == tokenize.STRING and statement_start
            spans.append((start, end, docstring))
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            previous = token.type
    return spans


def _docstring_lines(source: str) -> set[int]:
    """0-based numbers of the lines that belong to a docstring."""
    lines: set[int] = set()
    for start, end, docstring in _prose_spans(source):
        if docstring:
            first = source.count("\n", 0, start)
            lines.update(range(first, source.count("\n", 0, end) + 1))
    return lines


def _wrap_words(text: str, first: int, rest: int) -> list[str]:
    """Greedy wrap at single spaces (runs of spaces and quoted phrases are kept whole)."""
    units = re.findall(r'(?:"(?!"")[^"\n]{0,40}?"|``[^`]*``|[^ ])+| +', text)
    lines: list[str] = []
    current = ""
    for unit in units:
        width = first if not lines else rest
        if unit.strip() and current.strip() and len(current + unit) > width:
            lines.append(current.rstrip())
            current = unit
        elif unit.strip() or current:
            current += unit if current or unit.strip() else ""
    lines.append(current.rstrip())
    return lines


def _comment_start(line: str) -> int | None:
    """Column of a line's comment (not inside a string), via tokenize; None if it has none."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                return token.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return None


def _kinds(source: str) -> list[str]:
    """Per line: "doc" (inside a docstring), "comment" (a comment alone), "trailing" (code and a
    comment) or "code"."""
    lines = source.split("\n")
    kinds = ["code"] * len(lines)
    for number in _docstring_lines(source):
        if number < len(kinds):
            kinds[number] = "doc"
    for number, line in enumerate(lines):
        if kinds[number] == "doc":
            continue
        if line.lstrip().startswith("#"):
            kinds[number] = "comment"
        elif "#" in line and _comment_start(line) is not None:
            kinds[number] = "trailing"
    return kinds


def _split(line: str, kind: str) -> tuple[str, str]:
    """(prefix, text): the indent of a docstring line, or the indent and ``# `` of a comment."""
    if kind == "comment":
        match = re.match(r"\s*#:?\s?", line)
        assert match is not None
        prefix = match.group(0)
        return (prefix if prefix.endswith(" ") else prefix + " "), line[match.end() :]
    body = line.lstrip()
    return line[: len(line) - len(body)], body


_NOT_PROSE = re.compile(r'^(?:[-*+|=>]|\d+[.)] |"""|\.\. |#|$)|   ')


def _continuation(prefix: str, text: str) -> str:
    """Where the wrapped rest of a line goes: under the text, or under a list item's text, or
    under the last cell of a table row when it fits."""
    item = re.match(r"(?:[-*+]|\d+[.)]) ", text)
    if item:
        return prefix + " " * item.end()
    cells = list(re.finditer(r"   +", text))
    if cells and len(prefix) + cells[-1].end() <= LINE_LIMIT - 40:
        return prefix + " " * cells[-1].end()
    return prefix


def _reflow(lines: list[str], kinds: list[str], changed: list[bool], report: Report) -> list[str]:
    """Wrap every changed line over LINE_LIMIT; the rest of a prose line joins the next line of
    its paragraph (which is wrapped in turn), so paragraphs stay even."""
    out: list[str] = []
    for number, line in enumerate(lines):
        kind = kinds[number]
        if not changed[number] or len(line) <= LINE_LIMIT:
            out.append(line)
            continue
        if kind == "trailing":
            column = _comment_start(line)
            assert column is not None
            indent = line[: len(line) - len(line.lstrip())]
            comment = re.sub(r"^#:?\s?", "", line[column:])
            above = _wrap_words(comment, LINE_LIMIT - len(indent) - 2, LINE_LIMIT - len(indent) - 2)
            out += [f"{indent}# {part}" for part in above] + [line[:column].rstrip()]
            continue
        if kind not in ("doc", "comment"):
            report(f"line {number + 1} is {len(line)} characters after the rewrite: wrap by hand")
            out.append(line)
            continue
        prefix, text = _split(line, kind)
        rule = re.match(r"-{3,} ", text)
        if kind == "comment" and rule:
            text = "-" * max(3, rule.end() - 1 - (len(line) - LINE_LIMIT)) + text[rule.end() - 1 :]
            if len(prefix + text) <= LINE_LIMIT:
                out.append(prefix + text)
                continue
        follow = _continuation(prefix, text)
        parts = _wrap_words(text, LINE_LIMIT - len(prefix), LINE_LIMIT - len(follow))
        out += [prefix + parts[0]] + [follow + part for part in parts[1:-1]]
        if len(parts) == 1:
            continue
        after = number + 1
        if after < len(lines) and kinds[after] == kind:
            next_prefix, next_text = _split(lines[after], kind)
            if (
                next_prefix == follow
                and not _NOT_PROSE.search(next_text)
                and not _NOT_PROSE.search(parts[-1])
            ):
                lines[after] = f"{follow}{parts[-1]} {next_text}"
                changed[after] = True
                continue
        out.append(follow + parts[-1])
    kept = {line for line, new in zip(lines, changed, strict=True) if not new}
    for line in out:
        if len(line) > LINE_LIMIT and line not in kept:
            report(f"a wrapped line is still {len(line)} characters: {line.strip()[:60]}…")
    return out


def rewrite_python(source: str, report: Report) -> str:
    """Rewrite the prose of a Python source; wrap the lines that grew past LINE_LIMIT."""
    pieces, cursor = [], 0
    for start, end, _ in _prose_spans(source):
        pieces.append(source[cursor:start])
        pieces.append(rewrite_text(source[start:end]))
        cursor = end
    pieces.append(source[cursor:])
    new = "".join(pieces)
    if new == source:
        return source
    old_lines, new_lines = source.split("\n"), new.split("\n")
    changed = [old != line for old, line in zip(old_lines, new_lines, strict=True)]
    return "\n".join(_reflow(new_lines, _kinds(new), changed, report))


# --------------------------------------------------------------------------------- the files


def default_paths(root: Path) -> list[Path]:
    docs = sorted((root / "docs").glob("*.md"))
    return [root / "angelctl", root / "tests", root / "bench", root / "README.md", *docs]


def source_files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.suffix in (".py", ".md") and "realdata" not in found.parts:
                    yield found
        elif path.suffix in (".py", ".md"):
            yield path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on changes")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    failed, changed = False, []
    for path in source_files(args.paths or default_paths(root)):
        resolved = path.resolve()
        name = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)
        if name in EXEMPT:
            continue
        source = path.read_text(encoding="utf-8")

        def report(message: str, name: str = name) -> None:
            nonlocal failed
            failed = True
            print(f"{name}: {message}", file=sys.stderr)

        try:
            new = rewrite_python(source, report) if path.suffix == ".py" else rewrite_text(source)
        except Unmapped as error:
            report(f"no docs target for {error}: add it to the tables in {__file__}")
            continue
        if new != source:
            changed.append(name)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for name in changed:
        print(("would rewrite " if args.check else "rewrote ") + name)
    return 1 if failed or (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
