"""Hints made runnable as printed: the error shell passes every hint through ``runnable``.

A hint names commands in backticks (``run `angelctl login` ``). Written deep in the core,
such a command cannot know which profile the run used; here, once the run knows it
(``remember``, called when the profile is resolved), each backticked ``angelctl …`` command
gets the canonical key for ``config set`` (``config set public_ip IP`` →
``config set profiles.main.public_ip IP``, ``config_edit.canonical_key``) and, when the
profile was chosen with ``--profile``, that option at its end (global options may go anywhere).

Invariants: only text inside backticks that starts with ``angelctl `` changes; a command that
already names a profile is left alone; without a remembered profile nothing changes.
"""

from __future__ import annotations

import re

_COMMAND = re.compile(r"`angelctl ([^`]+)`")
_selected: dict[str, object] = {}


def remember(profile: str, *, from_command_line: bool) -> None:
    """The profile this run resolved, and whether ``--profile`` chose it."""
    _selected.update(name=profile, flag=from_command_line)


def forget() -> None:
    _selected.clear()


def runnable(hint: str) -> str:
    name = _selected.get("name")
    if not isinstance(name, str):
        return hint
    return _COMMAND.sub(lambda m: f"`angelctl {_fix(m.group(1), name)}`", hint)


def _fix(command: str, profile: str) -> str:
    words = command.split(" ")
    if words[:2] == ["config", "set"] and len(words) >= 3:
        from angelctl.errors import AngelctlError

        try:
            from angelctl.config_edit import canonical_key

            words[2] = canonical_key(words[2], profile)
        except AngelctlError:  # a placeholder such as KEY: left as written
            pass
        return " ".join(words)
    named = any(w in ("--profile", "-p") or w.startswith("--profile=") for w in words)
    if _selected.get("flag") and not named:
        words += ["--profile", profile]
    return " ".join(words)
