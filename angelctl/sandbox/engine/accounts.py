"""Broker-side account state: who can log in, with what, and what they hold.

``SandboxAccount`` (config) is the immutable spec; ``Account`` is the live state built from it
and rebuilt on every reset. Later work adds funds movement, positions and holdings here.

Invariants:
- The MPIN is the only accepted ``password``; anything that is not four digits is a web
  password, which the real broker refuses with AB7001 (docs/protocol.md#login-sessions-and-totp).
- TOTP is RFC 6238 (SHA-1, 6 digits, 30 s) with ``window`` steps accepted either side of the
  engine clock. With reuse rejection on, a step is usable once: a code whose step is not after
  the last accepted step is refused (RFC 6238 §5.2), which also refuses the very same code.
"""

from __future__ import annotations

import hmac
import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pyotp

from angelctl.sandbox.config_defaults import SandboxAccount

TOTP_STEP_SECONDS = 30
_MPIN_SHAPE = re.compile(r"^\d{4}$")


def looks_like_mpin(password: str) -> bool:
    return bool(_MPIN_SHAPE.match(password))


@dataclass
class Account:
    spec: SandboxAccount
    available_cash: Decimal
    last_totp_step: int | None = None

    @classmethod
    def from_spec(cls, spec: SandboxAccount) -> Account:
        return cls(spec=spec, available_cash=Decimal(spec.available_cash))

    @property
    def client_code(self) -> str:
        return self.spec.client_code

    def mpin_matches(self, password: str) -> bool:
        return hmac.compare_digest(password.encode(), self.spec.mpin.encode())

    def totp_step(self, code: str, now: datetime, window: int) -> int | None:
        """The TOTP step ``code`` belongs to within ``window`` steps of ``now``, else None."""
        if not re.fullmatch(r"\d{6}", code):
            return None
        totp = pyotp.TOTP(self.spec.totp_secret)
        current = math.floor(now.timestamp()) // TOTP_STEP_SECONDS
        for step in range(current - window, current + window + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    def consume_totp(self, code: str, now: datetime, window: int, reject_reuse: bool) -> bool:
        step = self.totp_step(code, now, window)
        if step is None:
            return False
        if reject_reuse and self.last_totp_step is not None and step <= self.last_totp_step:
            return False
        last = self.last_totp_step
        self.last_totp_step = step if last is None else max(step, last)
        return True
