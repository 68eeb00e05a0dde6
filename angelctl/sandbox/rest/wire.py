"""What goes in and out of the engine, and the exact bodies SmartAPI answers with.

``EngineRequest``/``EngineResponse`` are transport-free: the HTTP layer copies bytes in and
out and does nothing else. The envelope builders reproduce the live wire
(docs/protocol.md#envelopes-and-value-types, docs/protocol.md#error-answers):

- success: ``{"status":true,"message":"SUCCESS","errorcode":"","data":…}``
- OMS error ("status dialect"), keys in live order: ``{"message","errorcode","status":false,
  "data":null}``
- gateway/auth error ("success dialect"): ``{"success":false,"message","errorCode","data":""}``

All three travel with HTTP 200. Rate-limit, WAF and empty-400 replies are not JSON at all, nor
are the ``garbage`` fault's HTTP 200 bodies.

Invariants: JSON bodies are compact (no spaces), UTF-8, ``Content-Type: application/json``;
``EngineResponse.code`` is the errorcode (or a label such as ``rate_limited``) and is ``""``
exactly when the call succeeded.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

from angelctl.records import record

DropMode = Literal["reset", "close"]

RATE_LIMIT_TEXT = "Access denied because of exceeding access rate"
JSON_TYPE = "application/json"


@record
class EngineRequest:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    remote: str = "127.0.0.1"

    @property
    def path(self) -> str:
        return unquote(self.target.split("?", 1)[0])

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def headers_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.headers:
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class EngineResponse:
    status: int = 200
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    code: str = ""
    hold_seconds: float = 0.0
    drop: DropMode | None = None
    truncate_fraction: float | None = None  # send only this fraction of the body, then close

    @property
    def ok(self) -> bool:
        return self.code == ""

    def json(self) -> Any:
        return json.loads(self.body)


def _json_reply(payload: dict[str, Any], code: str) -> EngineResponse:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return EngineResponse(status=200, body=body, code=code)


def success(data: Any) -> EngineResponse:
    return _json_reply({"status": True, "message": "SUCCESS", "errorcode": "", "data": data}, "")


def list_or_null(rows: list[Any]) -> list[Any] | None:
    """Books and lists are ``null`` when empty on the live API, never ``[]``
    (docs/protocol.md#known-quirks)."""
    return rows if rows else None


def oms_error(code: str, message: str, data: Any = None) -> EngineResponse:
    payload = {"message": message, "errorcode": code, "status": False, "data": data}
    return _json_reply(payload, code)


def gateway_error(code: str, message: str) -> EngineResponse:
    payload = {"success": False, "message": message, "errorCode": code, "data": ""}
    return _json_reply(payload, code)


def text_reply(
    status: int, text: str, code: str, content_type: str = "text/plain"
) -> EngineResponse:
    return EngineResponse(status=status, body=text.encode(), content_type=content_type, code=code)


def empty_reply(status: int, code: str) -> EngineResponse:
    return EngineResponse(status=status, body=b"", content_type=None, code=code)


def rate_limited(form: str) -> EngineResponse:
    if form == "json_ab1021":
        return oms_error("AB1021", "Too many requests")
    if form == "http429":
        response = text_reply(429, RATE_LIMIT_TEXT, "rate_limited")
        response.headers["Retry-After"] = "1"
        return response
    return text_reply(403, RATE_LIMIT_TEXT, "rate_limited")


def waf_page(status: int = 403) -> EngineResponse:
    """The F5-style "Request Rejected" page users got from a non-public route
    (docs/protocol.md#bodies-that-are-not-json)."""
    support_id = str(secrets.randbelow(9 * 10**18) + 10**18)
    html = (
        "<html><head><title>Request Rejected</title></head><body>"
        "The requested URL was rejected. Please consult with your administrator.<br><br>"
        f"Your support ID is: {support_id}<br><br>"
        "<a href='javascript:history.back();'>[Go Back]</a></body></html>"
    )
    return text_reply(status, html, "waf_html", content_type="text/html")


_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def gateway_failure_page(status: int) -> EngineResponse:
    reason = _REASONS.get(status, "Server Error")
    html = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    return text_reply(status, html, f"http_{status}", content_type="text/html")


GARBAGE_KINDS = ("html", "cut_json", "binary")

_GARBAGE_HTML = (
    "<!DOCTYPE html><html><head><title>Site under maintenance</title></head><body>"
    "<h1>We'll be back shortly</h1><p>This page is temporarily unavailable.</p></body></html>"
)
# The start of a real-looking master, cut inside a row.
_GARBAGE_CUT_JSON = '[{"token":"99926000","symbol":"Nifty 50","name":"NIFTY","expiry":"","stri'
# A gzip header and deflate noise, labelled as JSON and without Content-Encoding.
_GARBAGE_BINARY = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xad\x92\xcdn\xdb0\x0c\xc7\xef\xfb\x14"


def garbage_reply(kind: str) -> EngineResponse:
    """An HTTP 200 whose body is not JSON (``GARBAGE_KINDS``)."""
    if kind == "cut_json":
        return EngineResponse(status=200, body=_GARBAGE_CUT_JSON.encode(), code="garbage")
    if kind == "binary":
        return EngineResponse(status=200, body=_GARBAGE_BINARY, code="garbage")
    return text_reply(200, _GARBAGE_HTML, "garbage", content_type="text/html")
