"""The JSON contract (docs/json.md): one envelope for every document, stable error codes."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest

import angelctl
from angelctl.errors import ERROR_CODES, AngelctlError

DOC = Path(__file__).resolve().parents[2] / "docs" / "json.md"


def _all_error_classes() -> set[type[AngelctlError]]:
    for module in pkgutil.walk_packages(angelctl.__path__, "angelctl."):
        importlib.import_module(module.name)
    found: set[type[AngelctlError]] = set()
    todo: list[type[AngelctlError]] = [AngelctlError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_has_a_documented_stable_code() -> None:
    classes = _all_error_classes()
    assert len(classes) > 30  # the walk found the tree, not only the root
    undocumented = {c.__name__: c.error_code for c in classes if c.error_code not in ERROR_CODES}
    assert undocumented == {}
    documented = re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), re.M)
    assert documented == list(ERROR_CODES)


def test_error_codes_are_stable_snake_case_words() -> None:
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in ERROR_CODES)


@pytest.mark.parametrize(
    ("args", "schema"),
    [
        (["calendar", "status"], "calendar.status/1"),
        (["calendar", "holidays"], "calendar.holidays/1"),
        (["calendar"], "calendar.status/1"),  # the group alone runs `calendar status`
    ],
)
def test_success_documents_open_with_ok_and_their_schema(
    cli: Any, args: list[str], schema: str
) -> None:
    result = cli(*args, "--json")
    assert result.code == 0, result.both
    document = result.json()
    assert list(document)[:2] == ["ok", "schema"]
    assert document["ok"] is True and document["schema"] == schema


def test_an_error_document_names_its_schema_and_a_stable_code(cli: Any) -> None:
    result = cli("calendar", "status", "--at", "yesterday", "--json")
    assert result.code == 2, result.both
    document = result.json()
    assert list(document) == ["ok", "schema", "error"]
    assert document["schema"] == "error/1"
    error = document["error"]
    assert error["code"] == "usage" and error["exit_status"] == 2
    assert error["broker_code"] is None and error["details"] == {}
    assert "yesterday" in error["message"]


def _leaf_commands() -> list[str]:
    """Every command a user can run, as schema names (``order.place``), aliases resolved."""
    import typer

    from angelctl.cli.app import full_app
    from angelctl.render.contract import schema_name

    names: list[str] = []

    def walk(command: Any, path: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if not subs or getattr(command, "invoke_without_command", False):
            names.append(schema_name(" ".join(["angelctl", *path])))
        for word, sub in (subs or {}).items():
            walk(sub, [*path, word])

    walk(typer.main.get_command(full_app()), [])
    return sorted(set(names))


def test_every_command_has_a_schema_file_and_every_file_a_command() -> None:
    from tests.json_contract import SCHEMAS

    files = {p.stem for p in SCHEMAS.glob("*.json")}
    commands = set(_leaf_commands())
    assert len(commands) > 35
    assert sorted(commands - files) == []  # a command whose --json has no contract
    from angelctl.render.contract import VARIANTS

    assert set(VARIANTS.values()) <= commands  # a mode's document belongs to a real command
    assert sorted(files - commands - {"error"} - set(VARIANTS)) == []  # a schema none prints


def test_every_schema_file_is_valid_and_names_its_version() -> None:
    import json

    from jsonschema import Draft202012Validator

    from angelctl.render.contract import schema_id
    from tests.json_contract import SCHEMAS

    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        expected = "error/1" if path.stem == "error" else schema_id(path.stem)
        assert schema["$id"] == expected, path.name
        assert schema["properties"]["schema"] == {"const": expected}, path.name


def test_the_error_schema_lists_every_error_code() -> None:
    import json

    from tests.json_contract import SCHEMAS

    schema = json.loads((SCHEMAS / "error.json").read_text(encoding="utf-8"))
    assert schema["properties"]["error"]["properties"]["code"]["enum"] == list(ERROR_CODES)
