"""Exit statuses: the one table every command uses, documented in README.md.

Scripts depend on these numbers; never renumber one. A test checks that each member is
documented in the README's exit-code table.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # unexpected internal error (a bug): run again with --debug and report it
    USAGE = 2  # bad arguments or input, rejected locally before any network call
    CONFIG = 3  # config file unreadable or invalid, unknown profile
    AUTH = 4  # login refused, session expired and could not be renewed, not logged in
    CREDENTIALS = 5  # no secure keyring backend, or a secret is missing from the store
    NETWORK = 6  # could not connect, or the broker did not answer in time
    RATE_LIMITED = 7  # the broker refused the call for exceeding its rate limit
    REJECTED = 8  # the broker refused the request as invalid (input, permissions, state)
    BROKER_ERROR = 9  # the broker failed: 5xx, "something went wrong", WAF page, garbage body
    OUTCOME_UNKNOWN = 10  # a write was sent and its outcome is not known: run `reconcile`
    IP_NOT_REGISTERED = 11  # the broker refused the source IP (static-IP rule, AG7002)
    RECOVERED = 12  # the order was placed; its answer was lost and reconciling found it
    IN_PROGRESS = 13  # another process is placing the same intent id right now
    KILL_SWITCH = 14  # refused: the kill-switch latch is engaged (`angelctl killswitch reset`)
    NOT_FLAT = 15  # the kill switch ran but could not verify flat: residual exposure reported
    LATE_LANDING = 16  # an order the journal had settled as not placed appeared: adopted
    INTENT_MISMATCH = 17  # an intent id reused with other parameters: refused, nothing sent
    DECLINED = 18  # the operator declined the confirmation: nothing was sent
    LOCAL_STATE = 19  # a local state file (journal, latch, ledger) could not be read or written
    INTERRUPTED = 130  # Ctrl-C
