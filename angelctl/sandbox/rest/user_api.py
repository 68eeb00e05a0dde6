"""Handlers for the User section (docs/protocol.md#route-table #1-#4): login, token refresh,
profile, logout. Funds (getRMS, #5) come from the paper broker and live in ``order_api``. Each
handler is ``(state, call) -> EngineResponse``; the engine has already applied rate limits, header
checks and (for secure routes) token verification.

Login checks, in order, and the codes chosen where the reference is unclear:
1. unknown client code → AB1007 "Login Id or password is invalid": the docs' own AB1007 example
   carries that message, which covers a wrong login id as well as a wrong password; AB1032
   "User Not Found" sits in the docs table beside AB1031 (password change), not login.
2. ``password`` not four digits (a web password) → AB7001 "LoginbyPassword is not allowed. Please
   switch to Login by MPIN now." (seen live, docs/protocol.md#login-sessions-and-totp).
3. TOTP wrong, outside the window, or already used → AB1050 "Invalid totp". A TOTP that checks
   out is consumed before the MPIN is compared, so a client can never reuse a code.
4. wrong 4-digit MPIN → AB1007 "Login Id or password is invalid" (the docs pair AB1007 with this
   message; the live API has no separate "wrong MPIN" code on record).

Logout with a ``clientcode`` that is not the token's owner → AB1011 "Client not login" (chosen:
that client has no session under this token); a missing clientcode is tolerated.
"""

from __future__ import annotations

from typing import Any

from angelctl.sandbox.engine.accounts import looks_like_mpin
from angelctl.sandbox.rest.sessions import TokenCheck
from angelctl.sandbox.rest.state import BrokerState, Call, Handler
from angelctl.sandbox.rest.wire import EngineResponse, oms_error, success

LOGIN_INVALID = ("AB1007", "Login Id or password is invalid")
MPIN_REQUIRED = ("AB7001", "LoginbyPassword is not allowed. Please switch to Login by MPIN now.")
TOTP_INVALID = ("AB1050", "Invalid totp")


def login_by_password(state: BrokerState, call: Call) -> EngineResponse:
    account = state.account(call.text("clientcode") or "")
    if account is None:
        return oms_error(*LOGIN_INVALID)
    password = call.text("password") or ""
    if not looks_like_mpin(password):
        return oms_error(*MPIN_REQUIRED)
    totp = call.text("totp") or ""
    if isinstance(call.body.get("totp"), int):
        totp = totp.zfill(6)
    config = state.config
    if not account.consume_totp(totp, call.now, config.totp_valid_window, config.reject_totp_reuse):
        return oms_error(*TOTP_INVALID)
    if not account.mpin_matches(password):
        return oms_error(*LOGIN_INVALID)
    tokens = state.sessions.start(account.client_code, call.now, config)
    return success(
        {
            "jwtToken": tokens.jwt,
            "refreshToken": tokens.refresh,
            "feedToken": tokens.feed,
            "state": call.text("state") or "",
        }
    )


def generate_tokens(state: BrokerState, call: Call) -> EngineResponse:
    check, old = state.sessions.check_refresh(call.text("refreshToken") or "", call.now)
    if check is TokenCheck.EXPIRED:
        return oms_error("AB8051", "Refresh Token Expired")
    if check is not TokenCheck.VALID or old is None:
        return oms_error("AB8050", "Invalid Refresh Token")
    tokens = state.sessions.refresh(old, call.now, state.config)
    return success(
        {"jwtToken": tokens.jwt, "refreshToken": tokens.refresh, "feedToken": tokens.feed}
    )


def get_profile(state: BrokerState, call: Call) -> EngineResponse:
    spec = state.accounts[call.client_code].spec
    profile: dict[str, Any] = {
        "clientcode": spec.client_code,
        "name": spec.name,
        "email": spec.email,
        "mobileno": spec.mobileno,
        "exchanges": list(spec.exchanges),
        "products": list(spec.products),
        "lastlogintime": "",
        "broker": "",
    }
    return success(profile)


def logout(state: BrokerState, call: Call) -> EngineResponse:
    named = (call.text("clientcode") or "").strip().upper()
    if named and named != call.client_code.upper():
        return oms_error("AB1011", "Client not login")
    assert call.token is not None
    state.sessions.end(call.token.session_id)
    return success("")


HANDLERS: dict[str, Handler] = {
    "loginByPassword": login_by_password,
    "generateTokens": generate_tokens,
    "getProfile": get_profile,
    "logout": logout,
}
