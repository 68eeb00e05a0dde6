"""Broker answers, classified once: by error code *and* by the family of its message.

The broker reuses codes for unrelated meanings — ``AB1007`` ("AMX Error") carries login,
variety, circuit-limit, tick and order-not-found messages; "Too many requests" comes as the
plain 403 text, as ``AB1021`` and under other codes — so the code alone says too little
(docs/protocol.md, "Error answers"). ``classify`` reads both and returns a ``Verdict``:

- ``cls``: the exception type, and with it the exit status;
- ``definite``: True when the answer proves the broker refused the request *before its order
  system saw it* (input validation, an expired session, the rate limit, the IP rule). Only such
  an answer lets a write be settled as "not placed" (or sent again, for the rate limit and an
  expired session). An internal error ("Something went wrong"), an unknown code or an
  unrecognised ``AMX Error`` is not definite: a write answered that way is settled by
  reconciling, never by sending again;
- ``family``: the message family, kept with the error for reports;
- ``hint``: what to do, chosen by family first, then by code.
"""

from __future__ import annotations

import functools
import re

from angelctl.errors import (
    ApiError,
    AuthError,
    IpNotRegistered,
    LoginRejected,
    RateLimited,
    RefreshRejected,
    RequestRejected,
    ServerError,
    SessionExpired,
)
from angelctl.records import record

LOGIN_ROUTE = "loginByPassword"
RATE_HINT = "wait and retry; limits are per client code across all apps and processes"


@record
class Verdict:
    cls: type[ApiError]
    family: str
    definite: bool
    hint: str | None


@record
class Family:
    name: str
    regex: str  # compiled on first use (``_search``): most runs classify no error at all
    cls: type[ApiError]
    definite: bool
    hint: str | None


def _family(
    name: str, regex: str, cls: type[ApiError], definite: bool, hint: str | None = None
) -> Family:
    return Family(name, regex, cls, definite, hint)


# Families that decide whatever the code says: the same words mean the same thing everywhere.
OVERRIDING = (
    _family(
        "rate_limit",
        r"too many requests|exceed\w*\s+(?:the\s+)?(?:access\s+)?rate|rate\s*limit",
        RateLimited,
        True,
        RATE_HINT,
    ),
    _family(
        "session",
        r"invalid token|token (?:is )?expired|token missing|invalid session|"
        r"session (?:is )?expired|client not login",
        SessionExpired,
        True,
        "the session is no longer valid: run `angelctl login`",
    ),
)

# Families that refine an overloaded code (AB1007 above all) or name an unknown one.
REFINING = (
    _family(
        "login",
        r"login ?id or password|invalid (?:email|password|mpin|totp)|password length|"
        r"switch to login by mpin",
        LoginRejected,
        True,
        "check the MPIN and the TOTP seed (`angelctl login --reset-secrets`)",
    ),
    _family(
        "server",
        r"something went wrong|internal (?:server )?error|try (?:again )?after ?some ?time|"
        r"error not specified",
        ServerError,
        False,
        "the broker reported an internal error; `angelctl reconcile` settles any order",
    ),
    _family(
        "circuit",
        r"circuit",
        RequestRejected,
        True,
        "the price is outside today's circuit band: `angelctl quote SYMBOL` shows the band",
    ),
    _family(
        "tick",
        r"tick|multiple of",
        RequestRejected,
        True,
        "the price must be a multiple of the tick size: `angelctl instruments show SYMBOL`",
    ),
    _family(
        "variety",
        r"order variety|variety",
        RequestRejected,
        True,
        "use --variety NORMAL, STOPLOSS or ROBO (after-market orders: --amo)",
    ),
    _family(
        "not_found",
        r"not found|does not exist|no data available",
        RequestRejected,
        True,
        "`angelctl order list` shows today's orders",
    ),
    _family(
        "funds",
        r"insufficient|margin|funds",
        RequestRejected,
        True,
        "`angelctl funds` shows the available margin",
    ),
    _family(
        "account",
        r"dormant|block(?:ed)? for trading|client is block|inactive|suspend",
        RequestRejected,
        True,
        "the broker refuses trading on this account: contact Angel One",
    ),
    _family(
        "input",
        r"invalid|must be|should be|cannot be empty|is required|not allowed|length",
        RequestRejected,
        True,
        None,
    ),
)

_AUTH = (AuthError, True)
_INPUT = (RequestRejected, True)
_SERVER = (ServerError, False)

# The published code table (and codes seen live), each with the class its code implies.
# ``definite`` False marks codes whose answer does not prove the order system never saw it.
CODES: dict[str, tuple[type[ApiError], bool]] = {
    "AG8001": (SessionExpired, True),  # Invalid Token (what stale tokens really get)
    "AG8002": (SessionExpired, True),  # Token Expired
    "AG8003": (SessionExpired, True),  # Token missing
    "AB1010": (SessionExpired, True),  # AMX Session Expired
    "AB1011": (SessionExpired, True),  # Client not login
    "AB8050": (RefreshRejected, True),  # Invalid Refresh Token
    "AB8051": (RefreshRejected, True),  # Refresh Token Expired
    "AG8004": _AUTH,  # invalid or missing API key
    "AB1000": (LoginRejected, True),  # Invalid Email Or Password
    "AB1001": (LoginRejected, True),  # Invalid Email
    "AB1002": (LoginRejected, True),  # Invalid Password Length
    "AB1050": (LoginRejected, True),  # Invalid totp (undocumented, seen live)
    "AB7001": (LoginRejected, True),  # web password used instead of the MPIN
    "AB1032": (LoginRejected, True),  # User Not Found
    "AB1006": _INPUT,  # Client Is Block For Trading
    "AB1031": _INPUT,  # Old Password Mismatch
    "AB1021": (RateLimited, True),  # Too many requests (JSON form)
    "AG7002": (IpNotRegistered, True),  # static-IP rule (2025-10 onwards)
    "AB1004": _SERVER,  # Something Went Wrong
    "AB2000": _SERVER,  # Error not specified
    "AB2001": _SERVER,  # Internal Error
    "AB9000": _SERVER,  # GTT Internal Server Error
    "AB1003": _INPUT,
    "AB1005": _INPUT,  # User Type Must Be USER (a client bug)
    # AB1007 "AMX Error": meaning only from its message; unrecognised text is not definite.
    "AB1007": (RequestRejected, False),
    "AB1008": _INPUT,  # Invalid Order Variety
    "AB1009": _INPUT,  # Symbol Not Found
    "AB1012": _INPUT,  # Invalid Product Type
    "AB1013": _INPUT,  # Order not found
    "AB1014": _INPUT,  # Trade not found
    "AB1015": _INPUT,  # Holding not found
    "AB1016": _INPUT,  # Position not found
    "AB1017": _INPUT,  # Position conversion failed
    "AB1018": _INPUT,  # Failed to get symbol details
    "AB2002": _INPUT,  # ROBO order is block
    "AB4006": _INPUT,  # Invalid symboltoken
    "AB4008": _INPUT,  # ordertag length
    "AB4013": _INPUT,  # TPIN is not validated
    "AB4018": _INPUT,  # Symbol token cannot be empty
    "AB4036": _INPUT,  # cautionary listing
    "AB9019": _INPUT,  # No Data Available (optionGreek)
    **{f"AB90{n:02d}": _INPUT for n in range(1, 19)},
}

CODE_HINTS: dict[str, str] = {
    "AG8001": "the session is no longer valid: run `angelctl login`",
    "AG8002": "the session expired: run `angelctl login`",
    "AB1010": "the broker ended the session: run `angelctl login`",
    "AB8050": "the refresh token was refused: run `angelctl login`",
    "AB8051": "the refresh token expired: run `angelctl login`",
    "AG8004": "check the profile's API key (`angelctl login --reset-secrets`)",
    "AB1050": "check the TOTP seed and the machine clock (`angelctl doctor`)",
    "AB7001": "the password is your 4-digit MPIN, not the web password "
    "(`angelctl login --reset-secrets`)",
    "AG7002": "register this machine's public IP for the API key at smartapi.angelone.in "
    "and set it with `angelctl config set public_ip IP`",
    "AB4008": "an order tag must be shorter than 20 characters",
    "AB4013": "authorise the sale with your TPIN in the broker's app (eDIS)",
}


def _match(families: tuple[Family, ...], message: str) -> Family | None:
    return next((f for f in families if _compiled(f.regex).search(message)), None)


@functools.cache
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


def classify(route: str, code: str, message: str, http_status: int) -> Verdict:
    """One answer's meaning, from its code and its message together."""
    overriding = _match(OVERRIDING, message)
    if overriding is not None and not (route == LOGIN_ROUTE and overriding.name == "session"):
        return Verdict(overriding.cls, overriding.name, overriding.definite, overriding.hint)
    known = CODES.get(code)
    refined = _match(REFINING, message)
    if known is not None:
        cls, definite = known
        family = refined.name if refined is not None else "code"
        hint = CODE_HINTS.get(code)
        if code == "AB1007" and refined is not None:
            # The overloaded code: its message decides.
            cls, definite, hint = refined.cls, refined.definite, refined.hint
        elif refined is not None and hint is None:
            hint = refined.hint
        if route == LOGIN_ROUTE and cls in (RequestRejected, SessionExpired, AuthError):
            cls = LoginRejected
        if cls is RateLimited and hint is None:
            hint = RATE_HINT
        return Verdict(cls, family, definite, hint)
    if http_status >= 500:
        return Verdict(ServerError, "server", False, "the broker is having trouble; retry later")
    if refined is not None:
        cls = LoginRejected if route == LOGIN_ROUTE else refined.cls
        # An unknown code is never proof: even familiar words under it do not settle a write.
        return Verdict(cls, refined.name, False, refined.hint)
    cls = LoginRejected if route == LOGIN_ROUTE else RequestRejected
    return Verdict(cls, "unknown", False, None)
