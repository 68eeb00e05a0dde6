"""Ids accepted as shown: a unique prefix of an id stands for the id.

Tables print ids shortened (the journal shows 12 characters of an intent id); whatever a screen
printed must work when typed back. ``match_prefix`` is the one rule every lookup uses: an exact
id wins, else the one id starting with the text, else a usage error saying there is none or
listing the ids it could mean.

Invariants: an empty text never matches; an ambiguous prefix is never resolved by guessing.
"""

from __future__ import annotations

from collections.abc import Iterable

from angelctl.errors import UsageError

SHOWN = 5  # candidates listed in an ambiguity error


def match_prefix(text: str, ids: Iterable[str], what: str) -> str | None:
    """The id ``text`` names among ``ids``: itself, or the single id it is a prefix of; None
    when it names none. Raises UsageError when it is the prefix of several."""
    text = text.strip()
    if not text:
        return None
    candidates = sorted({i for i in ids if i and i.startswith(text)})
    if text in candidates:
        return text
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return None
    listed = ", ".join(candidates[:SHOWN]) + (" …" if len(candidates) > SHOWN else "")
    raise UsageError(
        f"{what} {text!r} is ambiguous: {len(candidates)} match ({listed})",
        hint="type more of the id",
    )
