"""Small WebSocket servers for feed-client tests that the sandbox cannot play: a wss server with
a certificate made at test time, a server that refuses the upgrade. Real loopback sockets.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from angelctl.clock import SystemClock
from angelctl.feed.connection import Backoff, Heartbeat, StaticAuth, WsCredentials
from angelctl.secrets import Secret

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FAST_BACKOFF = Backoff(base=0.01, cap=0.05, stable_after=0.5)
FAST_HEARTBEAT = Heartbeat(text_ping_every=0.5, protocol_ping_every=0.3, stale_after=2.0)
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-client-code", "x-feed-token")


def fake_credentials() -> WsCredentials:
    return WsCredentials(
        client_code="T123456",
        jwt=Secret("test-jwt-value-0001"),
        api_key=Secret("test-api-key-0001"),
        feed_token=Secret("test-feed-token-0001"),
    )


def fake_auth() -> StaticAuth:
    return StaticAuth(fake_credentials())


def client_options(**overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "clock": SystemClock(),
        "backoff": FAST_BACKOFF,
        "heartbeat": FAST_HEARTBEAT,
        "connect_timeout": 3.0,
    }
    options.update(overrides)
    return options


class ThreadedApp:
    """An aiohttp app on 127.0.0.1 in its own thread; records every request's headers."""

    def __init__(self, handler: Handler, ssl_context: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.ssl_context = ssl_context
        self.requests: list[dict[str, str]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _record(self, request: web.Request) -> web.StreamResponse:
        self.requests.append({k.lower(): v for k, v in request.headers.items()})
        return await self.handler(request)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._record)
        runner = web.AppRunner(app, handle_signals=False)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        loop.run_until_complete(site.start())
        self.port = int(runner.addresses[0][1])
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    def url(self, path: str = "/smart-stream") -> str:
        scheme = "wss" if self.ssl_context else "ws"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> ThreadedApp:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def make_certificate(folder: Path, *, host: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (an IP or a DNS name) and its key, as PEM files:
    with ``cryptography`` (a dependency of keyring's Secret Service backend), else ``openssl``."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return _openssl_certificate(folder, host=host)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{host}.crt", folder / f"{host}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _openssl_certificate(folder: Path, *, host: str) -> tuple[Path, Path]:
    import subprocess

    try:
        ipaddress.ip_address(host)
        alt = f"IP:{host}"
    except ValueError:
        alt = f"DNS:{host}"
    cert_path, key_path = folder / f"{host}.crt", folder / f"{host}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={host}", "-addext", f"subjectAltName={alt}",
         "-keyout", str(key_path), "-out", str(cert_path)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def echo_feed(request: web.Request) -> web.StreamResponse:
    """Accept the upgrade, answer text ``ping`` with ``pong``, otherwise stay quiet."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type == web.WSMsgType.TEXT and message.data == "ping":
            await ws.send_str("pong")
    return ws


def refuse(status: int, reason: str = "") -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"x-error-message": reason} if reason else {}
        return web.Response(status=status, headers=headers)

    return handler
