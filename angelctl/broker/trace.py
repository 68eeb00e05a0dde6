"""HTTP traces for ``--debug`` and ``--log-file``, with every secret masked structurally.

Headers that carry credentials and JSON keys that carry secrets are replaced by ``***`` before
anything is formatted; the text then passes ``secrets.redact`` as a second line of defence.
The maskers (``mask_headers``, ``mask_json``, ``mask_url``, ``mask_text``) live in the leaf
``angelctl.masking``, which the sandbox uses for its request log (``GET /_sandbox/requests``) too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from angelctl.masking import mask_headers, mask_json
from angelctl.secrets import redact

log = logging.getLogger("angelctl.http")

MAX_TRACE_BODY = 2000


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
