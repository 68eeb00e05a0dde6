"""Opening a feed WebSocket (TLS and the HTTP upgrade) and what a failed attempt means.

``open_websocket`` connects with websocket-client, which does the TLS and the HTTP upgrade only;
frames are then read and written by the connection with ``feed.framing``. A failed attempt
becomes a ``Drop`` (retry after a backoff: 5xx, timeouts, resets, TLS errors) or a
``RefusedUpgrade`` carrying a ``Refusal`` (surface it: 401/403, 429, a certificate failure,
another 4xx); ``fatal`` turns a refusal into the ``AngelctlError`` that ends a client.

Invariants:
- TLS is always verified (``CERT_REQUIRED`` and the host name); there is no switch to turn it
  off. A certificate failure happens before any HTTP byte is sent, so no credential leaves.
- A refusal's message carries at most 200 characters of the server's ``x-error-message`` and
  never a header value we sent.
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass

import websocket

from angelctl.errors import AngelctlError, AuthError, ConnectFailed, RateLimited, RequestRejected
from angelctl.feed.auth import LOGIN_HINT

__all__ = [
    "Drop",
    "Refusal",
    "RefusedUpgrade",
    "connect_failure",
    "fatal",
    "open_websocket",
    "shutdown",
    "tls_context",
]


class Drop(Exception):
    """The current connection (or attempt) is over; ``cause`` names why (a stats key)."""

    def __init__(self, cause: str, silence: float | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.silence = silence


@dataclass
class Refusal:
    kind: str
    code: str
    message: str
    retry: bool


def tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """Verification always on: system CAs (or ``cafile``), CERT_REQUIRED, host name checked."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return context


def open_websocket(
    url: str, headers: list[str], *, cafile: str | None, timeout: float
) -> websocket.WebSocket:
    """A connected, upgraded WebSocket; raises ``Drop`` or ``RefusedUpgrade`` on failure."""
    sslopt: dict[str, object] = {}
    if url.startswith("wss://"):
        sslopt["context"] = tls_context(cafile)
    ws = websocket.WebSocket(sslopt=sslopt, skip_utf8_validation=True)
    try:
        ws.connect(  # type: ignore[no-untyped-call]
            url, header=headers, timeout=timeout, suppress_origin=True
        )
    except Exception as exc:
        shutdown(ws)
        raise connect_failure(exc) from None
    return ws


def shutdown(ws: websocket.WebSocket) -> None:
    with contextlib.suppress(Exception):
        ws.shutdown()  # type: ignore[no-untyped-call]


def connect_failure(exc: Exception) -> Exception:
    """What a failed connect means: a drop to retry, or a refusal to surface."""
    if isinstance(exc, websocket.WebSocketBadStatusException):
        if exc.status_code >= 500:
            return Drop("upgrade-5xx")
        return RefusedUpgrade(classify_status(exc.status_code, exc.resp_headers))
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = f"TLS certificate verification failed: {exc.verify_message}"
        return RefusedUpgrade(Refusal("tls", "certificate", message, retry=True))
    if isinstance(exc, ssl.SSLError):
        return Drop("connect-tls")
    if isinstance(exc, websocket.WebSocketTimeoutException | TimeoutError):
        return Drop("connect-timeout")
    if isinstance(exc, ConnectionRefusedError):
        return Drop("connect-refused")
    if isinstance(exc, websocket.WebSocketException | OSError):
        return Drop("connect-error")
    return exc


class RefusedUpgrade(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.kind)
        self.refusal = refusal


def classify_status(status: int, headers: dict[str, str] | None) -> Refusal:
    reason = ""
    for name, value in (headers or {}).items():
        if name.lower() == "x-error-message":
            reason = str(value)[:200]
    detail = f": {reason}" if reason else ""
    if status in (401, 403):
        message = f"the feed refused the session (HTTP {status}{detail})"
        return Refusal("auth", str(status), message, retry=False)
    if status == 429:
        message = "the broker refused another feed connection (HTTP 429): at most 3 per client code"
        return Refusal("connection-limit", "429", message, retry=True)
    message = f"the feed refused the WebSocket upgrade (HTTP {status}{detail})"
    return Refusal("upgrade", str(status), message, retry=False)


def fatal(refusal: Refusal) -> AngelctlError:
    route = "websocket"
    if refusal.kind == "auth":
        return AuthError(refusal.message, route=route, code=refusal.code, hint=LOGIN_HINT)
    if refusal.kind == "connection-limit":
        return RateLimited(
            refusal.message,
            route=route,
            code=refusal.code,
            hint="close another stream (angelctl or an SDK client) using this client code",
        )
    if refusal.kind == "tls":
        return ConnectFailed(
            refusal.message,
            route=route,
            hint="the server's certificate is not trusted: check ws_url and the network path",
        )
    return RequestRejected(
        refusal.message, route=route, code=refusal.code, hint="check ws_url / order_ws_url"
    )
