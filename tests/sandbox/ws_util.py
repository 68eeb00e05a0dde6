"""Raw ``websocket-client`` helpers for the sandbox socket tests (no angelctl client code)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import websocket

from angelctl.sandbox import SandboxServer
from tests.conftest import admin_request

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PONG = 0x1, 0x2, 0x8, 0xA
Frame = tuple[int, bytes]


def feed_headers(
    tokens: Any, *, client: str = "SBX0001", api_key: str = "sandbox-api-key"
) -> list[str]:
    return [
        f"Authorization: Bearer {tokens.jwt}",
        f"x-api-key: {api_key}",
        f"x-client-code: {client}",
        f"x-feed-token: {tokens.feed}",
    ]


def connect(url: str, header: list[str] | None = None, timeout: float = 5.0) -> websocket.WebSocket:
    return websocket.create_connection(url, header=header or [], timeout=timeout)


def refused(url: str, header: list[str] | None = None) -> websocket.WebSocketBadStatusException:
    try:
        ws = connect(url, header)
    except websocket.WebSocketBadStatusException as exc:
        return exc
    ws.close()
    raise AssertionError("the upgrade was accepted")


def recv_frame(ws: websocket.WebSocket, timeout: float = 5.0) -> Frame:
    ws.settimeout(timeout)
    opcode, data = ws.recv_data(control_frame=True)
    return opcode, data


def wait_for(
    ws: websocket.WebSocket, predicate: Callable[[Frame], bool], timeout: float = 5.0
) -> tuple[Frame, list[Frame]]:
    """The first frame matching ``predicate`` and every frame received before it."""
    deadline = time.monotonic() + timeout
    seen: list[Frame] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching frame in {timeout} s; got {seen[-5:]!r}")
        frame = recv_frame(ws, left)
        if predicate(frame):
            return frame, seen
        seen.append(frame)


def is_binary(frame: Frame) -> bool:
    return frame[0] == OP_BINARY


def is_text(frame: Frame) -> bool:
    return frame[0] == OP_TEXT


def subscribe(ws: websocket.WebSocket, mode: int, tokens: list[str], exchange: int = 1,
              action: int = 1, correlation: str = "abcde12345") -> None:  # fmt: skip
    ws.send(
        json.dumps(
            {
                "correlationID": correlation,
                "action": action,
                "params": {
                    "mode": mode,
                    "tokenList": [{"exchangeType": exchange, "tokens": tokens}],
                },
            }
        )
    )


def ws_stats(server: SandboxServer) -> dict[str, Any]:
    response = admin_request(server, "GET", "ws", timeout=5)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def stats_until(
    server: SandboxServer, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> dict[str, Any]:
    """Admin socket stats once ``predicate`` holds (the server applies frames asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        stats = ws_stats(server)
        if predicate(stats):
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"socket stats never matched: {stats}")
        time.sleep(0.01)
