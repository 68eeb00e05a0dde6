"""Diagnostics behind ``angelctl doctor``: each check is a small function returning a Check.

``offline=True`` makes no network connection at all
(docs/scenarios.md#e5--starting-with-no-network): the checks that need the broker are reported as
skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from angelctl.clock import IST
from angelctl.status import ExitStatus

SKEW_WARN_SECONDS = 5.0


@dataclass
class Report:
    checks: list[dict[str, Any]] = field(default_factory=list)
    exit_status: ExitStatus = ExitStatus.OK
    profile: str = ""

    def add(
        self,
        name: str,
        status: str,
        detail: str,
        failure: ExitStatus = ExitStatus.ERROR,
        **extra: Any,
    ) -> None:
        self.checks.append({"name": name, "status": status, "detail": detail, **extra})
        if status == "fail" and self.exit_status == ExitStatus.OK:
            self.exit_status = failure

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.exit_status == ExitStatus.OK,
            "profile": self.profile,
            "exit_status": int(self.exit_status),
            "checks": self.checks,
        }


def run_checks(cli_profile: str | None, *, offline: bool) -> Report:
    from angelctl.config import load_config_file, resolve_profile, selected_profile_name
    from angelctl.errors import ConfigError

    report = Report()
    try:
        cfg = load_config_file()
        name = selected_profile_name(cli_profile, cfg)
        report.profile = name
        settings = resolve_profile(cfg, name)
    except ConfigError as exc:
        report.add("config", "fail", exc.message, ExitStatus.CONFIG, hint=exc.hint)
        return report
    report.add("config", "ok", f"{cfg.path} (profile {name}, {settings.environment})")
    tokens = _session_check(report, settings)
    _credential_check(report, settings, has_session=tokens is not None)
    _static_ip_check(report, settings)
    if offline:
        report.add("reachability", "skip", "--offline: no connection attempted")
        report.add("clock skew", "skip", "--offline")
        return report
    _network_checks(report, settings, tokens)
    return report


def _session_check(report: Report, settings: Any) -> Any:
    from angelctl.config import state_dir
    from angelctl.tokens import SessionStore

    tokens = SessionStore(state_dir() / "sessions").load(
        settings.name, api_url=settings.api_url, client_code=settings.client_code
    )
    now = datetime.now(UTC)
    if tokens is None:
        report.add("session", "warn", "no cached session: run `angelctl login`")
        return None
    if not tokens.valid_at(now):
        report.add("session", "warn", "the cached session has expired: run `angelctl login`")
        return None
    left = tokens.expires_at - now
    until = tokens.expires_at.astimezone(IST).strftime("%Y-%m-%d %H:%M IST")
    report.add(
        "session",
        "ok",
        f"valid until {until} ({int(left.total_seconds() // 60)} min left)",
        expires_at=tokens.expires_at.isoformat(),
    )
    return tokens


def _credential_check(report: Report, settings: Any, *, has_session: bool) -> None:
    from angelctl.secrets import keyring_backend_problem

    if settings.credential_store == "sandbox-demo":
        _sandbox_token_check(report, settings)
        return
    if settings.credential_store == "plaintext":
        report.add("credentials", "warn", "plaintext 0600 file store (explicit opt-in)")
        return
    problem = keyring_backend_problem()
    if problem is None:
        bus = "via DBUS_SESSION_BUS_ADDRESS" if os.environ.get("DBUS_SESSION_BUS_ADDRESS") else ""
        report.add("credentials", "ok", f"OS keyring {bus}".strip(), path="keyring")
    elif has_session:
        report.add(
            "credentials",
            "warn",
            f"{problem}; this process (cron?) can use the cached session until it "
            "expires, but cannot log in again",
            path="session-cache",
        )
    else:
        from angelctl.status import ExitStatus

        report.add(
            "credentials",
            "fail",
            f"{problem}; see README 'Cron' for the safe options",
            ExitStatus.CREDENTIALS,
            path="none",
        )


def _sandbox_token_check(report: Report, settings: Any) -> None:
    from angelctl.broker.sandbox_admin import token_folder
    from angelctl.secrets import SANDBOX_ADMIN_TOKEN, SandboxDemoStore

    store = SandboxDemoStore(lambda _: {}, token_folder())
    if store.get(settings.name, SANDBOX_ADMIN_TOKEN) is not None:
        report.add("credentials", "ok", "sandbox demo account (fetched with the kept admin token)")
    else:
        report.add(
            "credentials",
            "warn",
            "no sandbox admin token kept: the demo account cannot be fetched again; run "
            "`angelctl login --sandbox`",
        )


def _static_ip_check(report: Report, settings: Any) -> None:
    if settings.is_sandbox:
        report.add("static IP", "skip", "sandbox profile")
    elif settings.public_ip:
        report.add("static IP", "ok", f"public_ip {settings.public_ip} is sent with each request")
    else:
        report.add(
            "static IP",
            "warn",
            "public_ip is not set; orders need the registered static "
            f"IP (`angelctl config set profiles.{settings.name}.public_ip IP`)",
        )


def _network_checks(report: Report, settings: Any, tokens: Any) -> None:
    import time
    from email.utils import parsedate_to_datetime

    import requests

    url = settings.api_url.rstrip("/") + "/"
    session = requests.Session()
    session.trust_env = False
    started = time.monotonic()
    try:
        reply = session.get(
            url, timeout=(settings.connect_timeout, settings.read_timeout), allow_redirects=False
        )
    except requests.RequestException as exc:
        report.add(
            "reachability", "fail", f"{settings.api_url}: {type(exc).__name__}", ExitStatus.NETWORK
        )
        report.add("clock skew", "skip", "server not reachable")
        return
    rtt = time.monotonic() - started
    local = datetime.now(UTC)
    report.add(
        "reachability",
        "ok",
        f"{settings.api_url} answered HTTP {reply.status_code} in {rtt * 1000:.0f} ms",
    )
    date = reply.headers.get("Date")
    if date:
        server = parsedate_to_datetime(date)
        skew = (local - server).total_seconds() - rtt / 2
        status = "warn" if abs(skew) > SKEW_WARN_SECONDS else "ok"
        report.add(
            "clock skew",
            status,
            f"{skew:+.1f} s against the server's Date header"
            + (" — TOTP logins may fail (AB1050)" if status == "warn" else ""),
            seconds=round(skew, 2),
        )
    else:
        report.add("clock skew", "skip", "the server sent no Date header")
    if tokens is not None:
        _remote_session_check(report, settings)


def _remote_session_check(report: Report, settings: Any) -> None:
    from angelctl.broker.api import build_session
    from angelctl.errors import AngelctlError

    session = build_session(settings)
    try:
        session.rest.call("getProfile", jwt=session.ensure().jwt)
        report.add("session at broker", "ok", "getProfile accepted the cached session")
    except AngelctlError as exc:
        report.add("session at broker", "fail", str(exc), exc.exit_status)
    finally:
        session.rest.close()
