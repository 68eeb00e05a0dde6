"""Turn one HTTP response into ``data`` or a typed error: both JSON dialects and the non-JSON
bodies the broker really sends (reference §3.1, §4).

- status dialect  ``{"status": false, "errorcode": "AB1050", "message": …, "data": null}``
- success dialect ``{"success": false, "errorCode": "AG8001", "message": …, "data": ""}``
- 403/429 plain text ``Access denied because of exceeding access rate`` (rate limit)
- an HTML "Request Rejected" page with a support ID (WAF), an empty 400, 5xx pages.

Broker codes map to classes in ``CODE_CLASSES``, one explicit table with a fallback; the
login route is special: every refusal there is a ``LoginRejected``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

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
    UnparseableResponse,
)
from angelctl.records import record

RATE_LIMIT_TEXT = "exceeding access rate"
LOGIN_ROUTE = "loginByPassword"


@record
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


CODE_CLASSES: dict[str, type[ApiError]] = {
    # gateway / session
    "AG8001": SessionExpired,  # Invalid Token (what stale tokens really get)
    "AG8002": SessionExpired,  # Token Expired
    "AG8003": SessionExpired,  # Token missing
    "AB1010": SessionExpired,  # AMX Session Expired
    "AB1011": SessionExpired,  # Client not login
    "AB8050": RefreshRejected,  # Invalid Refresh Token
    "AB8051": RefreshRejected,  # Refresh Token Expired
    "AG8004": AuthError,  # invalid or missing API key
    "AB1000": LoginRejected,  # Invalid Email Or Password
    "AB1001": LoginRejected,  # Invalid Email
    "AB1002": LoginRejected,  # Invalid Password Length
    "AB1050": LoginRejected,  # Invalid totp (undocumented, seen live)
    "AB7001": LoginRejected,  # web password used instead of the MPIN
    "AB1006": RequestRejected,  # Client Is Block For Trading
    "AB1032": LoginRejected,  # User Not Found
    "AB1031": RequestRejected,  # Old Password Mismatch
    # rate limit in its JSON form
    "AB1021": RateLimited,
    # static IP rule (2025-10 onwards)
    "AG7002": IpNotRegistered,
    # broker-side failures
    "AB1004": ServerError,  # Something Went Wrong
    "AB2000": ServerError,  # Error not specified
    "AB2001": ServerError,  # Internal Error
    "AB9000": ServerError,  # GTT Internal Server Error
    # input and order errors
    "AB1003": RequestRejected,
    "AB1005": RequestRejected,  # User Type Must Be USER (a client bug)
    "AB1007": RequestRejected,  # AMX Error (also "Order not found")
    "AB1008": RequestRejected,
    "AB1009": RequestRejected,
    "AB1012": RequestRejected,
    "AB1013": RequestRejected,
    "AB1014": RequestRejected,
    "AB1015": RequestRejected,
    "AB1016": RequestRejected,
    "AB1017": RequestRejected,
    "AB1018": RequestRejected,
    "AB2002": RequestRejected,
    "AB4006": RequestRejected,
    "AB4008": RequestRejected,
    "AB4013": RequestRejected,
    "AB4018": RequestRejected,
    "AB4036": RequestRejected,
    **{f"AB90{n:02d}": RequestRejected for n in range(1, 19)},
}

HINTS: dict[str, str] = {
    "AG8001": "the session is no longer valid: run `angelctl login`",
    "AG8002": "the session expired: run `angelctl login`",
    "AB1010": "the broker ended the session: run `angelctl login`",
    "AB8050": "the refresh token was refused: run `angelctl login`",
    "AB8051": "the refresh token expired: run `angelctl login`",
    "AG8004": "check the profile's API key (`angelctl login --reset-secrets`)",
    "AB1050": "check the TOTP seed and the machine clock (`angelctl doctor`)",
    "AB7001": "the password is your 4-digit MPIN, not the web password "
    "(`angelctl login --reset-secrets`)",
    "AB1007": "check the MPIN (`angelctl login --reset-secrets`)",
    "AG7002": "register this machine's public IP for the API key at smartapi.angelone.in "
    "and set it with `angelctl config set public_ip IP`",
    "AB4008": "an order tag must be shorter than 20 characters",
}
_RATE_HINT = "wait and retry; limits are per client code across all apps and processes"
_SUPPORT_ID = re.compile(r"support ID(?: is)?[:\s]*<?[^0-9]*(\d{6,})", re.IGNORECASE)


def _text(body: bytes, limit: int = 160) -> str:
    text = body.decode("utf-8", "replace").strip()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_envelope(route: str, response: RawResponse) -> Any:
    """Return the ``data`` of a successful reply, else raise the matching ``ApiError``."""
    status, body = response.status, response.body
    ctype = response.headers.get("Content-Type", "").lower()
    stripped = body.strip()
    if status in (403, 429) and (
        RATE_LIMIT_TEXT in body.decode("utf-8", "replace") or status == 429
    ):
        raise RateLimited(
            "the broker refused the call: rate limit exceeded",
            route=route,
            http_status=status,
            hint=_RATE_HINT,
        )
    if "html" in ctype or stripped[:1] == b"<":
        support = _SUPPORT_ID.search(body.decode("utf-8", "replace"))
        suffix = f" (support ID {support.group(1)})" if support else ""
        if status >= 500:
            raise ServerError(
                f"the broker answered HTTP {status} with an HTML error page{suffix}",
                route=route,
                http_status=status,
                hint="the broker is having trouble; retry later",
            )
        raise RequestRejected(
            f"the broker's firewall rejected the request (HTTP {status}){suffix}",
            route=route,
            http_status=status,
            hint="this request shape is blocked by the broker; do not retry it unchanged",
        )
    if not stripped:
        if status == 400:
            raise RequestRejected(
                "the broker answered HTTP 400 with an empty body (bad request)",
                route=route,
                http_status=status,
                hint="check the request fields, the API key and the registered static IP",
            )
        if status >= 500:
            raise ServerError(
                f"the broker answered HTTP {status} with an empty body",
                route=route,
                http_status=status,
                hint="retry later",
            )
        raise UnparseableResponse(
            f"the broker answered HTTP {status} with an empty body",
            route=route,
            http_status=status,
        )
    try:
        document = json.loads(body)
    except ValueError:
        if status >= 500:
            raise ServerError(
                f"the broker answered HTTP {status}: {_text(body, 80)}",
                route=route,
                http_status=status,
                hint="retry later",
            ) from None
        raise UnparseableResponse(
            f"the broker sent a reply that is not JSON (HTTP {status}): {_text(body, 80)}",
            route=route,
            http_status=status,
        ) from None
    if not isinstance(document, dict):
        raise UnparseableResponse(
            f"the broker sent unexpected JSON (HTTP {status})", route=route, http_status=status
        )
    if "status" in document:
        ok = document["status"] in (True, "true", "True")
        code = document.get("errorcode") or ""
    elif "success" in document:
        ok = document["success"] in (True, "true", "True")
        code = document.get("errorCode") or ""
    else:
        raise UnparseableResponse(
            f"the broker's reply has neither 'status' nor 'success' (HTTP {status})",
            route=route,
            http_status=status,
        )
    message = str(document.get("message") or "").strip() or "no message"
    if ok and status < 400:
        data = document.get("data")
        return None if data in ("null", "") else data
    if status >= 500 and not code:
        raise ServerError(
            f"the broker failed: {message} (HTTP {status})",
            route=route,
            http_status=status,
            hint="retry later",
        )
    code = str(code)
    cls = CODE_CLASSES.get(code, RequestRejected)
    if route == LOGIN_ROUTE and cls in (RequestRejected, SessionExpired, AuthError):
        cls = LoginRejected
    hint = HINTS.get(code) or (_RATE_HINT if cls is RateLimited else None)
    raise cls(message, route=route, http_status=status, code=code, hint=hint)
