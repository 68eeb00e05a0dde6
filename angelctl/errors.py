"""The exception tree, and the one place that maps an exception type to an exit status.

::

    AngelctlError                       exit_status, hint
    ├── UsageError                      bad input, refused locally (2)
    ├── Declined                        the operator answered no at a confirmation (18)
    ├── ConfigError                     config file / profile problems (3)
    ├── CredentialError                 keyring missing or a secret absent (5)
    │   └── NoSecureKeyring
    ├── LocalStateError                 a state file could not be read or written (19)
    ├── OrderingHalted                  an order-entry gate refused: nothing was sent (14)
    ├── NotLoggedIn                     no session and none can be made (4)
    └── BrokerError                     anything about talking to the broker
        ├── TransportError              no usable HTTP response
        │   ├── ConnectFailed           nothing was sent: always safe to retry (6)
        │   └── ResponseLost            sent, no answer (timeout, reset): outcome unknown (6)
        └── ApiError                    an HTTP response that is not a success
            ├── AuthError               AG8001/AG8002/AG8003, AB1010, AB8050/1 (4)
            │   ├── SessionExpired      refreshable: the jwt or the OMS session is gone
            │   ├── RefreshRejected     the refresh token is invalid or expired
            │   └── LoginRejected       wrong MPIN, bad TOTP (AB1050), web password (AB7001)
            ├── RateLimited             403 text body, 429, "Too many requests" (7)
            ├── IpNotRegistered         AG7002 static-IP rule (11)
            ├── RequestRejected         the broker refused the request as invalid (8)
            └── ServerError             5xx, AB1004/AB2000/AB2001, unparseable body (9)
                └── UnparseableResponse

Every message is one or two readable lines and never contains a secret; ``hint`` says what to do.
"""

from __future__ import annotations

from angelctl.status import ExitStatus

# The stable codes of JSON error documents (``error.code``): a script branches on these, never on
# a class name or a message. Each error class names its own (``error_code``); a subclass without
# one shares its parent's. Never rename one; docs/json.md lists them and a test keeps both equal.
ERROR_CODES = {
    "internal": "a bug: run again with --debug and report it",
    "interrupted": "Ctrl-C",
    "error": "an error of no more specific kind",
    "usage": "bad arguments or input, refused before any network call",
    "symbol_not_found": "no instrument matches the symbol",
    "ambiguous_symbol": "more than one instrument matches the symbol",
    "pre_trade_rejected": "a local pre-trade check refused the order: nothing was sent",
    "subscription_limit": "more tokens than one feed connection may subscribe",
    "declined": "the operator answered no at a confirmation: nothing was sent",
    "config": "the config file is unreadable or invalid, or the profile is unknown",
    "credentials": "a secret is missing from the credential store",
    "no_secure_keyring": "no secure keyring backend is available",
    "local_state": "a local state file (journal, latch, ledger) could not be read or written",
    "ordering_halted": "an order-entry gate refused: nothing was sent",
    "kill_switch_engaged": "the kill-switch latch is engaged: nothing was sent",
    "not_logged_in": "no session and none can be made",
    "instruments_unavailable": "no usable instrument index",
    "intent_in_progress": "another process is placing the same intent right now",
    "intent_mismatch": "an intent id reused with other parameters: nothing was sent",
    "outcome_unknown": "a write was sent and its outcome is not known: run `angelctl reconcile`",
    "not_placed": "the order was settled as not placed",
    "broker_error": "the broker failed",
    "transport": "no usable HTTP response",
    "connect_failed": "the request never reached the broker: safe to retry",
    "response_lost": "the request was sent and no answer came back: outcome unknown",
    "api_error": "the broker answered with an error",
    "auth": "the broker refused the session or login",
    "session_expired": "the session expired and could not be renewed",
    "refresh_rejected": "the broker refused the refresh token",
    "login_rejected": "the broker refused the login (MPIN, TOTP or password)",
    "rate_limited": "the broker refused the call for exceeding its rate limit",
    "ip_not_registered": "the broker refused the source IP (static-IP rule)",
    "request_rejected": "the broker refused the request as invalid",
    "server_error": "the broker failed (5xx, a generic failure, a WAF page)",
    "unparseable_response": "the broker's answer could not be read",
    "master_rejected": "the instrument master download was refused or unreadable",
}


class AngelctlError(Exception):
    """``error_code`` is the stable code of the JSON error document (one of ``ERROR_CODES``);
    ``code`` is the broker's error code when one is known (also on errors that are not a
    ``BrokerError``, such as an order settled after the broker's ambiguous answer); ``details``
    are structured facts for the JSON error document (no secrets)."""

    error_code = "error"
    exit_status: ExitStatus = ExitStatus.ERROR
    code: str = ""
    details: dict[str, object] | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AngelctlError):
    error_code = "usage"
    exit_status = ExitStatus.USAGE


class Declined(AngelctlError):
    """The operator declined a confirmation: nothing was sent (or latched, or cleared)."""

    error_code = "declined"
    exit_status = ExitStatus.DECLINED


class ConfigError(AngelctlError):
    error_code = "config"
    exit_status = ExitStatus.CONFIG


class CredentialError(AngelctlError):
    error_code = "credentials"
    exit_status = ExitStatus.CREDENTIALS


class NoSecureKeyring(CredentialError):
    error_code = "no_secure_keyring"


class LocalStateError(AngelctlError):
    """A local state file (journal, latch, ledger) could not be read or written (19)."""

    error_code = "local_state"
    exit_status = ExitStatus.LOCAL_STATE


class OrderingHalted(AngelctlError):
    """An order-entry gate (the kill-switch latch, ``risk.latch.KillSwitchEngaged``) refused a
    request before it left: nothing was sent. The order layer knows only this class."""

    error_code = "ordering_halted"
    exit_status = ExitStatus.KILL_SWITCH


class NotLoggedIn(AngelctlError):
    error_code = "not_logged_in"
    exit_status = ExitStatus.AUTH


class BrokerError(AngelctlError):
    """A failure talking to the broker. ``route`` is the route name, never a URL with data.

    ``definite`` is True when the failure proves the broker never acted on the request (nothing
    was sent, or the broker refused it before its order system saw it); only then may a write
    be settled as not placed, or sent again (``broker.classify``). ``envelope`` says whether the
    broker answered with a SmartAPI JSON envelope; ``family`` names the message family.
    """

    error_code = "broker_error"
    exit_status = ExitStatus.BROKER_ERROR
    default_definite = False

    def __init__(
        self,
        message: str,
        *,
        route: str = "",
        http_status: int | None = None,
        code: str = "",
        hint: str | None = None,
        definite: bool | None = None,
        envelope: bool = False,
        family: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.route = route
        self.http_status = http_status
        self.code = code
        self.definite = self.default_definite if definite is None else definite
        self.envelope = envelope
        self.family = family

    def __str__(self) -> str:
        where = f" [{self.route}]" if self.route else ""
        code = f" ({self.code})" if self.code else ""
        return f"{self.message}{code}{where}"


class TransportError(BrokerError):
    error_code = "transport"
    exit_status = ExitStatus.NETWORK


class ConnectFailed(TransportError):
    """The request never reached the server: nothing can have been acted on."""

    error_code = "connect_failed"
    default_definite = True


class ResponseLost(TransportError):
    """The request was (or may have been) sent but no complete answer came back."""

    error_code = "response_lost"


class ApiError(BrokerError):
    error_code = "api_error"


class AuthError(ApiError):
    error_code = "auth"
    exit_status = ExitStatus.AUTH
    default_definite = True


class SessionExpired(AuthError):
    error_code = "session_expired"


class RefreshRejected(AuthError):
    error_code = "refresh_rejected"


class LoginRejected(AuthError):
    error_code = "login_rejected"


class RateLimited(ApiError):
    error_code = "rate_limited"
    exit_status = ExitStatus.RATE_LIMITED
    default_definite = True


class IpNotRegistered(ApiError):
    error_code = "ip_not_registered"
    exit_status = ExitStatus.IP_NOT_REGISTERED
    default_definite = True


class RequestRejected(ApiError):
    error_code = "request_rejected"
    exit_status = ExitStatus.REJECTED
    default_definite = True


class ServerError(ApiError):
    error_code = "server_error"
    exit_status = ExitStatus.BROKER_ERROR


class UnparseableResponse(ServerError):
    error_code = "unparseable_response"
