"""Structural masking of secrets in headers, JSON bodies, query strings and URLs.

A leaf shared by the client's HTTP traces (``broker.trace``) and the sandbox's request log
(``sandbox.rest.request_log``), so neither imports the other: it imports only the standard
library.

A name is secret-looking when, compared without case, ``-`` and ``_``, it is one of
``SECRET_HEADERS``/``SECRET_KEYS`` or contains a part of ``SECRET_PARTS`` (``X-Feed-Token``,
``refreshToken``, ``client_secret``); instrument fields such as ``symboltoken`` are not.
Invariant: a masked value is ``MASK`` (``Bearer ***`` for a bearer header); a text with nothing
secret in it comes back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, unquote_plus

MASK = "***"
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-privatekey",
        "x-api-key",
        "x-feed-token",
        "x-sandbox-admin",
        "cookie",
        "set-cookie",
    }
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
SECRET_PARTS = (
    "password",
    "passwd",
    "secret",
    "mpin",
    "totp",
    "apikey",
    "privatekey",
    "authorization",
    "cookie",
    "jwt",
    "accesstoken",
    "authtoken",
    "refreshtoken",
    "feedtoken",
    "sessiontoken",
    "sandboxadmin",
)
_EXACT = frozenset(name.replace("-", "").replace("_", "") for name in SECRET_HEADERS | SECRET_KEYS)


def is_secret_name(name: str) -> bool:
    """A header, JSON key or query parameter whose value is a secret."""
    plain = name.lower().replace("-", "").replace("_", "").strip()
    return plain in _EXACT or any(part in plain for part in SECRET_PARTS)


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    masked = {}
    for name, value in headers.items():
        if is_secret_name(name):
            masked[name] = "Bearer ***" if value.startswith("Bearer ") else MASK
        else:
            masked[name] = value
    return masked


def mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (MASK if is_secret_name(str(k)) and v not in (None, "") else mask_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    return value


def mask_pairs(text: str) -> str:
    """``name=value&…`` (a query string, a form body) with secret-looking values masked."""
    parts = []
    for part in text.split("&"):
        name, sep, value = part.partition("=")
        if sep and value and is_secret_name(unquote_plus(name)):
            part = f"{name}={MASK}"
        parts.append(part)
    return "&".join(parts)


def mask_url(url: str) -> str:
    """``url`` with its secret-looking query parameters masked; a query that is one JSON
    document (some SDKs send ``GET path?{json}``) is masked by key. Unchanged when no secret."""
    base, sep, query = url.partition("?")
    if not sep or not query:
        return url
    text = unquote(query)
    if text.startswith(("{", "[")):
        masked = mask_text(text)
        return url if masked == text else f"{base}?{quote(masked, safe=':,*')}"
    return f"{base}?{mask_pairs(query)}"


def mask_text(text: str) -> str:
    """A body as text with its secrets masked: a JSON document by key (re-written only when
    something was masked), anything else as ``name=value&…`` fields; ``***`` for a document
    nested too deep to mask."""
    try:
        document = _json_or_none(text)
        if isinstance(document, dict | list):
            masked = mask_json(document)
            return text if masked == document else json.dumps(masked)
    except RecursionError:
        return MASK
    return mask_pairs(text)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
