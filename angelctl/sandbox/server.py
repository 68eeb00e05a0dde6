"""Running the sandbox: in a background thread (tests, benches) or in the foreground (CLI).

``SandboxServer(config).start()`` returns once the socket is listening (an Event, no polling);
the aiohttp app runs on its own event loop in a daemon thread, so the caller's thread stays free
to drive a client against ``rest_url``. ``serve_forever`` is the CLI's foreground mode: it prints
nothing itself, hands ``ready_info()`` to a callback and stops cleanly on SIGINT/SIGTERM.

Invariants:
- Only loopback hosts are bound unless ``config.allow_remote`` is set (the sandbox has no TLS and
  hands out secrets on ``/_sandbox/demo-account``); admin routes stay loopback-only regardless.
- Admin routes need ``admin_token`` (``config.admin_token``, else a fresh
  ``secrets.token_urlsafe(24)`` per server) in ``X-Sandbox-Admin``; ``ready_info`` carries it.
- ``stop()`` is idempotent, closes the listening socket and joins the thread; in-flight requests
  (a ``hold`` fault, say) get ``SHUTDOWN_GRACE_SECONDS`` and are then cancelled.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from aiohttp import web

from angelctl.sandbox.clock import SandboxClock
from angelctl.sandbox.config import SandboxConfig, SandboxConfigError
from angelctl.sandbox.engine.replay import ReplaySource
from angelctl.sandbox.rest.http import (
    FEED_PATH,
    INSTRUMENTS_PATH,
    ORDER_FEED_PATH,
    build_app,
)
from angelctl.sandbox.rest.service import SandboxEngine
from angelctl.sandbox.ws.endpoints import register_sockets
from angelctl.wire import ADMIN_PREFIX

SHUTDOWN_GRACE_SECONDS = 0.5


class SandboxServer:
    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: SandboxClock | None = None,
        replay: ReplaySource | None = None,
    ):
        config = config or SandboxConfig()
        if not config.host_is_loopback and not config.allow_remote:
            raise SandboxConfigError(
                f"refusing to bind {config.host!r}: not a loopback address "
                "(set allow_remote=True to expose the sandbox on a network)"
            )
        self.config = config
        self.admin_token: str = config.admin_token or secrets.token_urlsafe(24)
        self.engine = SandboxEngine(config, clock, replay=replay)
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._error: BaseException | None = None
        self._port: int | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("sandbox server already started")
        self._thread = threading.Thread(target=self._run, name="angelctl-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
        self._loop = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:  # bind errors must reach the thread that called start()
            self._error = exc
            loop.close()
            self._ready.set()
            return
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            if self._runner is not None:
                loop.run_until_complete(self._runner.cleanup())
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _mount_sockets(self, app: web.Application) -> None:
        register_sockets(app, self.engine, feed_path=FEED_PATH, order_feed_path=ORDER_FEED_PATH)

    async def _listen(self) -> None:
        runner = web.AppRunner(
            build_app(self.engine, admin_token=self.admin_token, mounts=[self._mount_sockets]),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        )
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self._port = int(runner.addresses[0][1])

    # --------------------------------------------------------------- addresses

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("sandbox server not started")
        return self._port

    @property
    def _authority(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://{self._authority}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self._authority}{FEED_PATH}"

    @property
    def order_ws_url(self) -> str:
        return f"ws://{self._authority}{ORDER_FEED_PATH}"

    @property
    def instruments_url(self) -> str:
        return f"{self.rest_url}{INSTRUMENTS_PATH}"

    @property
    def admin_url(self) -> str:
        return f"{self.rest_url}{ADMIN_PREFIX}"

    def ready_info(self) -> dict[str, Any]:
        """The one JSON line ``angelctl sandbox serve`` prints when it is listening (with
        ``replay``, where the replay stands, only when replaying a recording)."""
        replay = self.engine.replay_status()
        return {
            "event": "ready",
            "rest_url": self.rest_url,
            "ws_url": self.ws_url,
            "order_ws_url": self.order_ws_url,
            "instruments_url": self.instruments_url,
            "admin_url": self.admin_url,
            "admin_token": self.admin_token,
            "demo": self.engine.demo_account(),
            **({"replay": replay} if replay is not None else {}),
        }


def serve_forever(
    config: SandboxConfig,
    on_ready: Callable[[dict[str, Any]], None],
    *,
    clock: SandboxClock | None = None,
    stop_event: threading.Event | None = None,
    replay: ReplaySource | None = None,
) -> None:
    """Run in the foreground until SIGINT/SIGTERM (or ``stop_event``), then stop cleanly.

    Signal handlers are installed only when called from the main thread, and the previous
    handlers are restored on the way out. A handler runs in the main thread wherever that
    thread is, so it takes no lock (``Event.set`` would deadlock when the signal lands while
    ``stop.wait()`` holds the event's own lock): the first signal raises ``_Stopped`` there,
    a second one during the shutdown is ignored.
    """
    stop = stop_event or threading.Event()
    previous: dict[signal.Signals, Any] = {}
    stopping = False
    if threading.current_thread() is threading.main_thread():

        def _on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            if not stopping:
                stopping = True
                raise _Stopped

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, _on_signal)
    try:
        with SandboxServer(config, clock=clock, replay=replay) as server:
            try:
                on_ready(server.ready_info())
                stop.wait()
            except _Stopped:
                pass
            stopping = True  # the shutdown is not interrupted by a second signal
    except _Stopped:  # before the server was listening
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Stopped(Exception):
    """SIGINT or SIGTERM reached ``serve_forever``'s main thread."""
