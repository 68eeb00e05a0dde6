"""Login sessions and the token sets issued inside them.

A ``Session`` is one successful login; each ``generateTokens`` call adds a ``TokenSet``
(jwt + refresh + feed) to it. Logout ends the whole session, so every token set it ever issued
dies at once ("The API session is destroyed", docs/protocol.md#login-sessions-and-totp).

Invariants:
- A token string is valid only while (a) its signature checks, (b) its ``exp`` has not passed on
  the engine clock, (c) its token set is in this table and not revoked, (d) its session is live.
- ``revoke_jwts`` (the ``expire_tokens`` fault) revokes jwts and, optionally, refresh tokens;
  feed tokens follow the jwt.
- Expiry is ``exp`` in whole epoch seconds: a token is expired once ``floor(now) > exp``.
"""

from __future__ import annotations

import enum
import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from angelctl.sandbox.clock import end_of_ist_day
from angelctl.sandbox.config import SandboxConfig
from angelctl.sandbox.rest.tokens import BadToken, TokenSigner, jwt_claims, plain_claims


class TokenCheck(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass
class TokenSet:
    session_id: int
    client_code: str
    jwt: str
    refresh: str
    feed: str
    issued_at: datetime
    expires_at: datetime
    refresh_expires_at: datetime
    jwt_revoked: bool = False
    refresh_revoked: bool = False


@dataclass
class Session:
    id: int
    client_code: str
    started_at: datetime
    token_sets: list[TokenSet] = field(default_factory=list)
    ended: bool = False


def _expired(moment: datetime, now: datetime) -> bool:
    return math.floor(now.timestamp()) > math.floor(moment.timestamp())


class SessionTable:
    def __init__(self, signer: TokenSigner) -> None:
        self._signer = signer
        self._ids = itertools.count(1)
        self.sessions: dict[int, Session] = {}
        self._by_jwt: dict[str, TokenSet] = {}
        self._by_refresh: dict[str, TokenSet] = {}
        self._by_feed: dict[str, TokenSet] = {}

    def clear(self) -> None:
        self.sessions.clear()
        self._by_jwt.clear()
        self._by_refresh.clear()
        self._by_feed.clear()

    def start(self, client_code: str, now: datetime, config: SandboxConfig) -> TokenSet:
        session = Session(next(self._ids), client_code, now)
        self.sessions[session.id] = session
        return self._issue(session, now, config)

    def refresh(self, old: TokenSet, now: datetime, config: SandboxConfig) -> TokenSet:
        if config.invalidate_old_tokens_on_refresh:
            old.jwt_revoked = old.refresh_revoked = True
        return self._issue(self.sessions[old.session_id], now, config)

    def end(self, session_id: int) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            session.ended = True

    def revoke_jwts(self, *, also_refresh: bool, client_code: str | None = None) -> int:
        """Invalidate every live jwt (of one client, or all); returns how many were live."""
        revoked = 0
        for token_set in self._by_jwt.values():
            if client_code is not None and token_set.client_code != client_code:
                continue
            if not token_set.jwt_revoked:
                revoked += 1
            token_set.jwt_revoked = True
            if also_refresh:
                token_set.refresh_revoked = True
        return revoked

    def check_jwt(self, token: str, now: datetime) -> tuple[TokenCheck, TokenSet | None]:
        token_set = self._by_jwt.get(token)
        return self._check(token, token_set, now, refresh=False)

    def check_refresh(self, token: str, now: datetime) -> tuple[TokenCheck, TokenSet | None]:
        token_set = self._by_refresh.get(token)
        return self._check(token, token_set, now, refresh=True)

    def check_feed(self, token: str, now: datetime) -> tuple[TokenCheck, TokenSet | None]:
        token_set = self._by_feed.get(token)
        return self._check(token, token_set, now, refresh=False)

    def username_of(self, token: str) -> str | None:
        """The signed ``username`` claim of any token we issued, ignoring expiry/revocation."""
        try:
            username = self._signer.decode(token).get("username")
        except BadToken:
            return None
        return username if isinstance(username, str) else None

    def live_sessions(self) -> int:
        return sum(1 for session in self.sessions.values() if not session.ended)

    def _check(
        self, token: str, token_set: TokenSet | None, now: datetime, *, refresh: bool
    ) -> tuple[TokenCheck, TokenSet | None]:
        try:
            self._signer.decode(token)
        except BadToken:
            return TokenCheck.UNKNOWN, None
        if token_set is None:
            return TokenCheck.UNKNOWN, None
        revoked = token_set.refresh_revoked if refresh else token_set.jwt_revoked
        if revoked or self.sessions[token_set.session_id].ended:
            return TokenCheck.REVOKED, token_set
        expiry = token_set.refresh_expires_at if refresh else token_set.expires_at
        if _expired(expiry, now):
            return TokenCheck.EXPIRED, token_set
        return TokenCheck.VALID, token_set

    def _issue(self, session: Session, now: datetime, config: SandboxConfig) -> TokenSet:
        iat = math.floor(now.timestamp())
        if config.session_expiry == "midnight":
            expires = end_of_ist_day(now)
        else:
            expires = now + timedelta(seconds=config.session_ttl_seconds)
        refresh_expires = expires
        if config.refresh_ttl_seconds is not None:
            refresh_expires = now + timedelta(seconds=config.refresh_ttl_seconds)
        exp = math.floor(expires.timestamp())
        rexp = math.floor(refresh_expires.timestamp())
        code = session.client_code
        token_set = TokenSet(
            session_id=session.id,
            client_code=code,
            jwt=self._signer.issue(jwt_claims(code, iat, exp)),
            refresh=self._signer.issue(plain_claims(code, iat, rexp)),
            feed=self._signer.issue(plain_claims(code, iat, exp)),
            issued_at=now,
            expires_at=expires,
            refresh_expires_at=refresh_expires,
        )
        session.token_sets.append(token_set)
        self._by_jwt[token_set.jwt] = token_set
        self._by_refresh[token_set.refresh] = token_set
        self._by_feed[token_set.feed] = token_set
        return token_set
