"""Live market data: the WebSocket 2.0 binary codec, the feed client and the order-update client.

- ``feed.ticks``          typed ticks (raw integer prices plus exact ``Decimal`` properties)
- ``feed.layout``         the packet layouts decode and encode share
- ``feed.decode``         bytes → tick, or ``DecodeError``; never I/O
- ``feed.encode``         tick → bytes, or ``EncodeError`` (used by the sandbox and tests)
- ``feed.recording``      raw frames with receive times on disk (``stream --record``, replay)
- ``feed.subscriptions``  the desired subscription set and the requests that reach it
- ``feed.framing``        WebSocket frames ⇄ bytes, sans-I/O (a thin adapter over wsproto)
- ``feed.upgrade``        TLS and the HTTP upgrade; what a refused or failed attempt means
- ``feed.connection``     one live socket both clients share: read, heartbeat, watchdog
- ``feed.reconnect``      ``ReconnectingSocket``: the thread, connect, back off, repeat
- ``feed.policy``         ``Backoff`` and ``Heartbeat``
- ``feed.auth``           where the handshake credentials come from
- ``feed.linkstate``      states, events and counters a connection reports
- ``feed.client``         ``FeedClient`` for ``/smart-stream``
- ``feed.orderupdates``   ``OrderUpdateClient`` for ``/smart-order-update`` (AB00–AB11)
"""
