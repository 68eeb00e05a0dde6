"""config show | set | path."""

from __future__ import annotations

from typing import Annotated

import typer

from angelctl.cli.common import app_ctx, output, profile_settings
from angelctl.cli.completion import complete_config_key, complete_config_value

app = typer.Typer(
    help="Show and change configuration (profiles, URLs, IPs, limits).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.command("path")
def path_cmd(ctx: typer.Context) -> None:
    """Print the config file's path (ANGELCTL_CONFIG overrides it)."""
    from angelctl.config import cache_dir, config_path, state_dir

    out = output(ctx)
    if out.json_mode:
        out.json(
            {"config": str(config_path()), "state": str(state_dir()), "cache": str(cache_dir())}
        )
    else:
        out.line(str(config_path()))


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Show the selected profile's effective settings and where each comes from."""
    from angelctl.render.tables import key_value_table

    out = output(ctx)
    cfg, settings = profile_settings(ctx)
    fields = {
        "client_code": settings.client_code,
        "environment": settings.environment,
        "api_url": settings.api_url,
        "ws_url": settings.ws_url,
        "order_ws_url": settings.order_ws_url,
        "instruments_url": settings.instruments_url,
        "public_ip": settings.public_ip,
        "local_ip": settings.local_ip,
        "mac_address": settings.mac_address,
        "connect_timeout": settings.connect_timeout,
        "read_timeout": settings.read_timeout,
        "settle_after": settings.settle_after,
        "follow_unknown": settings.follow_unknown,
        "order_follow_seconds": settings.order_follow_seconds,
        "journal_retention_days": settings.journal_retention_days,
        "credential_store": settings.credential_store,
        "session_rule": settings.session_rule,
    }
    limits = {
        bucket: ", ".join(f"{n}/{int(s)}s" for n, s in windows)
        for bucket, windows in settings.rate_limits.items()
    }
    if out.json_mode:
        out.json(
            {
                "config": str(cfg.path),
                "profile": settings.name,
                "profiles": sorted(cfg.profiles),
                "settings": fields,
                "rate_limits": limits,
                "sources": dict(settings.sources),
            }
        )
        return
    rows = [
        (k, f"{v}" + (f"  ({settings.sources[k]})" if k in settings.sources else ""))
        for k, v in fields.items()
    ]
    rows += [(f"rate_limits.{k}", v) for k, v in limits.items()]
    out.show(key_value_table(f"Profile {settings.name} — {cfg.path}", rows))


@app.command("set")
def set_cmd(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(
            help="KEY of the current profile, profiles.NAME.KEY, "
            "profiles.NAME.rate_limits.ROUTE or default_profile.",
            autocompletion=complete_config_key,
        ),
    ],
    value: Annotated[
        str,
        typer.Argument(
            help="The new value (not a secret: use login).", autocompletion=complete_config_value
        ),
    ],
) -> None:
    """Set one configuration value, validated before the file is replaced."""
    from angelctl.config import load_config_file, selected_profile_name
    from angelctl.config_edit import set_config_key
    from angelctl.config_keys import PROFILE_KEYS
    from angelctl.errors import UsageError

    out = output(ctx)
    cfg = load_config_file()
    if "." not in key and key != "default_profile":
        if key not in PROFILE_KEYS and key != "rate_limits":
            raise UsageError(
                f"unknown setting {key!r}", hint=f"settings: {', '.join(PROFILE_KEYS)}"
            )
        key = f"profiles.{selected_profile_name(app_ctx(ctx).profile, cfg)}.{key}"
    set_config_key(cfg.path, key, value)
    if out.json_mode:
        out.json({"ok": True, "key": key, "value": value, "config": str(cfg.path)})
    else:
        out.notice(f"{key} = {value}  ({cfg.path})")
