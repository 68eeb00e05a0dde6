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
    """Show every effective setting of the selected profile and where each comes from: the
    profile's keys, risk limits, market hours, rate limits and freeze overrides."""
    from angelctl.config_view import effective_settings, format_rate
    from angelctl.render.config import settings_view

    out = output(ctx)
    cfg, settings = profile_settings(ctx)
    entries = effective_settings(cfg, settings, app_ctx(ctx).profile)
    if out.json_mode:
        profile_keys = {e.key: e.value for e in entries if "." not in e.key and e.key != "profile"}
        out.json(
            {
                "config": str(cfg.path),
                "profile": settings.name,
                "profiles": sorted(cfg.profiles),
                "settings": profile_keys,
                "rate_limits": {k: format_rate(v) for k, v in settings.rate_limits.items()},
                "sources": dict(settings.sources),
                "entries": [e.as_dict(str(cfg.path)) for e in entries],
            }
        )
        return
    out.show(settings_view(f"Profile {settings.name} — {cfg.path}", settings.name, entries))


@app.command("set")
def set_cmd(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(
            help="profiles.NAME.KEY (risk.KEY, market_hours.policy, rate_limits.ROUTE … under "
            "it), freeze_qty.UNDERLYING or default_profile; KEY or risk.KEY alone is the "
            "selected profile's. `config show` lists every key.",
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
    from angelctl.config_edit import canonical_key, set_config_key

    out = output(ctx)
    cfg = load_config_file()
    key = canonical_key(key, selected_profile_name(app_ctx(ctx).profile, cfg))
    set_config_key(cfg.path, key, value)
    if out.json_mode:
        out.json({"ok": True, "key": key, "value": value, "config": str(cfg.path)})
    else:
        out.notice(f"{key} = {value}  ({cfg.path})")
