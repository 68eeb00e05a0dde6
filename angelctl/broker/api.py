"""``SmartApi``: the typed facade a cron script uses without the CLI.

from angelctl.broker.api import open_api
with open_api("main") as api:
    print(api.profile().name, api.funds().available_cash)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from angelctl.broker.client import RestClient
from angelctl.broker.ratelimit import RateLimiter
from angelctl.broker.routes import DEFAULT_LIMITS
from angelctl.broker.sandbox_admin import token_folder as sandbox_token_folder
from angelctl.broker.session import BrokerSession
from angelctl.clock import Clock, SystemClock
from angelctl.config import ProfileSettings, load_config_file, resolve_profile, state_dir
from angelctl.errors import ConfigError, CredentialError
from angelctl.secrets import (
    Credentials,
    CredentialStore,
    KeyringStore,
    PlaintextStore,
    SandboxDemoStore,
    Secret,
    load_credentials,
)
from angelctl.tokens import SessionStore, TotpLedger

if TYPE_CHECKING:
    from angelctl.broker.models import Funds, Profile


class SmartApi:
    def __init__(self, session: BrokerSession) -> None:
        self.session = session
        self.settings = session.settings

    def profile(self) -> Profile:
        from angelctl.broker.models import Profile

        return Profile.from_wire(self.session.call("getProfile"))

    def funds(self) -> Funds:
        from angelctl.broker.models import Funds

        return Funds.from_wire(self.session.call("getRMS"))

    def call(self, route: str, body: dict[str, Any] | None = None) -> Any:
        return self.session.call(route, body)

    def close(self) -> None:
        self.session.rest.close()


def fetch_sandbox_demo(
    api_url: str, token: Secret | None, *, timeout: float = 5.0, hint: str | None = None
) -> dict[str, str]:
    """The sandbox's demo account from its admin route, with the sandbox's admin token."""
    from angelctl.broker.sandbox_admin import TOKEN_HINT, admin_call
    from angelctl.errors import RequestRejected

    try:
        data = admin_call(
            api_url, token, "GET", "demo-account", timeout=timeout, hint=hint or TOKEN_HINT
        )
        return {k: str(data[k]) for k in ("client_code", "api_key", "mpin", "totp_secret")}
    except (RequestRejected, TypeError, KeyError):
        raise CredentialError(
            f"{api_url} does not look like an angelctl sandbox (no demo account route)"
        ) from None


def credential_store_for(
    settings: ProfileSettings, *, allow_plaintext: bool = False
) -> CredentialStore:
    kind = "plaintext" if allow_plaintext else settings.credential_store
    if kind == "sandbox-demo":
        if not settings.is_sandbox:
            raise ConfigError(
                f"profile {settings.name}: credential_store 'sandbox-demo' needs "
                "environment = 'sandbox'"
            )
        return SandboxDemoStore(
            lambda token: fetch_sandbox_demo(settings.api_url, token), sandbox_token_folder()
        )
    if kind == "plaintext":
        return PlaintextStore(state_dir() / "credentials.json")
    return KeyringStore()


def build_session(
    settings: ProfileSettings,
    *,
    store: CredentialStore | None = None,
    clock: Clock | None = None,
    allow_plaintext: bool = False,
    folder: Path | None = None,
) -> BrokerSession:
    """Wire a session for ``settings``; ``folder`` overrides the state folder (demo, tests)."""
    clock = clock or SystemClock()
    folder = folder or state_dir()
    holder: dict[str, CredentialStore] = {}

    def get_store() -> CredentialStore:
        if "store" not in holder:
            holder["store"] = store or credential_store_for(
                settings, allow_plaintext=allow_plaintext
            )
        return holder["store"]

    creds: dict[str, Credentials] = {}

    def credentials() -> Credentials:
        if "c" not in creds:
            creds["c"] = load_credentials(get_store(), settings.name)
        return creds["c"]

    sessions: list[BrokerSession] = []

    def api_key() -> Secret:
        return sessions[0].api_key()

    limits = {**DEFAULT_LIMITS, **settings.rate_limits}
    limiter = RateLimiter(folder / "ratelimit.sqlite3", limits, clock)
    rest = RestClient(settings, api_key, clock, limiter)
    session = BrokerSession(
        settings,
        rest,
        credentials,
        SessionStore(folder / "sessions"),
        TotpLedger(folder / "totp", clock),
        clock,
    )
    sessions.append(session)
    return session


@contextmanager
def open_api(profile: str | None = None, **kwargs: Any) -> Iterator[SmartApi]:
    from angelctl.config import selected_profile_name

    cfg = load_config_file()
    settings = resolve_profile(cfg, selected_profile_name(profile, cfg))
    api = SmartApi(build_session(settings, **kwargs))
    try:
        yield api
    finally:
        api.close()
