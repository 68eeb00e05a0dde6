"""logout, whoami, funds (``login`` is in ``cli.login``): one broker call each, rendered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from angelctl.cli.common import done, open_session, output, profile_settings

if TYPE_CHECKING:
    pass


def logout(
    ctx: typer.Context,
    forget_secrets: Annotated[
        bool,
        typer.Option(
            "--forget-secrets",
            help="Also delete the profile's stored secrets (a sandbox profile's admin token).",
        ),
    ] = False,
) -> None:
    """End the session at the broker and delete the cached tokens."""
    from angelctl.secrets import CREDENTIAL_NAMES, SANDBOX_ADMIN_TOKEN

    out = output(ctx)
    _, settings = profile_settings(ctx)
    session = open_session(settings)
    try:
        had_session = session.cached_tokens() is not None
        called = session.logout() if had_session else False
    finally:
        session.rest.close()
    forgotten = False
    if forget_secrets:
        from angelctl.broker.api import credential_store_for

        store = credential_store_for(settings)
        sandbox_demo = settings.credential_store == "sandbox-demo"  # keeps the admin token only
        for name in (SANDBOX_ADMIN_TOKEN,) if sandbox_demo else CREDENTIAL_NAMES:
            store.delete(settings.name, name)
        forgotten = True
    if out.json_mode:
        out.json(
            {
                "ok": True,
                "profile": settings.name,
                "had_session": had_session,
                "broker_logout": called,
                "secrets_forgotten": forgotten,
            }
        )
    elif had_session:
        done(out, f"Logged out of profile {settings.name}.")
    else:
        out.notice(f"Profile {settings.name} had no active session; nothing to do.")


def whoami(ctx: typer.Context) -> None:
    """Show the broker's profile for the current session (getProfile)."""
    from angelctl.broker.models import Profile

    out = output(ctx)
    _, settings = profile_settings(ctx)
    session = open_session(settings)
    try:
        profile = Profile.from_wire(session.call("getProfile"))
        expires = session.cached_tokens()
    finally:
        session.rest.close()
    if out.json_mode:
        out.json(
            {
                "profile": settings.name,
                "environment": settings.environment,
                "client_code": profile.client_code,
                "name": profile.name,
                "email": profile.email,
                "mobile": profile.mobile,
                "exchanges": profile.exchanges,
                "products": profile.products,
                "last_login": profile.last_login,
                "session_expires_at": expires.expires_at if expires else None,
            }
        )
        return
    from angelctl.render.tables import profile_view

    out.show(profile_view(profile, settings.name))


def funds(ctx: typer.Context) -> None:
    """Show funds and margins (getRMS)."""
    from angelctl.broker.models import Funds

    out = output(ctx)
    _, settings = profile_settings(ctx)
    session = open_session(settings)
    try:
        result = Funds.from_wire(session.call("getRMS"))
    finally:
        session.rest.close()
    if out.json_mode:
        out.json({"profile": settings.name, "funds": result.as_dict()})
        return
    from angelctl.render.tables import funds_view

    out.show(funds_view(result))
