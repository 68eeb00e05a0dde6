"""GTT rule ids in the journal, for ``gtt``: the rule-id argument (completed from the day's
journalled ids, ``cli.completion.complete_gtt_rule_id``), a unique prefix resolved to the
journalled id it names (``Journal.gtt_rule_match``; ambiguous: exit 2), and the note of a write
the broker accepted (``Journal.gtt_event``).

Invariants: a write is noted only after the broker's answer named the rule (a refusal, a
failure or a lost answer notes nothing); a journal that cannot be written after the write went
through is a warning, never a failed command (a script that retried would create the rule
twice); a journal that cannot be read resolves nothing (the id goes to the broker as typed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import clock
from angelctl.cli.completion import complete_gtt_rule_id

if TYPE_CHECKING:
    from angelctl.broker.gtt import GttRule
    from angelctl.broker.session import BrokerSession
    from angelctl.render.output import Output

RuleIdArg = Annotated[
    str,
    typer.Argument(
        help="GTT rule id (or a unique prefix of one this machine created or changed).",
        show_default=False,
        autocompletion=complete_gtt_rule_id,
    ),
]


def resolve_rule_id(profile: str, text: str) -> str:
    """The journalled rule id ``text`` is a unique prefix of, else ``text``."""
    from angelctl.errors import LocalStateError
    from angelctl.orders.journal_files import open_journal

    try:
        journal = open_journal(clock())
    except LocalStateError:
        return text.strip()
    try:
        return journal.gtt_rule_match(profile, text)
    finally:
        journal.close()


def read_rule(session: BrokerSession, profile: str, text: str) -> GttRule:
    """The rule ``text`` names. A rule the broker knows by exactly ``text`` wins over a
    journalled id that ``text`` happens to be a prefix of (a full id typed in a script names
    that rule, never another one); only when the broker knows no rule ``text`` is the unique
    journalled id it prefixes read instead."""
    from angelctl.broker.gtt import rule_details
    from angelctl.errors import RequestRejected

    typed = text.strip()
    resolved = resolve_rule_id(profile, typed)
    if resolved == typed:
        return rule_details(session, typed)
    try:
        return rule_details(session, typed)
    except RequestRejected:
        return rule_details(session, resolved)


def note_write(
    out: Output,
    profile: str,
    rule_id: str,
    action: str,
    symbol: str,
    side: str,
    detail: dict[str, Any],
) -> None:
    """Journal a GTT write the broker accepted; a warning if the journal refuses."""
    import sqlite3

    from angelctl.errors import LocalStateError
    from angelctl.orders.journal_files import open_journal

    try:
        journal = open_journal(clock())
        try:
            journal.gtt_event(profile, rule_id, action, symbol=symbol, side=side, detail=detail)
        finally:
            journal.close()
    except (LocalStateError, sqlite3.Error) as exc:
        out.warn(f"GTT rule {rule_id}: {action} went through but was not journalled ({exc})")
