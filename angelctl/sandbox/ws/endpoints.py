"""Mount the two WebSocket endpoints and their admin routes on the sandbox's aiohttp app.

The one module that knows all three of ``hub`` (connections, faults, admin), ``feed`` and
``orders``, so the arrows run one way: ``endpoints`` → ``feed``/``orders`` → ``hub``.
"""

from __future__ import annotations

from aiohttp import web

from angelctl.sandbox.rest.service import SandboxEngine
from angelctl.sandbox.ws import feed, orders
from angelctl.sandbox.ws.hub import HUB_KEY, SocketHub, admin_close, admin_stats


def register_sockets(
    app: web.Application, engine: SandboxEngine, *, feed_path: str, order_feed_path: str
) -> None:
    """Add the two socket endpoints and the ``/_sandbox/ws`` admin routes."""
    hub = SocketHub(engine)
    app[HUB_KEY] = hub
    app[feed.SOURCE_KEY] = feed.TickSource(engine)
    app.router.add_get(feed_path, feed.handler)
    app.router.add_get(order_feed_path, orders.handler)
    app.router.add_get("/_sandbox/ws", admin_stats)
    app.router.add_post("/_sandbox/ws/close", admin_close)

    async def _close_all(app: web.Application) -> None:
        await hub.force_close(code=1001)

    app.on_shutdown.append(_close_all)
