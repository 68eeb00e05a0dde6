"""The one seam where ``requests`` exceptions become angelctl's transport errors.

The classification decides what may be retried, so it is deliberately conservative:
``ConnectFailed`` only when the request provably never left (refused, DNS, connect timeout,
TLS handshake); everything else after the connection was made is ``ResponseLost`` (the server
may have acted). Redirects are never followed and TLS verification is always on.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from angelctl.broker.envelope import RawResponse
from angelctl.errors import ConfigError, ConnectFailed, ResponseLost

MAX_BODY_BYTES = 64 * 1024 * 1024


class HttpTransport:
    def __init__(self, connect_timeout: float, read_timeout: float) -> None:
        session = requests.Session()
        # Proxies and .netrc from the environment could add credentials or reroute orders;
        # angelctl talks to exactly the configured root.
        session.trust_env = False
        session.verify = True
        adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=8)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.clear()
        self.session = session
        self.timeout = (connect_timeout, read_timeout)

    def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        route: str,
        *,
        timeout: tuple[float, float] | None = None,
    ) -> tuple[RawResponse, float]:
        """Send one request; returns the response and the elapsed seconds. ``timeout`` (connect,
        read) shortens the configured one for a caller with a budget."""
        # long: the one seam where every requests exception is translated; one try keeps the map
        started = time.monotonic()
        limits = timeout or self.timeout
        try:
            reply = self.session.request(
                method,
                url,
                headers=dict(headers),
                data=body,
                timeout=limits,
                allow_redirects=False,
                verify=True,
            )
            content = reply.content[:MAX_BODY_BYTES]
        except requests.exceptions.ConnectTimeout:
            raise ConnectFailed(
                f"could not connect within {limits[0]:g} s",
                route=route,
                hint="check the network and the profile's api_url (`angelctl doctor`)",
            ) from None
        except requests.exceptions.SSLError as exc:
            raise ConnectFailed(
                f"TLS handshake failed: {_reason(exc)}",
                route=route,
                hint="the server's certificate was not trusted; angelctl never skips this check",
            ) from None
        except requests.exceptions.ReadTimeout:
            raise ResponseLost(
                f"no answer within {limits[1]:g} s",
                route=route,
                hint="the broker may still have acted on the request",
            ) from None
        except requests.exceptions.ConnectionError as exc:
            if _never_sent(exc):
                raise ConnectFailed(
                    f"could not connect: {_reason(exc)}",
                    route=route,
                    hint="check the network and the profile's api_url (`angelctl doctor`)",
                ) from None
            raise ResponseLost(
                f"the connection broke before the answer arrived: {_reason(exc)}",
                route=route,
                hint="the broker may still have acted on the request",
            ) from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ):
            raise ConfigError(
                f"the configured API URL is not usable for {route}",
                hint="check `angelctl config show`",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise ResponseLost(f"the request failed: {type(exc).__name__}", route=route) from None
        elapsed = time.monotonic() - started
        return RawResponse(reply.status_code, dict(reply.headers), content), elapsed

    def close(self) -> None:
        self.session.close()


def _never_sent(exc: requests.exceptions.ConnectionError) -> bool:
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.NameResolutionError
        | urllib3.exceptions.ConnectTimeoutError,
    )


def _reason(exc: BaseException) -> str:
    reason: Any = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    for attr in ("strerror",):
        text = getattr(reason, attr, None)
        if text:
            return str(text)
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "NameResolution" in type(reason).__name__:
        return "host name not found"
    return type(reason).__name__
