"""The kill switch: latch, cancel everything that can create exposure, flatten, verify.

``KillSwitch(session, journal, latch, ...).run(options)`` is the procedure behind
``angelctl killswitch``; a cron script can call it the same way. Steps, each journalled in
``risk_events``:

1. **Latch** (``risk.latch``) — written and fsynced before any network call. From then on no
   angelctl process sends an exposure-adding request; this procedure's own exits bypass the
   gate because they only reduce exposure.
2. **Cancel** every working order in scope (open, open pending, trigger pending, modify
   pending, AMO received, …) except this procedure's own exits, and every active GTT rule;
   the order book is re-read until no such order is left, so orders that appear while the
   kill runs are cancelled too. A cancel refused because the order just became terminal is
   not an error: the next book read decides.
3. **Flatten** (unless ``cancel_only``) from a *fresh* positions read, net of exits already
   working: ``needed = -net_qty - Σ unfilled quantity of working KS-tagged exits``. A re-run,
   a crash-and-restart (open KS intents are reconciled first; an unsettled one counts as
   working) or a second concurrent kill (serialised by a per-profile run lock) therefore never
   exits twice and never flips a position's sign. Exits are protected LIMIT orders priced inside
   the circuit band on the tick, split at the freeze limit, journalled like every order (tag
   prefix ``KS``) and re-priced by ``reprice_step_percent`` after ``reprice_after`` seconds.
4. **Verify** — success only when a fresh positions read shows every in-scope position flat and
   a fresh order-book read shows no working in-scope order. Otherwise, or when the time budget
   runs out (reads failing, exits not filling), the report carries the residual exposure and
   the last known state; the latch stays engaged either way.

Pacing comes from the shared cross-process rate limiter every broker call goes through
(order routes 9/s cumulative, below the 10 orders/s per-segment ceiling). Time comes from the
session's clock (monotonic for the budget, so a wall-clock step changes nothing).
"""

from angelctl.risk.killswitch.procedure import KillSwitch
from angelctl.risk.killswitch.report import (
    EXIT_INTENT_PREFIX,
    EXIT_TAG_PREFIX,
    ExitRecord,
    KillOptions,
    KillReport,
    StopFlag,
    exit_price,
)

__all__ = [
    "EXIT_INTENT_PREFIX",
    "EXIT_TAG_PREFIX",
    "ExitRecord",
    "KillOptions",
    "KillReport",
    "KillSwitch",
    "StopFlag",
    "exit_price",
]
