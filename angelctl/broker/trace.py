"""HTTP traces for ``--debug`` and ``--log-file``, with every secret masked structurally.

Headers that carry credentials and JSON keys that carry secrets are replaced by ``***`` before
anything is formatted; the text then passes ``secrets.redact`` as a second line of defence.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from angelctl.secrets import MASK, redact

log = logging.getLogger("angelctl.http")

SECRET_HEADERS = frozenset(
    {"authorization", "x-privatekey", "x-api-key", "x-feed-token", "cookie", "set-cookie"}
)
SECRET_KEYS = frozenset(
    {
        "password",
        "mpin",
        "totp",
        "jwttoken",
        "refreshtoken",
        "feedtoken",
        "api_key",
        "apikey",
        "totp_secret",
        "secret",
        "token_secret",
        "authorization",
    }
)
MAX_TRACE_BODY = 2000


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    masked = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            masked[name] = "Bearer ***" if value.startswith("Bearer ") else MASK
        else:
            masked[name] = value
    return masked


def mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (MASK if str(k).lower() in SECRET_KEYS and v not in (None, "") else mask_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    return value


def mask_body(body: bytes | None) -> str:
    if not body:
        return ""
    try:
        text = json.dumps(mask_json(json.loads(body)), separators=(",", ":"))
    except ValueError:
        text = body.decode("utf-8", "replace")
    text = redact(text)
    return text if len(text) <= MAX_TRACE_BODY else text[:MAX_TRACE_BODY] + f"… ({len(text)} chars)"


def trace_request(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("> %s %s", method, redact(url))
        for name, value in mask_headers(headers).items():
            log.debug("> %s: %s", name, redact(value))
        if body:
            log.debug("> %s", mask_body(body))


def trace_response(status: int, headers: Mapping[str, str], body: bytes, elapsed: float) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("< HTTP %s (%.0f ms, %d bytes)", status, elapsed * 1000, len(body))
        for name, value in mask_headers(headers).items():
            log.debug("< %s: %s", name, redact(value))
        if body:
            log.debug("< %s", mask_body(body))


class RedactingFilter(logging.Filter):
    """Scrubs registered secret values from every record, whatever logger produced it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
