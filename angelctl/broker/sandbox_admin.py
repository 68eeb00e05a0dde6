"""The client side of a sandbox's admin routes (``/_sandbox/…``) and of its admin token.

The sandbox answers an admin request only with its admin token in ``X-Sandbox-Admin`` (and an
admin POST only as JSON), so a web page cannot drive it with a cross-site request. The token
reaches angelctl without ever being in argv, a URL or the environment:

- ``angelctl sandbox serve`` leaves it in ``serve_token_path(port)``, a 0600 file in this user's
  state folder (0700), and removes it when it stops: ``login --sandbox`` reads it there, which
  only the same machine user can;
- ``login --sandbox --admin-token-stdin`` reads it from standard input instead (a sandbox started
  some other way: a script's or a test's ``SandboxServer``, whose ``admin_token`` it is);
- a logged-in sandbox profile keeps it as the secret ``SANDBOX_ADMIN_TOKEN`` of its credential
  store (a ``sandbox-demo`` store: the 0600 file ``token_folder() / "<profile>.admin-token"``),
  for ``sandbox fault`` and for fetching the demo account again when a session ends.

This module imports nothing of the sandbox (the CLI stays light); the admin header, prefix and
body methods both sides use live in the leaf ``angelctl.wire`` (re-exported here).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from angelctl.wire import ADMIN_HEADER as ADMIN_HEADER
from angelctl.wire import ADMIN_PREFIX as ADMIN_PREFIX
from angelctl.wire import BODY_METHODS as BODY_METHODS

if TYPE_CHECKING:
    from angelctl.secrets import Secret

TOKEN_HINT = (
    "`angelctl sandbox serve` makes a new admin token each time it starts: log in again with "
    "`angelctl login --sandbox` (pipe the token to `--admin-token-stdin` for a sandbox that "
    "`sandbox serve` did not start as this user)"
)


def token_folder() -> Path:
    from angelctl.config import state_dir

    return state_dir() / "sandbox"


def serve_token_path(port: int) -> Path:
    """Where ``sandbox serve`` on ``port`` leaves its admin token for this user."""
    return token_folder() / f"serve-{port}.admin-token"


def url_port(api_url: str) -> int | None:
    """The port of ``api_url`` (80/443 when it names none), None when it has no valid one."""
    from urllib.parse import urlsplit

    parts = urlsplit(api_url)
    try:
        port = parts.port
    except ValueError:
        return None
    return port or {"http": 80, "https": 443}.get(parts.scheme)


def served_token(api_url: str) -> Secret | None:
    """The token ``sandbox serve`` left for the sandbox at ``api_url`` (by its port), if any."""
    from angelctl.secrets import read_secret_file

    port = url_port(api_url)
    return None if port is None else read_secret_file(serve_token_path(port))


def admin_call(
    api_url: str,
    token: Secret | None,
    method: str,
    path: str,
    body: Any = None,
    *,
    timeout: float = 5.0,
    hint: str = TOKEN_HINT,
) -> Any:
    """One admin request with the token; its JSON answer (None for an empty one).

    ``ConnectFailed`` when nothing answers, ``CredentialError`` (with ``hint``) when the sandbox
    refuses the token, ``RequestRejected`` for any other refusal."""
    import requests

    from angelctl.errors import ConnectFailed, CredentialError, RequestRejected, ResponseLost

    root = api_url.rstrip("/")
    value = token.reveal() if token is not None else ""
    if not (value.isascii() and value.isprintable()):
        raise CredentialError("the kept sandbox admin token is damaged", hint=hint)
    headers = {ADMIN_HEADER: value} if value else {}
    if body is None and method.upper() in BODY_METHODS:
        body = {}
    try:
        reply = requests.request(
            method,
            f"{root}{ADMIN_PREFIX}/{path}",
            json=body,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.ConnectionError:
        raise ConnectFailed(
            f"no sandbox answers at {root}", hint="start it with `angelctl sandbox serve`"
        ) from None
    except requests.RequestException as exc:
        raise ResponseLost(f"the sandbox at {root} did not answer: {type(exc).__name__}") from None
    if reply.status_code == 401:
        given = "refused the admin token" if token is not None else "wants its admin token"
        raise CredentialError(f"the sandbox at {root} {given}", hint=hint)
    if reply.status_code >= 400:
        raise RequestRejected(
            f"the sandbox refused: {reply.text.strip()[:200]}", http_status=reply.status_code
        )
    try:
        return reply.json() if reply.content else None
    except ValueError:
        raise RequestRejected(
            f"{root} does not answer like an angelctl sandbox (no JSON)",
            http_status=reply.status_code,
        ) from None
