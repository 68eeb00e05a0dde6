"""``angelctl login``: set up a profile (first time) and log in with MPIN + TOTP, or to the
sandbox's demo account; and the secrets it reads (a terminal's prompts or ``--stdin``).

Invariant: nothing is written (config, secrets, session) until the broker has accepted the
login; ``cli.login_state.commit`` then writes all three, or restores what was there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import app_ctx, done, open_session, output, stdin_is_tty
from angelctl.cli.environment import environment

if TYPE_CHECKING:
    from angelctl.cli.login_state import HeldSessions, StagedSecrets
    from angelctl.config import ConfigFile, ProfileSettings
    from angelctl.render.output import Output
    from angelctl.secrets import Secret
    from angelctl.tokens import SessionTokens

SECRET_PROMPTS = {
    "api_key": "SmartAPI API key",
    "mpin": "MPIN (4 digits)",
    "totp_secret": "TOTP seed (base32, from the QR code)",
}


SandboxOpt = Annotated[
    bool, typer.Option("--sandbox", help="Log in to the local sandbox's demo account.")
]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", help="API root (sandbox default http://127.0.0.1:8765).", show_default=False
    ),
]
ClientCodeOpt = Annotated[
    str | None, typer.Option("--client-code", help="Angel client code.", show_default=False)
]
StdinOpt = Annotated[
    bool,
    typer.Option(
        "--stdin",
        help="Read secrets as key=value lines (api_key, mpin, totp_secret) from standard input.",
    ),
]
AdminTokenStdinOpt = Annotated[
    bool,
    typer.Option(
        "--admin-token-stdin",
        help="With --sandbox: read the sandbox's admin token from standard input (default: "
        "the token `sandbox serve` left for this user).",
    ),
]
ResetSecretsOpt = Annotated[bool, typer.Option("--reset-secrets", help="Enter the secrets again.")]
PlaintextOpt = Annotated[
    bool,
    typer.Option(
        "--allow-plaintext-store",
        help="Keep secrets in a 0600 file when no keyring exists (opt-in).",
    ),
]


@dataclass(frozen=True)
class LoginOptions:
    """``angelctl login``'s arguments as given."""

    sandbox: bool
    url: str | None
    client_code: str | None
    from_stdin: bool
    admin_token_stdin: bool
    reset_secrets: bool
    allow_plaintext_store: bool


def login(
    ctx: typer.Context,
    sandbox: SandboxOpt = False,
    url: UrlOpt = None,
    client_code: ClientCodeOpt = None,
    from_stdin: StdinOpt = False,
    admin_token_stdin: AdminTokenStdinOpt = False,
    reset_secrets: ResetSecretsOpt = False,
    allow_plaintext_store: PlaintextOpt = False,
) -> None:
    """Set up a profile (first time) and log in with MPIN + TOTP (loginByPassword).

    Nothing is written (config, secrets, session) until the broker has accepted the login."""
    options = LoginOptions(
        sandbox=sandbox, url=url, client_code=client_code, from_stdin=from_stdin,
        admin_token_stdin=admin_token_stdin, reset_secrets=reset_secrets,
        allow_plaintext_store=allow_plaintext_store,
    )  # fmt: skip
    _login(ctx, output(ctx), options)


def _login(ctx: typer.Context, out: Output, opts: LoginOptions) -> None:
    """Stage the profile's values and secrets, log in, then commit all of it at once."""
    from angelctl.cli.login_state import commit, staged_config
    from angelctl.config import load_config_file, resolve_profile, selected_profile_name

    actx = app_ctx(ctx)
    if opts.admin_token_stdin and not opts.sandbox:
        from angelctl.errors import UsageError

        raise UsageError("--admin-token-stdin goes with --sandbox")
    cfg = load_config_file()
    name = selected_profile_name(actx.profile or ("sandbox" if opts.sandbox else None), cfg)
    existing: dict[str, Any] = cfg.profiles.get(name, {})
    secrets = None
    if opts.sandbox:
        values, secrets = _sandbox_login(opts.url, existing, name, opts.admin_token_stdin)
    else:
        values = _live_values(
            opts.url, opts.client_code, existing, opts.from_stdin, opts.allow_plaintext_store
        )
    changed = {k: v for k, v in values.items() if existing.get(k) != v}
    settings = resolve_profile(staged_config(cfg, name, changed), name)
    if settings.credential_store != "sandbox-demo":
        secrets = _staged_secrets(
            settings,
            reset=opts.reset_secrets,
            from_stdin=opts.from_stdin,
            allow_plaintext=opts.allow_plaintext_store,
            out=out,
        )
    tokens, events, sessions = _log_in(settings, secrets)
    commit(
        cfg.path,
        lambda: _write_profile(cfg, name, changed),
        secrets if secrets is not None and secrets.new else None,
        sessions,
    )
    _report_login(out, settings, tokens, events)


def _report_login(
    out: Output, settings: ProfileSettings, tokens: SessionTokens, events: list[str]
) -> None:
    result = {
        "ok": True,
        "profile": settings.name,
        "client_code": settings.client_code,
        "environment": settings.environment,
        "api_url": settings.api_url,
        "credential_store": settings.credential_store,
        "session_expires_at": tokens.expires_at,
        "events": events,
    }
    if out.json_mode:
        out.json(result)
        return
    from angelctl.clock import IST

    expiry = tokens.expires_at.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S IST")
    done(
        out,
        f"Logged in: profile {settings.name}, client {settings.client_code} "
        f"({settings.environment}); session valid until {expiry}.",
    )


def _sandbox_login(
    url: str | None, existing: dict[str, Any], profile: str, token_from_stdin: bool
) -> tuple[dict[str, Any], StagedSecrets]:
    """The profile values of a sandbox login (the demo account's client code), and its store:
    the demo account as just fetched, with the sandbox's admin token staged to be kept.

    The token: from standard input when asked, else the one `sandbox serve` left for this user
    (by port), else the one the profile keeps (same URL only)."""
    import os

    from angelctl.broker.api import fetch_sandbox_demo
    from angelctl.broker.sandbox_admin import served_token, token_folder
    from angelctl.cli.login_state import StagedSecrets
    from angelctl.config import SANDBOX_DEFAULT_API_URL
    from angelctl.secrets import SANDBOX_ADMIN_TOKEN, SandboxDemoStore

    root = (
        url
        or os.environ.get("ANGELCTL_API_URL")
        or existing.get("api_url")
        or SANDBOX_DEFAULT_API_URL
    ).rstrip("/")
    store = SandboxDemoStore(lambda _: demo, token_folder())
    token = _read_stdin_token() if token_from_stdin else served_token(root)
    if token is None and existing.get("api_url") == root:
        token = store.get(profile, SANDBOX_ADMIN_TOKEN)  # the one this profile keeps
    demo = fetch_sandbox_demo(root, token, hint=_TOKEN_HINT)
    values = {
        "environment": "sandbox",
        "api_url": root,
        "credential_store": "sandbox-demo",
        "client_code": demo["client_code"],
    }
    return values, StagedSecrets(store, profile, {SANDBOX_ADMIN_TOKEN: token} if token else {})


_TOKEN_HINT = (
    "start the sandbox with `angelctl sandbox serve` as this user (it leaves its token for "
    "`login --sandbox`), or pipe the token it prints to `angelctl login --sandbox "
    "--admin-token-stdin`"
)


def _read_stdin_token() -> Secret:
    from angelctl.errors import UsageError
    from angelctl.secrets import Secret

    try:
        words = environment().stdin.read().split()
    except UnicodeDecodeError:
        raise UsageError("standard input is not text in the locale's encoding") from None
    if len(words) != 1 or not (words[0].isascii() and words[0].isprintable()):
        raise UsageError(
            "expected the sandbox's admin token (one word of ASCII) on standard input",
            hint="`angelctl sandbox serve` prints it (`admin_token` in its --json ready line)",
        )
    return Secret(words[0])


def _live_values(
    url: str | None,
    client_code: str | None,
    existing: dict[str, Any],
    from_stdin: bool,
    allow_plaintext: bool,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if url:
        values["api_url"] = url
    values["client_code"] = (
        client_code or existing.get("client_code") or _ask_client_code(from_stdin)
    )
    if allow_plaintext:
        values["credential_store"] = "plaintext"
    return values


def _log_in(
    settings: ProfileSettings, secrets: StagedSecrets | None
) -> tuple[SessionTokens, list[str], HeldSessions]:
    """loginByPassword with the staged secrets; the session is held, not cached yet."""
    from angelctl.cli.login_state import HeldSessions

    session = open_session(settings, store=secrets)
    sessions = HeldSessions(session.store)
    session.store = sessions
    try:
        tokens = session.login()
    finally:
        session.rest.close()
    return tokens, session.events, sessions


def _write_profile(cfg: ConfigFile, name: str, changed: dict[str, Any]) -> None:
    from angelctl.config_edit import set_config_key, write_profile_values

    if changed or name not in cfg.profiles:
        write_profile_values(cfg.path, name, changed)
        if cfg.default_profile is None:
            set_config_key(cfg.path, "default_profile", name)


def _ask_client_code(from_stdin: bool) -> str:
    from angelctl.errors import UsageError

    if from_stdin or not stdin_is_tty():
        raise UsageError(
            "no client code for this profile",
            hint="pass --client-code CODE (it is not a secret)",
        )
    value: str = typer.prompt("Angel client code")
    return value.strip().upper()


def _staged_secrets(
    settings: ProfileSettings, *, reset: bool, from_stdin: bool, allow_plaintext: bool, out: Output
) -> StagedSecrets:
    """The profile's credential store with the secrets it lacks (or all, with ``reset``) read,
    validated and staged in memory: nothing is stored before the login succeeds."""
    from angelctl.broker.api import credential_store_for
    from angelctl.cli.login_state import StagedSecrets
    from angelctl.errors import UsageError
    from angelctl.secrets import CREDENTIAL_NAMES, Secret

    store = credential_store_for(settings, allow_plaintext=allow_plaintext)
    missing = [n for n in CREDENTIAL_NAMES if reset or store.get(settings.name, n) is None]
    if not missing:
        return StagedSecrets(store, settings.name, {})
    if from_stdin:
        given = _read_stdin_secrets()
    elif stdin_is_tty():
        out.notice(f"Secrets for profile {settings.name} go to the {store.description}.")
        given = {n: typer.prompt(SECRET_PROMPTS[n], hide_input=True) for n in missing}
    else:
        raise UsageError(
            f"profile {settings.name} needs {', '.join(missing)} and standard input is not a "
            "terminal",
            hint="pipe them as key=value lines with `angelctl login --stdin`",
        )
    absent = [n for n in missing if not given.get(n)]
    if absent:
        raise UsageError(
            f"missing on standard input: {', '.join(absent)}",
            hint="one key=value line each: api_key=…, mpin=…, totp_secret=…",
        )
    staged = {name: Secret(_validated(name, given[name])) for name in missing}
    return StagedSecrets(store, settings.name, staged)


def _read_stdin_secrets() -> dict[str, str]:
    from angelctl.errors import UsageError
    from angelctl.secrets import CREDENTIAL_NAMES

    try:
        text = environment().stdin.read()
    except UnicodeDecodeError:
        raise UsageError("standard input is not text in the locale's encoding") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip().lower()
        if not sep or key not in CREDENTIAL_NAMES:
            raise UsageError(
                f"standard input line {number}: expected api_key=…, mpin=… or totp_secret=…"
            )
        values[key] = value.strip()
    return values


def _validated(name: str, value: str) -> str:
    from angelctl.errors import UsageError
    from angelctl.secrets import validate_totp_secret

    value = value.strip()
    if name == "mpin" and not (value.isascii() and value.isdigit() and len(value) == 4):
        raise UsageError("the MPIN must be 4 digits (it is the app PIN, not the web password)")
    if name == "totp_secret":
        try:
            return validate_totp_secret(value)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    printable_word = value.isascii() and value.isprintable() and " " not in value
    if name == "api_key" and not (value and printable_word):
        raise UsageError("the API key must be one word of ASCII letters, digits and signs")
    return value
