"""Drill scenario files (TOML, docs/drills.md): parsed and checked into a ``Scenario``.

A scenario says what the private sandbox holds when the kill starts (funds, positions, working
orders, GTT rules, armed faults), how its market runs (seed, start time IST, modelled request
latency, an optional recording) and how the kill is asked to run (scope, cancel-only, budget).

Invariants:
- ``load_scenario`` either returns a complete ``Scenario`` or raises ``ScenarioError`` (a usage
  error, exit 2) whose message names the file, the line when it can be found, the key
  (``positions[1].lots``) and what is wrong. Nothing is started before a scenario is valid.
- Symbols are kept as written: the drill resolves them with the same resolver as
  ``order place`` against the sandbox's instrument master of the drill's day.
- Fault entries are passed to the sandbox as they are; the sandbox's own fault checks judge
  them when the drill arms them (``fault_problem`` turns its answer into a ``ScenarioError``
  with the fault's key and line).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from angelctl.clock import IST
from angelctl.errors import UsageError

SIDES = ("BUY", "SELL")
PRODUCTS = ("DELIVERY", "CARRYFORWARD", "MARGIN", "INTRADAY")
ORDER_TYPES = ("LIMIT", "MARKET", "STOPLOSS_LIMIT", "STOPLOSS_MARKET")
TOP_KEYS = ("drill", "market", "account", "positions", "orders", "gtt", "faults", "kill")
DEFAULT_START = "2026-03-10 10:15"
DEFAULT_LATENCY_MS = 40.0
DEFAULT_BUDGET = 120.0


class ScenarioError(UsageError):
    """A scenario file that cannot be read or is not valid (nothing was started)."""


@dataclass(frozen=True)
class Leg:
    """A position, a working order or a GTT rule, as the scenario gives it."""

    where: str  # positions[0], orders[2], gtt[1]
    symbol: str
    side: str = ""  # orders and rules; a position's side is the sign of its quantity
    qty: int = 0  # units (signed for positions); 0 with lots set
    lots: int = 0
    product: str = ""
    price: Decimal | None = None
    trigger: Decimal | None = None
    order_type: str = "LIMIT"
    tag: str = ""
    client: str = "self"  # "self" or "other": a second client's account on the same sandbox


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    description: str
    seed: int
    start: datetime
    latency_ms: float
    step_bps: float | None
    recording: Path | None
    recording_from: str | None
    funds: Decimal | None
    positions: tuple[Leg, ...]
    orders: tuple[Leg, ...]
    rules: tuple[Leg, ...]
    faults: tuple[dict[str, Any], ...]
    segments: tuple[str, ...]
    symbols: tuple[str, ...]
    cancel_only: bool
    budget: float
    reprice_after: float | None
    sandbox: dict[str, Any] = field(default_factory=dict)  # extra sandbox settings

    def with_seed(self, seed: int | None) -> Scenario:
        from dataclasses import replace

        return self if seed is None else replace(self, seed=seed)


def load_scenario(path: Path) -> Scenario:
    """Read and check ``path``; ``ScenarioError`` names what is wrong and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            f"{path}: cannot read the scenario ({exc.strerror})",
            hint="give a drill scenario file; examples ship in angelctl/drills/",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    return _Reader(path, text).scenario(data)


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: str, problem: str) -> ScenarioError:
        line = _line_of(self.lines, key)
        where = f"{self.path}: line {line}: " if line else f"{self.path}: "
        return ScenarioError(f"{where}{key}: {problem}", hint="the format is in docs/drills.md")

    def scenario(self, data: dict[str, Any]) -> Scenario:
        for key in data:
            if key not in TOP_KEYS:
                raise self.fail(key, f"unknown section; known: {', '.join(TOP_KEYS)}")
        drill = self.table(data, "drill", ("name", "description"))
        market = self.table(
            data,
            "market",
            ("seed", "start", "request_latency_ms", "step_bps", "recording", "from"),
        )
        account = self.table(data, "account", ("funds",))
        kill = self.table(
            data, "kill", ("segments", "symbols", "cancel_only", "budget", "reprice_after")
        )
        recording = market.get("recording")
        return Scenario(
            path=self.path,
            name=self.text(drill, "drill.name", default=self.path.stem),
            description=self.text(drill, "drill.description", default=""),
            seed=self.integer(market, "market.seed", default=20260310),
            start=self.start(market.get("start", DEFAULT_START)),
            latency_ms=self.number(
                market, "market.request_latency_ms", DEFAULT_LATENCY_MS, 0, 10_000
            )
            or 0.0,
            step_bps=self.number(market, "market.step_bps", None, 0, 1000),
            recording=None
            if recording is None
            else self.recording_path(self.text(market, "market.recording")),
            recording_from=self.hhmm(market.get("from")),
            funds=self.price(account, "account.funds"),
            positions=tuple(self.legs(data, "positions")),
            orders=tuple(self.legs(data, "orders")),
            rules=tuple(self.legs(data, "gtt")),
            faults=tuple(self.faults(data)),
            segments=tuple(self.words(kill, "kill.segments")),
            symbols=tuple(self.words(kill, "kill.symbols")),
            cancel_only=self.flag(kill, "kill.cancel_only"),
            budget=self.number(kill, "kill.budget", DEFAULT_BUDGET, 1, 3600) or DEFAULT_BUDGET,
            reprice_after=self.number(kill, "kill.reprice_after", None, 0.25, 600),
        )

    # -- sections -----------------------------------------------------------------------------

    def table(self, data: dict[str, Any], name: str, keys: tuple[str, ...]) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table ([" + name + "])")
        for key in value:
            if key not in keys:
                raise self.fail(f"{name}.{key}", f"unknown key; known: {', '.join(keys)}")
        return value

    def legs(self, data: dict[str, Any], kind: str) -> list[Leg]:
        items = data.get(kind, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.fail(kind, f"must be an array of tables ([[{kind}]])")
        return [self.leg(kind, index, item) for index, item in enumerate(items)]

    def leg(self, kind: str, index: int, item: dict[str, Any]) -> Leg:
        where = f"{kind}[{index}]"
        known = {"symbol", "qty", "lots", "product", "price"}
        if kind != "positions":
            known |= {"side", "trigger", "tag"}
        if kind == "orders":
            known |= {"type", "client"}
        for key in item:
            if key not in known:
                raise self.fail(f"{where}.{key}", f"unknown key; known: {', '.join(sorted(known))}")
        if "symbol" not in item:
            raise self.fail(f"{where}.symbol", "required (any form order place takes)")
        qty = self.integer(item, f"{where}.qty", default=0)
        lots = self.integer(item, f"{where}.lots", default=0)
        if bool(qty) == bool(lots):
            raise self.fail(f"{where}.qty", "give exactly one of qty or lots, not zero")
        side = ""
        if kind == "positions":
            pass
        elif (side := str(item.get("side", "")).upper()) not in SIDES:
            raise self.fail(f"{where}.side", "must be BUY or SELL")
        elif qty < 0 or lots < 0:
            raise self.fail(f"{where}.qty", "must be positive (the side says the direction)")
        product = str(item.get("product", "")).upper()
        if product and product not in PRODUCTS:
            raise self.fail(f"{where}.product", f"must be one of {', '.join(PRODUCTS)}")
        order_type = str(item.get("type", "LIMIT")).upper()
        if order_type not in ORDER_TYPES:
            raise self.fail(f"{where}.type", f"must be one of {', '.join(ORDER_TYPES)}")
        client = str(item.get("client", "self"))
        if client not in ("self", "other"):
            raise self.fail(f"{where}.client", 'must be "self" or "other" (a second client)')
        return Leg(
            where=where,
            symbol=self.text(item, f"{where}.symbol"),
            side=side,
            qty=qty,
            lots=lots,
            product=product,
            price=self.price(item, f"{where}.price"),
            trigger=self.price(item, f"{where}.trigger"),
            order_type=order_type,
            tag=self.text(item, f"{where}.tag", default="")[:19],
            client=client,
        )

    def faults(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        items = data.get("faults", [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.fail("faults", "must be an array of tables ([[faults]])")
        for index, item in enumerate(items):
            name = item.get("name")
            if not isinstance(name, str) or not name:
                raise self.fail(f"faults[{index}].name", "required: the sandbox fault's name")
            if name.startswith("ws_") or name == "expire_tokens":
                raise self.fail(
                    f"faults[{index}].name",
                    "socket faults and expire_tokens do not apply (use auth_after)",
                )
        return items

    # -- values -------------------------------------------------------------------------------

    def text(self, item: dict[str, Any], key: str, *, default: str | None = None) -> str:
        value = item.get(key.rpartition(".")[2], default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def integer(self, item: dict[str, Any], key: str, *, default: int) -> int:
        value = item.get(key.rpartition(".")[2], default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be an integer, not {value!r}")
        return value

    def number(
        self, item: dict[str, Any], key: str, default: float | None, low: float, high: float
    ) -> float | None:
        value = item.get(key.rpartition(".")[2], default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number, not {value!r}")
        if not low <= value <= high:
            raise self.fail(key, f"must be {low:g}..{high:g}, not {value!r}")
        return float(value)

    def price(self, item: dict[str, Any], key: str) -> Decimal | None:
        value = item.get(key.rpartition(".")[2])
        if value is None:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidOperation
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, f"must be a price, not {value!r}") from None
        if not number.is_finite() or number <= 0:
            raise self.fail(key, "must be positive")
        return number

    def flag(self, item: dict[str, Any], key: str) -> bool:
        value = item.get(key.rpartition(".")[2], False)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def words(self, item: dict[str, Any], key: str) -> list[str]:
        value = item.get(key.rpartition(".")[2], [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a list of strings")
        return value

    def start(self, value: Any) -> datetime:
        """``YYYY-MM-DD HH:MM`` IST (a TOML local date-time is read as IST too)."""
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str):
            try:
                moment = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
            except ValueError:
                raise self.fail("market.start", "must be YYYY-MM-DD HH:MM (IST)") from None
        else:
            raise self.fail("market.start", "must be YYYY-MM-DD HH:MM (IST)")
        if moment.tzinfo is not None:
            return moment.astimezone(IST)
        return moment.replace(tzinfo=IST)

    def recording_path(self, text: str) -> Path:
        """A file beside the scenario, or a packaged recording's bare name (``banknifty-sample``,
        no folder and no suffix), kept as written for the replay to find."""
        if "/" not in text and not Path(text).suffix:
            return Path(text)
        return self.path.parent / text

    def hhmm(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(r"\d\d:\d\d", value.strip()):
            raise self.fail("market.from", "must be HH:MM (IST)")
        return value.strip()


def _line_of(lines: list[str], key: str) -> int | None:
    """The line (from 1) that holds ``key`` (``positions[1].lots``, ``market.seed``), or of its
    table when the key itself is absent; None when neither is found."""
    match = re.fullmatch(r"(\w+)(?:\[(\d+)\])?(?:\.(\w+))?", key)
    if match is None:
        return None
    table, index, name = match.group(1), match.group(2), match.group(3)
    header = re.compile(
        r"\s*\[\[\s*" + table + r"\s*\]\]" if index else r"\s*\[\s*" + table + r"\s*\]"
    )
    seen, start = -1, None
    for number, line in enumerate(lines):
        if header.match(line):
            seen += 1
            if index is None or seen == int(index):
                start = number
                break
    if start is None:
        return None
    if name:
        assignment = re.compile(r"\s*" + name + r"\s*=")
        for number in range(start + 1, len(lines)):
            if lines[number].lstrip().startswith("["):
                break
            if assignment.match(lines[number]):
                return number + 1
    return start + 1


def fault_problem(scenario: Scenario, index: int, problem: str) -> ScenarioError:
    """The sandbox refused ``faults[index]``: say so with the file and line."""
    text = scenario.path.read_text(encoding="utf-8")
    return _Reader(scenario.path, text).fail(f"faults[{index}]", problem)
