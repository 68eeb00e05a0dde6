"""``BrokerSession``: login, token refresh and re-login around authenticated calls.

Policy on an authenticated call that gets ``SessionExpired`` (AG8001/AG8002/AG8003/AB1010):
1. one transparent ``generateTokens`` with the refresh token;
2. if that is refused, a fresh login with a fresh TOTP step (never a reused code);
3. the call is repeated once; a second expiry is an ``AuthError`` for the user.
An expired token is a definite refusal (the gateway never reached the OMS), so repeating a
write after it is safe.

Writes (routes that are not read-only) follow the resend policy exactly: a write is sent again
only after an answer proving the order system never saw it — the rate-limit reply (after
waiting out a full window of the limiter) or an expired-session reply (after one renewal) — at
most ``MAX_WRITE_RESENDS`` times, and every attempt is announced to ``on_send`` before it
leaves so the caller can journal it. Nothing else is ever resent.

A login whose answer was lost may have consumed its TOTP code, so the retry waits for the next
30-second step (``TotpLedger``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from angelctl.broker.client import RestClient
from angelctl.clock import Clock
from angelctl.config import ProfileSettings
from angelctl.errors import (
    CredentialError,
    NotLoggedIn,
    RateLimited,
    RefreshRejected,
    ResponseLost,
    SessionExpired,
    UnparseableResponse,
)
from angelctl.secrets import Credentials, Secret
from angelctl.tokens import SessionStore, SessionTokens, TotpLedger
from angelctl.tokens import session_expiry as compute_expiry

log = logging.getLogger("angelctl.session")

LOGIN_ATTEMPTS = 2
MAX_WRITE_RESENDS = 2
# the broker's limits are rolling one-second windows (docs/protocol.md#rate-limits)
RATE_WINDOW_SECONDS = 1.0

SendHook = Callable[[int, str], None]


class WriteGate(Protocol):
    """What every order-entry request passes immediately before it leaves (the latch)."""

    def check(self) -> None: ...

    def inflight(self) -> AbstractContextManager[None]: ...


class BrokerSession:
    def __init__(
        self,
        settings: ProfileSettings,
        rest: RestClient,
        credentials: Callable[[], Credentials],
        store: SessionStore,
        totp: TotpLedger,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.rest = rest
        self._credentials = credentials
        self.store = store
        self.totp = totp
        self.clock = clock
        self._tokens: SessionTokens | None = None
        self._loaded = False
        self.events: list[str] = []

    def api_key(self) -> Secret:
        """The cached session's API key (no keyring needed), else the credential store's."""
        tokens = self._tokens if self._loaded else self.cached_tokens()
        if tokens is not None and tokens.api_key:
            return tokens.api_key
        return self._credentials().api_key

    # -- tokens -----------------------------------------------------------------------------

    def cached_tokens(self) -> SessionTokens | None:
        if not self._loaded:
            self._loaded = True
            tokens = self.store.load(
                self.settings.name,
                api_url=self.settings.api_url,
                client_code=self.settings.client_code,
            )
            if tokens is not None and tokens.valid_at(self.clock.now()):
                self._tokens = tokens
        return self._tokens

    def _adopt(self, data: Any, *, issued_by: str) -> SessionTokens:
        if not isinstance(data, dict) or not data.get("jwtToken"):
            raise UnparseableResponse(
                f"the broker's {issued_by} reply has no jwtToken", route=issued_by
            )
        jwt = str(data["jwtToken"]).removeprefix("Bearer ").strip()
        now = self.clock.now()
        tokens = SessionTokens(
            client_code=self.settings.client_code,
            api_url=self.settings.api_url,
            api_key=self.api_key(),
            jwt=Secret(jwt),
            refresh=Secret(str(data.get("refreshToken") or "")),
            feed=Secret(str(data.get("feedToken") or "")),
            issued_at=now,
            expires_at=compute_expiry(jwt, now, self.settings.session_rule),
        )
        self.store.save(self.settings.name, tokens)
        self._tokens, self._loaded = tokens, True
        return tokens

    # -- login / refresh / logout -------------------------------------------------------------

    def login(self) -> SessionTokens:
        creds = self._credentials()
        if not self.settings.client_code:
            raise NotLoggedIn(
                f"profile {self.settings.name} has no client code",
                hint=f"run `angelctl login --profile {self.settings.name}`",
            )
        for attempt in range(1, LOGIN_ATTEMPTS + 1):
            # TOTP steps belong to the account: two profiles on one client code share them.
            code, waited = self.totp.next_code(self.settings.account, creds.totp_secret)
            if waited:
                self.events.append(f"waited {waited:.1f} s for a fresh TOTP step")
            body = {
                "clientcode": self.settings.client_code,
                "password": creds.mpin.reveal(),
                "totp": code,
            }
            try:
                data = self.rest.call("loginByPassword", body)
            except ResponseLost:
                # The server may have consumed this code: the next attempt waits for a new step.
                if attempt == LOGIN_ATTEMPTS:
                    raise
                self.events.append("login answer lost; retrying with the next TOTP step")
                continue
            self.events.append("logged in")
            return self._adopt(data, issued_by="loginByPassword")
        raise AssertionError("unreachable")

    def refresh(self) -> SessionTokens:
        tokens = self.cached_tokens()
        if tokens is None or not tokens.refresh:
            raise RefreshRejected("no refresh token is cached", route="generateTokens")
        data = self.rest.call(
            "generateTokens", {"refreshToken": tokens.refresh.reveal()}, jwt=tokens.jwt
        )
        self.events.append("session refreshed")
        return self._adopt(data, issued_by="generateTokens")

    def ensure(self) -> SessionTokens:
        """A valid session: the cached one, else a login (if credentials are at hand)."""
        tokens = self.cached_tokens()
        if tokens is not None:
            return tokens
        try:
            return self.login()
        except CredentialError as exc:
            raise NotLoggedIn(
                f"profile {self.settings.name} has no valid session and cannot log in: "
                f"{exc.message}",
                hint=f"run `angelctl login --profile {self.settings.name}`",
            ) from None

    def logout(self) -> bool:
        tokens = self.cached_tokens()
        called = False
        if tokens is not None:
            try:
                self.rest.call("logout", {"clientcode": self.settings.client_code}, jwt=tokens.jwt)
                called = True
            except SessionExpired:
                pass  # already dead on the broker's side
        self.store.clear(self.settings.name)
        self._tokens = None
        return called

    # -- authenticated calls ------------------------------------------------------------------

    def call(
        self,
        route: str,
        body: Mapping[str, Any] | None = None,
        *,
        path_args: Mapping[str, str] | None = None,
        on_send: SendHook | None = None,
        gate: WriteGate | None = None,
    ) -> Any:
        from angelctl.broker.routes import ROUTES

        if not ROUTES[route].read_only:
            return self._write(route, body, path_args, on_send, gate)
        tokens = self.ensure()
        try:
            return self.rest.call(route, body, jwt=tokens.jwt, path_args=path_args)
        except SessionExpired as exc:
            log.info("%s: session expired (%s); renewing", route, exc.code or exc.message)
        tokens = self._renew()
        return self.rest.call(route, body, jwt=tokens.jwt, path_args=path_args)

    def _write(
        self,
        route: str,
        body: Mapping[str, Any] | None,
        path_args: Mapping[str, str] | None,
        on_send: SendHook | None,
        gate: WriteGate | None,
    ) -> Any:
        attempt, renewed, reason = 0, False, "sent"
        while True:
            attempt += 1
            tokens = self.ensure()

            def before_send(attempt: int = attempt, reason: str = reason) -> None:
                if gate is not None:
                    gate.check()  # the latch, immediately before the request leaves
                if on_send is not None:
                    on_send(attempt, reason)

            try:
                return self.rest.call(
                    route,
                    body,
                    jwt=tokens.jwt,
                    path_args=path_args,
                    before_send=before_send,
                    inflight=gate.inflight if gate is not None else None,
                )
            except RateLimited:
                if attempt > MAX_WRITE_RESENDS:
                    raise
                log.info("%s: rate-limit reply; resending after a full window", route)
                self.clock.sleep(RATE_WINDOW_SECONDS)
                reason = "resent after a rate-limit reply and a full window"
            except SessionExpired as exc:
                if renewed or attempt > MAX_WRITE_RESENDS:
                    raise
                log.info("%s: session expired (%s); renewing once", route, exc.code or exc.message)
                self._renew()
                renewed = True
                reason = "resent after renewing the expired session"

    def _renew(self) -> SessionTokens:
        try:
            return self.refresh()
        except (RefreshRejected, SessionExpired) as exc:
            log.info("refresh refused (%s); logging in again", exc.code or exc.message)
        try:
            return self.login()
        except CredentialError as exc:
            self.store.clear(self.settings.name)
            raise NotLoggedIn(
                f"the session expired and angelctl cannot log in again: {exc.message}",
                hint=f"run `angelctl login --profile {self.settings.name}`",
            ) from None
