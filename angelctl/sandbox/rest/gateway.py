"""Gateway checks that every API call passes before a route handler sees it.

Order (as a front gateway would apply them): rate limit (in the engine) → headers → token.

Header rules (docs/protocol.md#request-headers, docs/protocol.md#error-answers):
- ``X-PrivateKey`` missing or not a known API key → success dialect, HTTP 200,
  ``{"success":false,"message":"Invalid API Key","errorCode":"AG8004","data":""}``. AG8004 is
  the code the JAVA SDK names "Invalid or missing api key", and public adapters quote the live
  body with the message "Invalid API Key". A forum report got AG8001 for a misnamed key header,
  so ``api_key_error_code="AG8001"`` switches to that reading.
- ``X-UserType`` other than ``USER`` (case-sensitive) → ``AB1005`` "User Type Must Be USER".
- ``X-UserType``/``X-SourceID`` absent, or ``X-SourceID`` not ``WEB`` → HTTP 400 with an empty
  body: old forum reports got a bare 400 when the X- headers were missing, and no error code for
  a bad SourceID is known, so none is invented.
- Header names are case-insensitive (the Python SDK sends ``Content-type``).

Token rules: no ``Authorization`` → AG8003 "Token missing"; anything but ``Bearer <live jwt>``
→ AG8001 "Invalid Token" (an expired jwt answers ``expired_token_code``, AG8001 by default).

Static IP (docs/protocol.md#static-ip-and-the-2026-algo-rules, realdata AG7002 log): when the
caller's account has registered IPs (its own ``registered_ips``, else the config-wide list),
place/modify/cancel and GTT writes from any other source IP get the success dialect ``AG7002``, in
one of the two live wordings (``unregistered_ip_message``). The source IP is ``X-ClientPublicIP``
(what the client declares, as the loopback sandbox cannot see a public address), else the socket's
remote address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from angelctl.sandbox.rest.routes import Route
from angelctl.sandbox.rest.sessions import TokenCheck, TokenSet
from angelctl.sandbox.rest.state import BrokerState
from angelctl.sandbox.rest.wire import (
    EngineRequest,
    EngineResponse,
    empty_reply,
    gateway_error,
    oms_error,
)

_AUTH_MESSAGES = {
    "AG8001": "Invalid Token",
    "AG8002": "Token Expired",
    "AG8003": "Token missing",
    "AG8004": "Invalid API Key",
}


def bearer_token(request: EngineRequest) -> str | None:
    value = request.header("Authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ""
    return token.strip()


def check_headers(state: BrokerState, request: EngineRequest) -> EngineResponse | None:
    api_key = request.header("X-PrivateKey")
    if api_key is None or not state.is_known_api_key(api_key.strip()):
        code = state.config.api_key_error_code
        return gateway_error(code, _AUTH_MESSAGES[code])
    user_type = request.header("X-UserType")
    source_id = request.header("X-SourceID")
    if user_type is None or source_id is None or source_id.strip() != "WEB":
        return empty_reply(400, "bad_request")
    if user_type.strip() != "USER":
        return oms_error("AB1005", "User Type Must Be USER")
    return None


def authenticate(state: BrokerState, request: EngineRequest) -> TokenSet | EngineResponse:
    if request.header("Authorization") is None:
        return gateway_error("AG8003", _AUTH_MESSAGES["AG8003"])
    token = bearer_token(request)
    if not token:
        return gateway_error("AG8001", _AUTH_MESSAGES["AG8001"])
    check, token_set = state.sessions.check_jwt(token, state.clock.now())
    if check is TokenCheck.VALID and token_set is not None:
        return token_set
    code = state.config.expired_token_code if check is TokenCheck.EXPIRED else "AG8001"
    return gateway_error(code, _AUTH_MESSAGES[code])


UNREGISTERED_IP = {
    "access_denied": "Access denied: Unregistered IP address. Register your IP before retrying.",
    "not_registered": "{ip} is not a registered IP, please check your registered IP.",
}


def _same_ip(source: str, allowed: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    return any(address == ipaddress.ip_address(ip) for ip in allowed)


def check_source_ip(
    state: BrokerState, request: EngineRequest, client_code: str
) -> EngineResponse | None:
    """AG7002 if the account has registered IPs and the request comes from another one."""
    account = state.account(client_code)
    allowed = (account.spec.registered_ips if account else ()) or state.config.registered_ips
    if not allowed:
        return None
    source = (request.header("X-ClientPublicIP") or request.remote or "").strip()
    if _same_ip(source, allowed):
        return None
    message = UNREGISTERED_IP[state.config.unregistered_ip_message].format(ip=source)
    return gateway_error("AG7002", message)


def caller_identity(
    state: BrokerState, request: EngineRequest, route: Route, body: Mapping[str, Any]
) -> tuple[str, str | None]:
    """The rate-limit key and the client code it belongs to (None when not resolvable).

    The client code comes from the token's signed ``username`` for secure routes, from the body
    for login, from the refresh token for generateTokens; failing that the API key, failing that
    the remote address keys the limiter.
    """
    client: str | None = None
    token = bearer_token(request)
    if route.is_secure and token:
        client = state.sessions.username_of(token)
    refresh = body.get("refreshToken")
    if client is None and route.name == "generateTokens" and isinstance(refresh, str):
        client = state.sessions.username_of(refresh)
    body_client = body.get("clientcode")
    if client is None and isinstance(body_client, str) and body_client.strip():
        client = body_client.strip().upper()
    if client is not None:
        return f"client:{client}", client
    api_key = request.header("X-PrivateKey")
    if api_key:
        return f"apikey:{api_key.strip()}", None
    return f"remote:{request.remote}", None
