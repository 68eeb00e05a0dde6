"""The JSON contract: every ``--json`` document is one envelope, named and versioned.

A success document is ``{"ok": true, "schema": "NAME/VERSION", …data}``; an error document is
``{"ok": false, "schema": "error/1", "error": {"code", "message", "hint", "exit_status",
"broker_code", "details"}}`` where ``code`` is one of ``errors.ERROR_CODES``. NAME is the
command's path without the program name, joined by dots (``order.place``, ``killswitch.status``);
each has a JSON Schema file ``angelctl/schemas/NAME.json`` whose ``$id`` is ``NAME/VERSION``.
A change to a document's shape bumps its version here and in the file, and goes in the
CHANGELOG. Data keys are snake_case and chosen by the project, never the broker's.
NDJSON streams put the envelope on every line (``ok`` and ``schema`` first).
"""

from __future__ import annotations

from typing import Any

# Versions above 1; every other document is at version 1.
VERSIONS: dict[str, int] = {"trades": 2, "journal.prune": 2, "reconcile": 2}
# Old command names that print the same document as the new one.
ALIASES = {
    "order.status": "order.show",
    "calendar": "calendar.status",
    "kill": "killswitch",
    "kill.status": "killswitch.status",
    "kill.reset": "killswitch.reset",
}
# Documents a command prints in one of its modes instead of its own (each has its schema file).
VARIANTS = {"killswitch.drill": "killswitch"}  # `killswitch --drill SCENARIO`
ERROR_SCHEMA = "error/1"


def schema_name(command_path: str) -> str:
    """``angelctl order place`` → ``order.place``; the bare program is ``angelctl``."""
    words = command_path.split()[1:]
    name = ".".join(words) if words else "angelctl"
    return ALIASES.get(name, name)


def schema_id(name: str) -> str:
    return f"{name}/{VERSIONS.get(name, 1)}"


def envelope(schema: str, document: Any) -> dict[str, Any]:
    """``document`` inside the envelope: ``ok`` (true unless the document says otherwise) and
    ``schema`` first, then the data. A document that is not an object goes under ``data``."""
    if not isinstance(document, dict):
        return {"ok": True, "schema": schema, "data": document}
    ok = document.get("ok", True)
    return {"ok": ok, "schema": schema, **{k: v for k, v in document.items() if k != "ok"}}
