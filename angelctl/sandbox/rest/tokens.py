"""HS512 JWTs shaped like Angel's: ``eyJhbGciOiJIUzUxMiJ9.<claims>.<signature>``.

Claims follow the ones decoded from real tokens (docs/protocol.md#login-sessions-and-totp): the jwt
carries ``{"username", "roles": 0, "usertype": "USER", "iat", "exp"}``, the feed and refresh tokens
``{"username", "iat", "exp"}``. Each token also carries a random ``jti`` so two tokens issued in
the same second differ (real tokens differ by a nested opaque claim instead).

Invariants:
- The signing key is random per ``TokenSigner`` (per engine) and never leaves the process.
- ``decode`` checks the signature only; expiry and revocation are the session table's business,
  because the engine must tell "expired" (AB8051) from "unknown" (AB8050) for refresh tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

_HEADER = {"alg": "HS512"}


class BadToken(ValueError):
    """Not a token this sandbox signed (garbled, wrong signature, wrong shape)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise BadToken("bad base64") from exc


def _json(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class TokenSigner:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(64)

    def _sign(self, signing_input: str) -> str:
        return _b64(hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha512).digest())

    def issue(self, claims: dict[str, Any]) -> str:
        claims = {**claims, "jti": secrets.token_hex(8)}
        signing_input = f"{_b64(_json(_HEADER))}.{_b64(_json(claims))}"
        return f"{signing_input}.{self._sign(signing_input)}"

    def decode(self, token: str) -> dict[str, Any]:
        """The claims of a token this signer issued; ``BadToken`` for anything else."""
        parts = token.split(".")
        if len(parts) != 3:
            raise BadToken("not three parts")
        header, payload, signature = parts
        if not hmac.compare_digest(self._sign(f"{header}.{payload}"), signature):
            raise BadToken("bad signature")
        try:
            claims = json.loads(_unb64(payload))
        except ValueError as exc:
            raise BadToken("bad claims") from exc
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            raise BadToken("bad claims")
        return claims


def jwt_claims(username: str, iat: int, exp: int) -> dict[str, Any]:
    return {"username": username, "roles": 0, "usertype": "USER", "iat": iat, "exp": exp}


def plain_claims(username: str, iat: int, exp: int) -> dict[str, Any]:
    return {"username": username, "iat": iat, "exp": exp}
