"""The one error output of every command: ``error:`` and ``hint:`` lines on stderr and, under
``--json``, the error document (``render.contract``) on stdout; and a stdout whose reader left.

``report`` turns any exception into that output and the exit status (a bug is ``internal``,
exit 1, its traceback only with ``--debug``); every message and hint is redacted and on one
line. ``silence_stdout`` points fd 1 at /dev/null after a closed pipe, so the interpreter's
final flush cannot fail (``angelctl … | head -1`` exits 0).
"""

from __future__ import annotations

import sys

from angelctl.cli.environment import environment
from angelctl.status import ExitStatus


def one_line(text: str) -> str:
    """``text`` with control characters (newlines, escapes a user typed) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def report(exc: Exception, *, debug: bool, json_mode: bool) -> int:
    from angelctl.errors import AngelctlError
    from angelctl.secrets import redact

    details: dict[str, object] | None = None
    if isinstance(exc, AngelctlError):
        status = exc.exit_status
        from angelctl.cli.hints import runnable

        message, hint = redact(str(exc)), redact(runnable(exc.hint)) if exc.hint else None
        broker_code = exc.code
        details = exc.details
        code = exc.error_code
    else:
        status = ExitStatus.ERROR
        message = redact(f"internal error: {type(exc).__name__}: {exc}")
        hint = None if debug else "run again with --debug for the traceback, and report it"
        code, broker_code = "internal", ""
    if debug:
        import traceback

        environment().stderr.write(redact("".join(traceback.format_exception(exc))))
    return emit(
        status,
        code,
        message,
        hint,
        broker_code=broker_code,
        details=details,
        json_mode=json_mode,
    )


def emit(
    status: ExitStatus,
    code: str,
    message: str,
    hint: str | None,
    *,
    broker_code: str = "",
    details: dict[str, object] | None = None,
    json_mode: bool,
) -> int:
    """The one error output: ``error:`` and ``hint:`` on stderr, and under --json the error
    document (``render.contract``) on stdout, its ``code`` one of ``errors.ERROR_CODES``."""
    err = environment().stderr
    err.write(f"error: {message}\n")
    if hint:
        err.write(f"hint: {hint}\n")
    if json_mode:
        import json

        from angelctl.render.contract import ERROR_SCHEMA

        document = {
            "ok": False,
            "schema": ERROR_SCHEMA,
            "error": {
                "code": code,
                "message": message,
                "hint": hint,
                "exit_status": int(status),
                "broker_code": broker_code or None,
                "details": details or {},
            },
        }
        try:
            out = environment().stdout
            out.write(json.dumps(document) + "\n")
            out.flush()
        except BrokenPipeError:
            silence_stdout()
    return int(status)


def silence_stdout() -> None:
    """Point fd 1 at /dev/null so the final flush cannot fail on a closed pipe."""
    import contextlib
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
