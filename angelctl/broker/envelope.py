"""Turn one HTTP response into ``data`` or a typed error: both JSON dialects and the non-JSON
bodies the broker really sends (docs/protocol.md#envelopes-and-value-types,
docs/protocol.md#error-answers).

- status dialect  ``{"status": false, "errorcode": "AB1050", "message": …, "data": null}``
- success dialect ``{"success": false, "errorCode": "AG8001", "message": …, "data": ""}``
- 403/429 plain text ``Access denied because of exceeding access rate`` (rate limit)
- an HTML "Request Rejected" page with a support ID (WAF), an empty 400, 5xx pages.

An envelope's code and message are classified together by ``broker.classify``. A body that is
not a SmartAPI envelope (HTML, cut JSON, empty) is never ``definite``: on a write the broker
may have acted, so the caller settles it by reconciling.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from angelctl.broker.classify import CODES, RATE_HINT, classify
from angelctl.errors import (
    ApiError,
    RateLimited,
    RequestRejected,
    ServerError,
    UnparseableResponse,
)
from angelctl.records import record

RATE_LIMIT_TEXT = "exceeding access rate"


@record
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


# The code table lives in ``broker.classify``; this name stays for the documentation test.
CODE_CLASSES: dict[str, type[ApiError]] = {code: cls for code, (cls, _) in CODES.items()}
_SUPPORT_ID = re.compile(r"support ID(?: is)?[:\s]*<?[^0-9]*(\d{6,})", re.IGNORECASE)


def _text(body: bytes, limit: int = 160) -> str:
    text = body.decode("utf-8", "replace").strip()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_envelope(route: str, response: RawResponse) -> Any:
    """Return the ``data`` of a successful reply, else raise the matching ``ApiError``."""
    _refuse_non_json(route, response)
    return _open_envelope(route, response.status, _document(route, response))


def _refuse_non_json(route: str, response: RawResponse) -> None:
    """The replies that are not the broker's JSON: the rate-limit text, HTML pages (firewall,
    maintenance, 5xx) and empty bodies, each as the error it means."""
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
            hint=RATE_HINT,
            family="rate_limit",
        )
    if "html" in ctype or stripped[:1] == b"<":
        raise _html_error(route, status, body)
    if not stripped:
        if status == 400:
            raise RequestRejected(
                "the broker answered HTTP 400 with an empty body (bad request)",
                route=route,
                http_status=status,
                hint="check the request fields, the API key and the registered static IP",
                definite=False,
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


def _html_error(route: str, status: int, body: bytes) -> ApiError:
    """An HTML page: a 5xx page, a maintenance page on a 2xx, or the firewall's rejection."""
    support = _SUPPORT_ID.search(body.decode("utf-8", "replace"))
    suffix = f" (support ID {support.group(1)})" if support else ""
    if status >= 500:
        return ServerError(
            f"the broker answered HTTP {status} with an HTML error page{suffix}",
            route=route,
            http_status=status,
            hint="the broker is having trouble; retry later",
        )
    if status < 300 and not support and "request rejected" not in _text(body).lower():
        return UnparseableResponse(
            f"the broker answered HTTP {status} with an HTML page, not its JSON{suffix}",
            route=route,
            http_status=status,
            hint="the broker may be under maintenance; retry later",
        )
    return RequestRejected(
        f"the broker's firewall rejected the request (HTTP {status}){suffix}",
        route=route,
        http_status=status,
        hint="this request shape is blocked by the broker; do not retry it unchanged",
        definite=False,
    )


def _document(route: str, response: RawResponse) -> dict[str, Any]:
    status, body = response.status, response.body
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
    return document


def _open_envelope(route: str, status: int, document: dict[str, Any]) -> Any:
    """Either dialect (``status``/``errorcode`` or ``success``/``errorCode``): the data of a
    success, else the classified error (``broker.classify``)."""
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
            envelope=True,
        )
    code = str(code)
    verdict = classify(route, code, message, status)
    raise verdict.cls(
        message,
        route=route,
        http_status=status,
        code=code,
        hint=verdict.hint,
        definite=verdict.definite,
        envelope=True,
        family=verdict.family,
    )
