"""The root Typer app, global options and the one error shell.

Global options (``--profile``, ``--json``, ``--debug``, ``--quiet``, ``--log-file``) may be
written anywhere on the command line (``angelctl whoami --json`` and ``angelctl --json
whoami`` are the same); ``run`` moves them in front of the sub-command before Typer parses.

The error shell maps every ``AngelctlError`` to its exit status with a one- or two-line
message (``error: …`` / ``hint: …``) on stderr, plus one JSON error document on stdout under
``--json``. A traceback is shown only with ``--debug``, and it is redacted too.
"""

from __future__ import annotations

import sys
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl import __version__
from angelctl.cli.argv import BROKER_COMMANDS, COMMAND_NAMES, COMMANDS, hoist, subcommand
from angelctl.cli.completion import complete_path, complete_profile
from angelctl.cli.environment import Environment, environment, running_in
from angelctl.cli.failure import emit, one_line, report, silence_stdout
from angelctl.records import record
from angelctl.status import ExitStatus

if TYPE_CHECKING:
    import logging

    from angelctl.config import ConfigFile, ProfileSettings

app = typer.Typer(
    name="angelctl",
    help="Trading operations for Angel One SmartAPI: login, funds, orders, streams, kill switch.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@record(frozen=False)
class AppContext:
    env: Environment = field(default_factory=environment)
    profile: str | None = None
    json: bool = False
    debug: bool = False
    quiet: bool = False
    log_file: Path | None = None
    # (config file, profile settings) per require_existing, read once per invocation.
    settings_cache: dict[bool, tuple[ConfigFile, ProfileSettings]] = field(
        default_factory=dict, repr=False
    )


def _version(value: bool) -> None:
    if value:
        print(f"angelctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="Profile to use (env ANGELCTL_PROFILE).",
            show_default=False,
            autocompletion=complete_profile,
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document (NDJSON for streams).")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="HTTP traces (secrets masked) and tracebacks.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only data and errors.")] = False,
    log_file: Annotated[
        Path | None,
        typer.Option(
            "--log-file",
            help="Append a debug log (secrets masked) to this file.",
            show_default=False,
            dir_okay=False,
            autocompletion=complete_path,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Trading operations for Angel One SmartAPI."""
    ctx.obj = AppContext(
        profile=profile, json=json_output, debug=debug, quiet=quiet, log_file=log_file
    )
    _setup_logging(ctx.obj)


def _register(target: typer.Typer, names: frozenset[str] | None = None) -> None:
    import importlib

    for command in COMMANDS:
        if names is not None and command.name not in names:
            continue
        obj = getattr(importlib.import_module(f"angelctl.cli.{command.module}"), command.attr)
        extra: dict[str, Any] = {"hidden": True} if command.hidden else {}
        if command.help:
            extra["help"] = command.help
        if command.kind == "group":
            target.add_typer(obj, name=command.name, **extra)
        else:
            target.command(command.name, **extra)(obj)


_full: typer.Typer | None = None


def full_app() -> typer.Typer:
    """The root app with every command registered (built once)."""
    global _full
    if _full is None:
        _register(app)
        _own_completion_scripts()
        _full = app
    return _full


def _own_completion_scripts() -> None:
    """``--show-completion`` and ``--install-completion`` (Typer's) write this project's scripts
    (``cli.shells``), which speak its completion protocol; Typer's own would misread it."""
    from typer import _completion_shared

    from angelctl.cli.shells import SCRIPTS

    for shell, script in SCRIPTS.items():
        _completion_shared._completion_scripts[shell] = script.replace("%", "%%")


def _setup_logging(ctx: AppContext) -> None:
    if not (ctx.debug or ctx.log_file):
        return
    import logging

    from angelctl.broker.trace import RedactingFilter

    logger = logging.getLogger("angelctl")
    logger.setLevel(logging.DEBUG)
    fmt = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s")
    if ctx.debug:
        handler: logging.Handler = logging.StreamHandler(environment().stderr)
        handler.setFormatter(logging.Formatter("debug: %(message)s"))
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    if ctx.log_file:
        import os

        path = ctx.log_file.expanduser()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            from angelctl.errors import UsageError

            raise UsageError(f"cannot open log file {path}: {exc.strerror}") from None
        file_handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
        file_handler.setFormatter(fmt)
        file_handler.addFilter(RedactingFilter())
        logger.addHandler(file_handler)


def run(argv: list[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI in ``env`` (the process's when None: ``cli.environment``); returns the exit
    status instead of raising SystemExit."""
    handlers = list(_logger().handlers) if "logging" in sys.modules else []
    try:
        with running_in(env or Environment.of_process()):
            return _run(argv)
    finally:
        if "logging" in sys.modules:  # only then can this run have added a handler
            logger = _logger()
            for handler in logger.handlers[:]:
                if handler not in handlers:
                    logger.removeHandler(handler)
                    handler.close()


def _logger() -> logging.Logger:
    import logging

    return logging.getLogger("angelctl")


def app_for(args: list[str]) -> typer.Typer:
    """A root app holding only the sub-command being run.

    Typer turns every registered command into a Click command (signature inspection, type-hint
    evaluation) on each run; building one instead of all of them saves tens of milliseconds
    per invocation. Root help (when the entry point did not print ``cli.roothelp``), completion
    and unknown names get the full tree.
    """

    name = subcommand(args)
    if name is None or name not in COMMAND_NAMES:
        return full_app()
    single = typer.Typer(add_completion=False)
    _register(single, frozenset({name}))
    commands = single.registered_commands
    groups = [_only_the_member_run(group, args) for group in single.registered_groups]
    slim = typer.Typer(
        name="angelctl",
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    slim.registered_callback = app.registered_callback
    slim.registered_commands = commands
    slim.registered_groups = groups
    return slim


def _only_the_member_run(group: Any, args: list[str]) -> Any:
    """The group (a ``TyperInfo``) holding only the command the line runs (``order place``),
    when its second word names one exactly; else the whole group (its help, a typo Click
    should answer with "did you mean", a nested group). Typer builds every member's Click
    command otherwise: for `order place` that was five more signatures to inspect, about 6 ms
    of each run (issue 15's `order place` figure)."""
    import copy

    from angelctl.cli.argv import words

    found = words(args)
    if len(found) < 2 or found[1].startswith("-"):
        return group
    members = group.typer_instance.registered_commands
    chosen = [c for c in members if (c.name or c.callback.__name__.replace("_", "-")) == found[1]]
    if len(chosen) != 1:
        return group
    instance = copy.copy(group.typer_instance)
    instance.registered_commands = chosen
    instance.registered_groups = []
    pruned = copy.copy(group)
    pruned.typer_instance = instance
    return pruned


def _run(argv: list[str] | None) -> int:
    args = hoist(list(sys.argv[1:] if argv is None else argv))
    debug = "--debug" in args
    json_mode = "--json" in args
    undecodable = next((arg for arg in args if _has_surrogates(arg)), None)
    if undecodable is not None:
        return emit(
            ExitStatus.USAGE,
            "usage",
            f"the argument {undecodable!r} holds bytes that are not text in the locale's encoding",
            "type symbols, ids and values as plain (UTF-8) text",
            json_mode=json_mode,
        )
    if subcommand(args) in BROKER_COMMANDS and not {"--help", "-h"} & set(args):
        # Imported from deep inside Typer's call chain on CPython 3.11, urllib3 compiles its URL
        # regexes right at a boundary of the interpreter's frame stack chunks, and every call and
        # return across it maps and unmaps 16 KiB. Imported here, from a shallow frame, it does
        # not: measured for issue 14 on `order place` (24 alternating runs against the sandbox),
        # median 329 → 295 ms, fastest 259 → 237 ms.
        import requests  # noqa: F401
    from angelctl.cli.hints import forget

    forget()  # a run in this process never reuses an earlier run's profile in its hints
    try:
        result = app_for(args)(args=args, prog_name="angelctl", standalone_mode=False)
        return int(result) if isinstance(result, int) else 0
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        environment().stderr.write("aborted\n")
        return int(ExitStatus.INTERRUPTED)
    except typer.TyperException as exc:  # Click's usage errors: unknown option, bad choice …
        return _usage_error(exc, args, json_mode=json_mode)
    except KeyboardInterrupt:
        environment().stderr.write("interrupted\n")
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        silence_stdout()
        return int(ExitStatus.OK)
    except Exception as exc:
        return report(exc, debug=debug, json_mode=json_mode)


def _has_surrogates(arg: str) -> bool:
    """Python decodes argv bytes the locale cannot read to lone surrogates: such an argument
    cannot be stored (SQLite), sent (JSON, HTTP) or matched, so it is refused up front."""
    return any("\ud800" <= char <= "\udfff" for char in arg)


def _usage_error(exc: Exception, args: list[str], *, json_mode: bool) -> int:
    """A usage error Click found while parsing: the documented ``error:`` / ``hint:`` pair (the
    command's usage line in the hint) and, under --json, the JSON error document; exit 2.

    Plain ``angelctl order`` (a group without its sub-command) still shows the group's help."""
    from angelctl.secrets import redact

    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":
        environment().stderr.write(str(exc) + "\n")
        path = ctx.command_path if ctx else "angelctl"
        message = f"missing command: `{path} COMMAND`, one of those listed above"
        return emit(ExitStatus.USAGE, "usage", message, None, json_mode=json_mode)
    possible = sorted(getattr(exc, "possibilities", None) or ())
    format_message = getattr(exc, "message" if possible else "format_message", None)
    text = str(format_message() if callable(format_message) else format_message or exc)
    text = text[:1].lower() + text[1:] if text[1:2].islower() else text
    if possible:
        text += f" (did you mean {' or '.join(possible)}?)"
    message = one_line(redact(text.rstrip(".")))
    ctx = ctx or _context_of(args)  # Click leaves it out of some errors (a missing value)
    hint = "see `angelctl -h`"
    if ctx is not None:
        import re

        usage = " ".join(ctx.get_usage().split()).removeprefix("Usage: ")
        usage = re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), usage)  # Typer's {side}
        hint = one_line(f"usage: {usage} (see `{ctx.command_path} -h`)")
    return emit(ExitStatus.USAGE, "usage", message, hint, json_mode=json_mode)


def _context_of(args: list[str]) -> Any:
    """A context for the deepest command ``args`` name (None when none can be built)."""
    from angelctl.cli.argv import words

    try:
        import typer.main

        command: Any = typer.main.get_command(app_for(args))
        ctx = typer.Context(command, info_name="angelctl")
        for word in words(args):
            sub = getattr(command, "commands", {}).get(word)
            if sub is None:
                break
            command, ctx = sub, typer.Context(sub, info_name=word, parent=ctx)
        return ctx
    except Exception:  # only a better hint is at stake: the plain one is kept
        return None
