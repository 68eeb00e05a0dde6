"""What the sandbox saw: every API request as received, and per-route counters.

Tests and scenarios judge the client by this log (how many placeOrder calls reached the broker,
which routes it called), so it records the request as it arrived: the request-target *with* its
query string, every header with its original spelling, the body text.

Invariants:
- What leaves the log (``as_dict``, so ``GET /_sandbox/requests``) has every secret masked
  structurally, as angelctl's own traces do (``broker.trace``): secret-looking headers
  (``X-PrivateKey``, ``Authorization`` → ``Bearer ***``), JSON keys of the body (``password``,
  ``totp``, ``refreshToken``…) and query parameters become ``***``.
- Records are appended in arrival-of-reply order and numbered from 1 (``seq``); newest last.
- Admin routes (``/_sandbox/…``) are never logged or counted.
- The log keeps at most ``limit`` records (oldest dropped); counters are never truncated.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from angelctl.masking import mask_headers, mask_text, mask_url
from angelctl.records import record


@record
class RequestRecord:
    seq: int
    time: str
    monotonic: float
    method: str
    target: str
    route: str | None
    headers: dict[str, str]
    body: str
    client_code: str | None
    remote: str
    status: int
    code: str
    faults: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with every secret masked."""
        out = asdict(self)
        out["faults"] = list(self.faults)
        out["target"] = mask_url(self.target)
        out["headers"] = mask_headers(self.headers)
        out["body"] = mask_text(self.body)
        return out


@dataclass
class RouteCounter:
    calls: int = 0
    ok: int = 0
    rejects: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "ok": self.ok, "rejects": dict(self.rejects)}


class RequestLog:
    def __init__(self, limit: int) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=limit)
        self._next_seq = 1
        self.routes: dict[str, RouteCounter] = {}

    def clear(self) -> None:
        self._records.clear()
        self._next_seq = 1
        self.routes.clear()

    def next_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def append(self, record: RequestRecord) -> None:
        self._records.append(record)
        counter = self.routes.setdefault(record.route or "(unknown)", RouteCounter())
        counter.calls += 1
        if record.code:
            counter.rejects[record.code] = counter.rejects.get(record.code, 0) + 1
        else:
            counter.ok += 1

    def records(self, *, since: int = 0, route: str | None = None) -> list[RequestRecord]:
        return [
            record
            for record in self._records
            if record.seq > since and (route is None or record.route == route)
        ]

    def __len__(self) -> int:
        return len(self._records)
