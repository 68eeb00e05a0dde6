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


class AngelctlError(Exception):
    """``code`` is the broker's error code when one is known (also on errors that are not a
    ``BrokerError``, such as an order settled after the broker's ambiguous answer); ``details``
    are structured facts for the JSON error document (no secrets)."""

    exit_status: ExitStatus = ExitStatus.ERROR
    code: str = ""
    details: dict[str, object] | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AngelctlError):
    exit_status = ExitStatus.USAGE


class Declined(AngelctlError):
    """The operator declined a confirmation: nothing was sent (or latched, or cleared)."""

    exit_status = ExitStatus.DECLINED


class ConfigError(AngelctlError):
    exit_status = ExitStatus.CONFIG


class CredentialError(AngelctlError):
    exit_status = ExitStatus.CREDENTIALS


class NoSecureKeyring(CredentialError):
    pass


class LocalStateError(AngelctlError):
    """A local state file (journal, latch, ledger) could not be read or written (19)."""

    exit_status = ExitStatus.LOCAL_STATE


class OrderingHalted(AngelctlError):
    """An order-entry gate (the kill-switch latch, ``risk.latch.KillSwitchEngaged``) refused a
    request before it left: nothing was sent. The order layer knows only this class."""

    exit_status = ExitStatus.KILL_SWITCH


class NotLoggedIn(AngelctlError):
    exit_status = ExitStatus.AUTH


class BrokerError(AngelctlError):
    """A failure talking to the broker. ``route`` is the route name, never a URL with data.

    ``definite`` is True when the failure proves the broker never acted on the request (nothing
    was sent, or the broker refused it before its order system saw it); only then may a write
    be settled as not placed, or sent again (``broker.classify``). ``envelope`` says whether the
    broker answered with a SmartAPI JSON envelope; ``family`` names the message family.
    """

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
    exit_status = ExitStatus.NETWORK


class ConnectFailed(TransportError):
    """The request never reached the server: nothing can have been acted on."""

    default_definite = True


class ResponseLost(TransportError):
    """The request was (or may have been) sent but no complete answer came back."""


class ApiError(BrokerError):
    pass


class AuthError(ApiError):
    exit_status = ExitStatus.AUTH
    default_definite = True


class SessionExpired(AuthError):
    pass


class RefreshRejected(AuthError):
    pass


class LoginRejected(AuthError):
    pass


class RateLimited(ApiError):
    exit_status = ExitStatus.RATE_LIMITED
    default_definite = True


class IpNotRegistered(ApiError):
    exit_status = ExitStatus.IP_NOT_REGISTERED
    default_definite = True


class RequestRejected(ApiError):
    exit_status = ExitStatus.REJECTED
    default_definite = True


class ServerError(ApiError):
    exit_status = ExitStatus.BROKER_ERROR


class UnparseableResponse(ServerError):
    pass
