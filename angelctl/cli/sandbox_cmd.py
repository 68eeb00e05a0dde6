"""sandbox serve | demo | fault: the loopback SmartAPI-compatible server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from angelctl.cli.common import output, whole

if TYPE_CHECKING:
    from pathlib import Path

    from angelctl.config import ProfileSettings
    from angelctl.render.output import Output
    from angelctl.sandbox import ReplaySource, SandboxConfig

app = typer.Typer(
    help="Run the loopback SmartAPI sandbox (paper broker with fault switches).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
fault_app = typer.Typer(
    help="Switch the sandbox's faults (admin route; the `login --sandbox` profile's token).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(fault_app, name="fault")


def _parse_fault(spec: str) -> dict[str, Any]:
    """``hold:seconds=5,route=getProfile,count=1`` → ``{"name": "hold", "seconds": 5.0, …}``."""
    from angelctl.errors import UsageError

    name, _, params = spec.partition(":")
    fault: dict[str, Any] = {"name": name.strip()}
    for part in filter(None, (p.strip() for p in params.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise UsageError(f"fault {spec!r}: expected key=value, got {part!r}")
        fault[key.strip()] = _typed(value.strip())
    if not fault["name"]:
        raise UsageError(f"fault {spec!r} has no name")
    return fault


def _typed(value: str) -> int | float | bool | str:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value.lower(), value)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Loopback address to bind.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port",
            metavar="INTEGER",
            parser=whole("--port", 0, 65535),
            help="Port; 0 picks a free one.",
        ),
    ] = 8765,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Fault at start, e.g. 'latency:ms=200' or "
            "'hold:seconds=5,route=placeOrder,count=1' (repeatable).",
            show_default=False,
        ),
    ] = None,
    session_ttl: Annotated[
        int | None,
        typer.Option(
            "--session-ttl",
            metavar="INTEGER",
            parser=whole("--session-ttl", 1, 7 * 86_400),
            help="Sessions last this many seconds (default: until midnight IST).",
            show_default=False,
        ),
    ] = None,
    no_rate_limits: Annotated[
        bool, typer.Option("--no-rate-limits", help="Do not enforce the broker's rate limits.")
    ] = False,
    replay: Annotated[
        str | None,
        typer.Option(
            "--replay",
            metavar="FILE",
            help="Drive the market from a recording (`stream --record`), or a shipped one by "
            "name: banknifty-sample.",
            show_default=False,
        ),
    ] = None,
    speed: Annotated[
        float,
        typer.Option("--speed", metavar="N", help="Replay N times faster than recorded."),
    ] = 1.0,
    start_at: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="HH:MM",
            help="Start the replay at this IST time of the recording's day.",
            show_default=False,
        ),
    ] = None,
    loop: Annotated[
        bool, typer.Option("--loop", help="Start the replay again after its last frame.")
    ] = False,
) -> None:
    """Serve the sandbox in the foreground until Ctrl-C; prints its URLs, demo account and
    admin token (also left for this user in a 0600 file that `login --sandbox` reads)."""
    # long: the Typer options are declared in the signature, one parameter each
    from angelctl.sandbox.server import serve_forever

    out = output(ctx)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "faults": [_parse_fault(spec) for spec in fault or []],
        "rate_limit_enabled": not no_rate_limits,
    }
    if session_ttl is not None:
        options.update(session_expiry="ttl", session_ttl_seconds=session_ttl)
    config = _sandbox_config(**options)
    source = _replay_source(replay, speed, start_at, loop)
    token_files: list[Path] = []

    def ready(info: dict[str, Any]) -> None:
        token_files.append(_leave_admin_token(info))
        _show_ready(out, {**info, "admin_token_file": str(token_files[0])})

    try:
        serve_forever(config, ready, replay=source)
    finally:
        for path in token_files:
            path.unlink(missing_ok=True)


def _replay_source(
    path: str | None, speed: float, start_at: str | None, loop: bool
) -> ReplaySource | None:
    """The ``--replay`` options checked; None without ``--replay``."""
    from datetime import time

    from angelctl.errors import UsageError
    from angelctl.sandbox import ReplaySource

    if path is None:
        if start_at is not None or loop or speed != 1.0:
            raise UsageError("--speed, --from and --loop need --replay FILE")
        return None
    if not 0 < speed <= 1000:
        raise UsageError(f"--speed {speed:g}: expected a number above 0 and at most 1000")
    start = None
    if start_at is not None:
        try:
            start = time.fromisoformat(start_at)
        except ValueError:
            raise UsageError(f"--from {start_at!r}: expected HH:MM (IST)") from None
    return ReplaySource(path, speed=speed, start=start, loop=loop)


def _show_ready(out: Output, info: dict[str, Any]) -> None:
    """The ready line (``--json``: one JSON line, flushed at once) or the URLs and the account."""
    if out.json_mode:
        out.json(info)  # flushed at once: a supervisor waits for this line
        return
    demo = info["demo"]
    out.line(f"angelctl sandbox listening on {info['rest_url']}")
    out.line(f"  WebSocket feed   {info['ws_url']}")
    out.line(f"  order updates    {info['order_ws_url']}")
    out.line(f"  instruments      {info['instruments_url']}")
    out.line(
        f"  demo account     client {demo['client_code']}  api key {demo['api_key']}  "
        f"MPIN {demo['mpin']}  TOTP seed {demo['totp_secret']}"
    )
    out.line(f"  admin token      {info['admin_token']}  (header X-Sandbox-Admin)")
    replay = info.get("replay")
    if replay:
        _show_replay(out, replay)
    out.line(f"Log in from another terminal: angelctl login --sandbox --url {info['rest_url']}")
    out.line("Ctrl-C stops it.")


def _show_replay(out: Output, replay: dict[str, Any]) -> None:
    """Two lines that fit 80 columns: which recording, from when, how long, what happens after."""
    from pathlib import Path

    start = f", from {replay['start'][11:16]} IST" if replay["start"] else ""
    torn = f"; {replay['torn_records']} torn record skipped" if replay["torn_records"] else ""
    out.line(
        f"  replaying        {Path(replay['file']).name} (recorded {replay['recorded_on']}{start})"
    )
    out.line(
        f"                   {replay['frames']:,} frames, {replay['duration_seconds']:,.0f} s at "
        f"{replay['speed']:g}×; then frozen at the last values{torn}"
    )


def _leave_admin_token(info: dict[str, Any]) -> Path:
    """Write the admin token where `login --sandbox` looks for it (0600, this user only)."""
    from angelctl.broker.sandbox_admin import serve_token_path, url_port
    from angelctl.secrets import Secret, write_secret_file

    port = url_port(info["rest_url"])
    assert port is not None
    path = serve_token_path(port)
    write_secret_file(path, Secret(info["admin_token"]))
    return path


def _sandbox_config(**options: Any) -> SandboxConfig:
    from angelctl.errors import UsageError
    from angelctl.sandbox import SandboxConfig
    from angelctl.sandbox.config import SandboxConfigError

    try:
        return SandboxConfig(**options)
    except SandboxConfigError as exc:
        raise UsageError(f"sandbox: {exc}") from None


@app.command("demo")
def demo(ctx: typer.Context) -> None:
    """Start a sandbox, log in to its demo account, show whoami and funds, and stop."""
    import tempfile
    from pathlib import Path

    from angelctl.broker.api import SmartApi, build_session, fetch_sandbox_demo
    from angelctl.config import ProfileSettings, sandbox_urls
    from angelctl.render.tables import funds_view, profile_view
    from angelctl.sandbox import SandboxConfig, SandboxServer
    from angelctl.secrets import SandboxDemoStore, Secret

    out = output(ctx)
    with (
        SandboxServer(SandboxConfig(port=0)) as server,
        tempfile.TemporaryDirectory(prefix="angelctl-demo-") as tmp,
    ):
        urls = sandbox_urls(server.rest_url)
        settings = ProfileSettings(
            name="sandbox-demo",
            environment="sandbox",
            credential_store="sandbox-demo",
            client_code=server.ready_info()["demo"]["client_code"],
            api_url=urls["api_url"],
            ws_url=urls["ws_url"],
            order_ws_url=urls["order_ws_url"],
            instruments_url=urls["instruments_url"],
        )
        token = Secret(server.admin_token)
        store = SandboxDemoStore(lambda _: fetch_sandbox_demo(server.rest_url, token))
        api = SmartApi(build_session(settings, store=store, folder=Path(tmp)))
        try:
            api.session.login()
            profile, funds = api.profile(), api.funds()
        finally:
            api.close()
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "sandbox": server.rest_url,
                "client_code": profile.client_code,
                "name": profile.name,
                "funds": funds.values,
            }
        )
        return
    out.notice(f"Sandbox started at {server.rest_url}; logged in to the demo account.")
    out.show(profile_view(profile, "sandbox demo"))
    out.show(funds_view(funds))
    out.notice(
        "Next: `angelctl sandbox serve` in one terminal, then "
        "`angelctl login --sandbox` and `angelctl whoami` in another."
    )


def _admin(ctx: typer.Context, method: str, path: str, body: Any = None) -> Any:
    """An admin request to the logged-in sandbox profile's sandbox, with its stored token."""
    from angelctl.broker.api import credential_store_for
    from angelctl.broker.sandbox_admin import admin_call
    from angelctl.errors import CredentialError
    from angelctl.secrets import SANDBOX_ADMIN_TOKEN

    settings = _sandbox_profile(ctx)
    token = credential_store_for(settings).get(settings.name, SANDBOX_ADMIN_TOKEN)
    if token is None:
        raise CredentialError(
            f"profile {settings.name} has no sandbox admin token",
            hint=f"log in to the sandbox again with `{_login_command(settings.name)}`",
        )
    return admin_call(settings.api_url, token, method, path, body)


def _sandbox_profile(ctx: typer.Context) -> ProfileSettings:
    """The profile `login --sandbox` wrote: ``--profile``, else the one named ``sandbox``."""
    from angelctl.cli.common import app_ctx
    from angelctl.config import load_config_file, resolve_profile, selected_profile_name
    from angelctl.errors import ConfigError

    cfg = load_config_file()
    name = selected_profile_name(app_ctx(ctx).profile or "sandbox", cfg)
    hint = f"log in to a running sandbox first: `{_login_command(name)}`"
    if name not in cfg.profiles:
        raise ConfigError(f"there is no sandbox profile {name!r}", hint=hint)
    settings = resolve_profile(cfg, name)
    if not settings.is_sandbox:
        raise ConfigError(f"profile {name} is not a sandbox profile", hint=hint)
    return settings


def _login_command(profile: str) -> str:
    return "angelctl login --sandbox" + ("" if profile == "sandbox" else f" --profile {profile}")


@fault_app.command("set")
def fault_set(
    ctx: typer.Context,
    spec: Annotated[
        str, typer.Argument(help="NAME[:key=value,…], e.g. 'http_5xx:status=503,count=2'")
    ],
) -> None:
    """Arm one fault on the logged-in sandbox profile's sandbox."""
    out = output(ctx)
    result = _admin(ctx, "POST", "faults", _parse_fault(spec))
    if out.json_mode:
        out.json({"ok": True, "faults": result})
    else:
        out.notice(f"armed {spec}")


@fault_app.command("clear")
def fault_clear(ctx: typer.Context) -> None:
    """Disarm every fault."""
    out = output(ctx)
    _admin(ctx, "DELETE", "faults")
    if out.json_mode:
        out.json({"ok": True})
    else:
        out.notice("all faults cleared")


@fault_app.command("list")
def fault_list(ctx: typer.Context) -> None:
    """Show the armed faults."""
    import json as jsonlib

    out = output(ctx)
    result = _admin(ctx, "GET", "faults")
    if out.json_mode:
        out.json({"faults": result})
    else:
        out.line(jsonlib.dumps(result, indent=2))
