"""What became of an intent, as errors and exit statuses a person and a script can act on.

The classes map to the README's exit codes: ``OutcomeUnknown`` 10 (the order may still land:
never place it again; ``reconcile`` after the settle time), ``NotPlaced`` (proven not placed:
6, 7, 4 or 9 by why), ``IntentMismatch`` 17 (an intent id reused for other parameters),
``IntentInProgress`` (another process holds the intent). Each error carries the broker's code
and message and a ``details`` document for ``--json``. Nothing here talks to the broker.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from angelctl.clock import IST
from angelctl.errors import AngelctlError
from angelctl.orders.journal import Intent, Journal
from angelctl.records import record
from angelctl.status import ExitStatus

SETTLE_AFTER_SECONDS = 60.0  # > the broker's gateway timeout (30 s): docs/protocol.md


class IntentInProgress(AngelctlError):
    error_code = "intent_in_progress"
    exit_status = ExitStatus.IN_PROGRESS


class OutcomeUnknown(AngelctlError):
    error_code = "outcome_unknown"
    exit_status = ExitStatus.OUTCOME_UNKNOWN


class IntentMismatch(AngelctlError):
    error_code = "intent_mismatch"
    exit_status = ExitStatus.INTENT_MISMATCH


class NotPlaced(AngelctlError):
    """Proven not placed: the broker's refusal or a settled absence. ``exit_status`` depends
    on why (the README's table): 6 no answer, 7 rate limit, 4 session, 9 broker error."""

    error_code = "not_placed"

    def __init__(self, message: str, *, exit_status: ExitStatus, hint: str | None) -> None:
        super().__init__(message, hint=hint)
        self.exit_status = exit_status


@record(frozen=False)
class Placement:
    intent: Intent
    order_id: str
    recovered: bool = False
    reused: bool = False  # the intent id had been placed before (an idempotent re-run)

    @property
    def late(self) -> bool:
        return self.intent.late

    @property
    def exit_status(self) -> ExitStatus:
        if self.late:
            return ExitStatus.LATE_LANDING
        return ExitStatus.RECOVERED if self.recovered else ExitStatus.OK


def fingerprint_differences(earlier: dict[str, str], now: dict[str, str]) -> list[str]:
    """The fields whose values differ, as ``field earlier → now``."""
    return [
        f"{key} {earlier.get(key) or '-'} → {now.get(key) or '-'}"
        for key in sorted(set(earlier) | set(now))
        if earlier.get(key, "") != now.get(key, "")
    ]


def check_fingerprint(journal: Journal, intent_id: str, fingerprint: dict[str, str]) -> None:
    """Refuse an intent id already journalled with other parameters (before any network call).
    A sliced order's children carry the parent's fingerprint under ``ID.1``, ``ID.2``…"""
    for candidate in (intent_id, f"{intent_id}.1"):
        earlier = journal.get(candidate)
        if earlier is not None and earlier.fingerprint and earlier.fingerprint != fingerprint:
            raise IntentMismatch(
                f"intent {intent_id} was used for a different order: "
                + ", ".join(fingerprint_differences(earlier.fingerprint, fingerprint)),
                hint="use a new --intent-id for a new order (nothing was sent)",
            )


def _ist(moment: datetime) -> str:
    return moment.astimezone(IST).strftime("%H:%M:%S IST")


def settle_time(intent: Intent, settle_after: float) -> datetime | None:
    """The wall time from which an order-book read can prove the intent absent."""
    if not intent.sent_at:
        return None
    return datetime.fromisoformat(intent.sent_at) + timedelta(seconds=settle_after + 1)


def _broker_said(intent: Intent) -> str:
    if intent.cause == "broker_error" or (intent.cause == "bad_body" and intent.error_text):
        code = f"{intent.error_code}: " if intent.error_code else ""
        return f"the broker answered ({code}{intent.error_text})"
    if intent.cause == "no_answer":
        return f"the broker did not answer ({intent.error_text})"
    if intent.cause == "local":
        return f"a local failure interrupted it ({intent.error_text})"
    if intent.cause == "crash":
        return "the sending process stopped before the answer"
    return "its answer was lost"


def _intent_details(intent: Intent, **more: object) -> dict[str, object]:
    return {
        "intent_id": intent.intent_id,
        "tag": intent.tag,
        "state": intent.state,
        "broker_code": intent.error_code,
        "broker_message": intent.error_text,
        **more,
    }


def outcome_unknown_error(intent: Intent, settle_after: float) -> OutcomeUnknown:
    when = settle_time(intent, settle_after)
    after = f"`angelctl reconcile` after {_ist(when)}" if when else "`angelctl reconcile`"
    error = OutcomeUnknown(
        f"intent {intent.intent_id} (tag {intent.tag}): {_broker_said(intent)}; the order may "
        f"still land: do not place it again; {after}",
        hint="a rerun with the same --intent-id waits for the answer and never sends twice",
    )
    error.code = intent.error_code
    error.details = _intent_details(
        intent, placed="unknown", reconcile_after=when.isoformat() if when else None
    )
    return error


def not_placed_error(intent: Intent, settle_after: float) -> NotPlaced:
    error = _not_placed_error(intent, settle_after)
    error.code = intent.error_code
    error.details = _intent_details(intent, placed=False, settle_after=settle_after)
    return error


def _not_placed_error(intent: Intent, settle_after: float) -> NotPlaced:
    said = _broker_said(intent)
    if intent.outcome == "refused by the gateway":
        status = ExitStatus.RATE_LIMITED if "rate" in intent.error_text.lower() else None
        return NotPlaced(
            f"intent {intent.intent_id}: the broker refused it before its order system saw it"
            f" ({intent.error_code + ': ' if intent.error_code else ''}{intent.error_text}):"
            " nothing was placed",
            exit_status=status or ExitStatus.AUTH,
            hint="safe to place again with the same --intent-id",
        )
    if intent.outcome == "never sent":
        return NotPlaced(
            f"intent {intent.intent_id} was journalled but never sent: nothing was placed",
            exit_status=ExitStatus.NETWORK,
            hint="safe to place again with the same --intent-id",
        )
    status = ExitStatus.BROKER_ERROR if intent.cause in ("broker_error", "bad_body") else None
    return NotPlaced(
        f"intent {intent.intent_id}: {said}; no order with tag {intent.tag} exists "
        f"{settle_after:g} s after it was sent: nothing was placed",
        exit_status=status or ExitStatus.NETWORK,
        hint="safe to place again with the same --intent-id",
    )
