"""One drill against a running private sandbox: seed it, run the real kill, judge it.

``run_drill(scenario, sandbox, clock, folder)``:

1. logs a private profile (``drill``, the sandbox's demo account, credentials held in memory)
   into the sandbox and builds its instrument index from the sandbox's master, all under
   ``folder``; resolves every scenario symbol with the ``order place`` resolver;
2. seeds funds, positions, working orders (a second client's too) and GTT rules through the
   admin API, arms the scenario's faults, and reads each position's market price: the
   reference of the slippage, at the moment the kill starts;
3. runs ``KillSwitch.run`` — the procedure ``angelctl killswitch`` runs — with its own journal,
   latch and locks under ``folder``, on the shared simulated clock;
4. reads the sandbox's request log, order book, positions and GTT rules (admin routes) and
   hands them to ``report.build_report``.

Invariants: every file is under ``folder`` (the operator's profile, latch, journal and index are
never opened); the kill runs on one thread, so the order of requests — and with the seeded
market and order ids, the whole report — is the same on every run of a scenario and seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from angelctl.clock import IST, ManualClock
from angelctl.drill.report import DrillReport, Reference, build_report
from angelctl.drill.scenario import Leg, Scenario, ScenarioError, fault_problem
from angelctl.errors import RequestRejected, UsageError
from angelctl.instruments.index import InstrumentIndex
from angelctl.instruments.model import Contract
from angelctl.orders.scope import Scope
from angelctl.risk.killswitch.report import KillReport
from angelctl.secrets import Secret

PROFILE = "drill"


@dataclass(frozen=True)
class SandboxHandle:
    """What the drill needs of a running private sandbox (its host builds this)."""

    api_url: str
    admin_token: Secret
    demo: dict[str, str]  # client_code, api_key, mpin, totp_secret
    other_client: str  # a second account's client code (its orders must be left alone)
    market: str  # the market source's label (``synthetic seed N``, ``recording FILE``)


class MemoryStore:
    """The private profile's credentials, in memory only (never the operator's keyring)."""

    description = "drill's private sandbox account"

    def __init__(self, values: dict[str, str]) -> None:
        self._values = {name: Secret(value) for name, value in values.items()}

    def get(self, profile: str, name: str) -> Secret | None:
        return self._values.get(name)

    def set(self, profile: str, name: str, value: Secret) -> None:
        self._values[name] = value

    def delete(self, profile: str, name: str) -> None:
        self._values.pop(name, None)


def run_drill(
    scenario: Scenario, sandbox: SandboxHandle, clock: ManualClock, folder: Path
) -> DrillReport:
    from angelctl.broker.api import build_session
    from angelctl.config import ProfileSettings, sandbox_urls

    urls = sandbox_urls(sandbox.api_url)
    settings = ProfileSettings(
        name=PROFILE,
        client_code=sandbox.demo["client_code"],
        environment="sandbox",
        api_url=urls["api_url"],
        ws_url=urls["ws_url"],
        order_ws_url=urls["order_ws_url"],
        instruments_url=urls["instruments_url"],
    )
    store = MemoryStore({k: v for k, v in sandbox.demo.items() if k != "client_code"})
    session = build_session(settings, store=store, clock=clock, folder=folder / "state")
    index = _build_index(settings.instruments_url, folder / "instruments.sqlite3", clock)
    try:
        today = clock.now().astimezone(IST).date()
        contracts = _resolve(scenario, index, today)
        session.ensure()  # the login, before the kill's clock starts
        _seed(scenario, sandbox, contracts)
        _arm(scenario, sandbox)
        references = _references(sandbox, scenario, contracts)
        kill_report, started, scope = _kill(scenario, session, index, clock, folder, today)
        books = {
            "requests": _admin(sandbox, "GET", "requests"),
            "orders": _admin(sandbox, "GET", "orders")["orders"],
            "positions": _admin(sandbox, "GET", "positions")["positions"],
            "rules": _admin(sandbox, "GET", "gtt")["rules"],
        }
    finally:
        index.close()
        session.rest.close()
    return build_report(scenario, sandbox, kill_report, references, books, started, scope)


def _build_index(url: str, dest: Path, clock: ManualClock) -> InstrumentIndex:
    """The sandbox's master for the drill's day, as ``instruments sync`` builds it."""
    import requests

    from angelctl.instruments.build import BuildReport, build_index
    from angelctl.instruments.master import RowError, iter_master, normalise

    download = dest.with_name("master.json")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with requests.get(url, timeout=60, stream=True) as reply:
        reply.raise_for_status()
        with open(download, "wb") as sink:
            for chunk in reply.iter_content(1 << 16):
                sink.write(chunk)
    report = BuildReport()
    day = clock.now().astimezone(IST).date().isoformat()
    meta = {"source": url, "downloaded_at": clock.now().isoformat(), "trading_day": day}

    def rows(stream: Any) -> Any:
        for raw in iter_master(stream):
            try:
                yield normalise(raw)
            except RowError as exc:
                report.reject(str(exc), str(raw.get("symbol") or "?")[:40])

    with open(download, "rb") as stream:
        build_index(rows(stream), dest, meta, report)
    return InstrumentIndex(dest)


def _resolve(scenario: Scenario, index: InstrumentIndex, today: date) -> dict[str, Contract]:
    from angelctl.instruments.resolve import Resolver

    resolver = Resolver(index, today)
    found: dict[str, Contract] = {}
    for leg in (*scenario.positions, *scenario.orders, *scenario.rules):
        try:
            found[leg.where] = resolver.resolve(leg.symbol)
        except UsageError as exc:
            raise ScenarioError(
                f"{scenario.path}: {leg.where}.symbol: {exc.message}", hint=exc.hint
            ) from None
    return found


def _admin(sandbox: SandboxHandle, method: str, path: str, body: Any = None) -> Any:
    from angelctl.broker.sandbox_admin import admin_call

    return admin_call(sandbox.api_url, sandbox.admin_token, method, path, body, timeout=30)


def _entry(leg: Leg, contract: Contract) -> dict[str, Any]:
    entry: dict[str, Any] = {"exch_seg": contract.exchange, "token": contract.token}
    if leg.where.startswith("positions"):
        entry["netqty"] = leg.qty or leg.lots * max(contract.lot_size, 1)
    else:
        entry["side"] = leg.side
        entry["quantity"] = leg.qty or leg.lots * max(contract.lot_size, 1)
        if leg.trigger is not None:
            entry["triggerprice"] = str(leg.trigger)
    if leg.where.startswith("orders"):
        entry["ordertype"] = leg.order_type
        entry["tag"] = leg.tag or "scenario"
    if leg.product:
        entry["product"] = leg.product
    if leg.price is not None:
        entry["price"] = str(leg.price)
    return entry


def _seed(scenario: Scenario, sandbox: SandboxHandle, contracts: dict[str, Contract]) -> None:
    mine: dict[str, Any] = {"positions": [], "orders": [], "rules": []}
    theirs: list[dict[str, Any]] = []
    if scenario.funds is not None:
        mine["opening_cash"] = str(scenario.funds)
    for kind, legs in (
        ("positions", scenario.positions),
        ("orders", scenario.orders),
        ("rules", scenario.rules),
    ):
        for leg in legs:
            entry = _entry(leg, contracts[leg.where])
            (theirs if leg.client == "other" else mine[kind]).append(entry)
    try:
        _admin(sandbox, "POST", "seed", mine)
        if theirs:
            _admin(sandbox, "POST", "seed", {"client_code": sandbox.other_client, "orders": theirs})
    except RequestRejected as exc:
        raise ScenarioError(f"{scenario.path}: the sandbox refused the scenario: {exc}") from None


def _arm(scenario: Scenario, sandbox: SandboxHandle) -> None:
    for number, fault in enumerate(scenario.faults):
        try:
            _admin(sandbox, "POST", "faults", fault)
        except RequestRejected as exc:
            raise fault_problem(scenario, number, _sandbox_error(exc.message)) from None


def _sandbox_error(message: str) -> str:
    """The ``error`` of the sandbox's JSON refusal inside ``admin_call``'s message."""
    import json

    _, brace, rest = message.partition("{")
    try:
        return str(json.loads(brace + rest)["error"])
    except (ValueError, KeyError, TypeError):
        return message


def _references(
    sandbox: SandboxHandle, scenario: Scenario, contracts: dict[str, Contract]
) -> dict[tuple[str, str], Reference]:
    """Each position's market (LTP and tick) as the kill starts."""
    found: dict[tuple[str, str], Reference] = {}
    for leg in scenario.positions:
        contract = contracts[leg.where]
        view = _admin(sandbox, "GET", f"market?exch_seg={contract.exchange}&token={contract.token}")
        found[(contract.exchange, contract.token)] = Reference(
            ltp=str(view["quote"]["ltp"]), tick=str(view["tick_size"])
        )
    return found


def _kill(
    scenario: Scenario,
    session: Any,
    index: InstrumentIndex,
    clock: ManualClock,
    folder: Path,
    today: date,
) -> tuple[KillReport, float, Scope]:
    """The real procedure, with its journal, latch and locks in ``folder``."""
    from angelctl.orders.journal import Journal
    from angelctl.orders.scope import resolve_scope
    from angelctl.risk.killswitch import KillOptions, KillSwitch
    from angelctl.risk.killswitch.report import DEFAULT_REPRICE_AFTER
    from angelctl.risk.latch import latch_for

    scope = resolve_scope(scenario.segments, scenario.symbols, index, today)
    options = KillOptions(
        reason=f"drill: {scenario.name}",
        cancel_only=scenario.cancel_only,
        scope=scope,
        budget_seconds=scenario.budget,
        reprice_after=scenario.reprice_after or DEFAULT_REPRICE_AFTER,
        source="killswitch --drill",
    )
    journal = Journal(folder / "journal.sqlite3", clock)
    latch = latch_for(folder / "state", session.settings.client_code, PROFILE)
    try:
        kill = KillSwitch(
            session,
            journal,
            latch,
            contracts=index.by_token,
            lock_folder=folder / "locks",
            run_id=f"drill-{scenario.seed}",
        )
        started = clock.monotonic()
        return kill.run(options), started, scope
    finally:
        journal.close()
