"""Live market data: the WebSocket 2.0 binary codec, the feed client and the order-update client.

- ``feed.ticks``          typed ticks (raw integer prices plus exact ``Decimal`` properties)
- ``feed.layout``         the packet layouts decode and encode share
- ``feed.decode``         bytes → tick, or ``DecodeError``; never I/O
- ``feed.encode``         tick → bytes, or ``EncodeError`` (used by the sandbox and tests)
- ``feed.subscriptions``  the desired subscription set and the requests that reach it
- ``feed.connection``     the connection loop both clients share: heartbeat, watchdog, backoff
- ``feed.client``         ``FeedClient`` for ``/smart-stream``
- ``feed.orderupdates``   ``OrderUpdateClient`` for ``/smart-order-update`` (AB00–AB11)
"""
