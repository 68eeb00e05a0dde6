"""Every ``--json`` document any test sees is checked against its schema (docs/json.md).

``run_cli`` and ``run_cli_process`` pass each run's standard output here when the run asked
for ``--json``: every line that is a JSON object must open with ``ok`` and ``schema``, and
validate against ``angelctl/schemas/NAME.json`` (NAME from ``schema``, the version must match
the file's ``$id``). So the whole suite, in all the states its tests create, judges the
contract, not one happy-path sample per command.

With ``ANGELCTL_COLLECT_JSON=DIR`` set, each document is also appended to ``DIR/NAME.ndjson``
(for drafting a schema after a deliberate change; see docs/json.md).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent.parent / "angelctl" / "schemas"
COLLECT = os.environ.get("ANGELCTL_COLLECT_JSON")  # read once: every test clears ANGELCTL_*


@functools.cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    path = SCHEMAS / f"{name}.json"
    if not path.exists():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def documents(text: str) -> list[dict[str, Any]]:
    """The JSON objects of one run's standard output (one document, or NDJSON lines)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def check(text: str) -> None:
    """Assert every document of ``text`` keeps the contract (schemas present so far)."""
    for document in documents(text):
        assert list(document)[:2] == ["ok", "schema"], f"no envelope: {str(document)[:300]}"
        name = str(document["schema"]).partition("/")[0]
        if COLLECT:
            Path(COLLECT).mkdir(parents=True, exist_ok=True)
            with open(Path(COLLECT) / f"{name}.ndjson", "a", encoding="utf-8") as sink:
                sink.write(json.dumps(document) + "\n")
        validator = _validator(name)
        if validator is None:
            continue
        assert validator.schema.get("$id") == document["schema"], (
            f"{document['schema']} printed, schema file is {validator.schema.get('$id')}"
        )
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert not errors, f"{document['schema']}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}"
            for e in errors[:5]
        )
