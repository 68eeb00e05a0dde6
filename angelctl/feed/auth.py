"""Where a feed connection's handshake credentials come from.

``WsCredentials`` holds the four handshake headers' values; ``FeedAuth`` is what a connection
asks for them at every connect (so a renewed token is used on the next reconnect) and asks to
``renew`` after a refused upgrade. ``StaticAuth`` serves fixed credentials (scripts, tests);
``SessionAuth`` serves them from broker sessions, one per connection thread.

Invariants: secret values are revealed only into ``WsCredentials.headers()``; they never reach a
log line, an exception message or a ``repr``. A ``SessionAuth`` never shares a ``BrokerSession``
between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from angelctl.errors import AuthError
from angelctl.records import record
from angelctl.secrets import Secret

if TYPE_CHECKING:
    from angelctl.broker.session import BrokerSession

__all__ = ["LOGIN_HINT", "FeedAuth", "SessionAuth", "StaticAuth", "WsCredentials"]

LOGIN_HINT = "run `angelctl login` to start a new session"


@record
class WsCredentials:
    client_code: str
    jwt: Secret
    api_key: Secret
    feed_token: Secret

    def headers(self) -> list[str]:
        """The four handshake headers (docs/protocol.md#feed-handshake); the only place these
        secrets are revealed."""
        jwt = self.jwt.reveal().removeprefix("Bearer ").strip()
        return [
            f"Authorization: Bearer {jwt}",
            f"x-api-key: {self.api_key.reveal()}",
            f"x-client-code: {self.client_code}",
            f"x-feed-token: {self.feed_token.reveal()}",
        ]


class FeedAuth(Protocol):
    def credentials(self) -> WsCredentials: ...

    def renew(self) -> None:
        """Get fresh tokens after the server refused the current ones; raise if impossible."""
        ...


class StaticAuth:
    """Fixed credentials (scripts and tests); ``renew`` cannot help."""

    def __init__(self, credentials: WsCredentials) -> None:
        self._credentials = credentials

    def credentials(self) -> WsCredentials:
        return self._credentials

    def renew(self) -> None:
        raise AuthError("the feed refused the credentials", hint=LOGIN_HINT)


class SessionAuth:
    """Credentials from broker sessions, each confined to the connection thread that uses it.

    A ``BrokerSession`` is not thread-safe (its rate-limit ledger belongs to the thread that
    opened it), so every connection thread builds its own with ``make_session`` on first use.
    They share the on-disk session cache: ``renew`` first reloads it (another thread or process
    may have renewed already) and refreshes with the refresh token only if it has not.
    """

    def __init__(self, make_session: Callable[[], BrokerSession]) -> None:
        self._make_session = make_session
        self._local = threading.local()

    def _session(self) -> BrokerSession:
        session: BrokerSession | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._make_session()
        return session

    def credentials(self) -> WsCredentials:
        session = self._session()
        tokens = session.ensure()
        return WsCredentials(
            client_code=session.settings.client_code,
            jwt=tokens.jwt,
            api_key=tokens.api_key or session.api_key(),
            feed_token=tokens.feed,
        )

    def renew(self) -> None:
        refused = self._session().cached_tokens()
        self.release()
        fresh = self._session()
        reloaded = fresh.cached_tokens()
        if reloaded is not None and refused is not None and reloaded.jwt != refused.jwt:
            return
        fresh.refresh()

    def release(self) -> None:
        """Close this thread's session (the connection thread calls it on its way out)."""
        session: BrokerSession | None = getattr(self._local, "session", None)
        self._local.session = None
        if session is not None:
            session.rest.close()
