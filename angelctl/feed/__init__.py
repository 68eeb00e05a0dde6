"""Live market data: the WebSocket 2.0 binary codec, the feed client and the order-update client.

- ``feed.ticks``   typed ticks (raw integer prices plus exact ``Decimal`` properties)
- ``feed.decode``  bytes → tick, or ``DecodeError``; never I/O
- ``feed.encode``  tick → bytes (used by the sandbox and tests)
"""
