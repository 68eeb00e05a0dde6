"""The sandbox's two WebSocket endpoints: the binary market feed and the order-update socket.

What lives here: ``hub`` (live connections, socket faults, heartbeat, the ``/_sandbox/ws`` admin
handlers), ``feed`` (``/smart-stream``: ticks from the engine's price process, encoded by
``angelctl.feed.encode``), ``orders`` (``/smart-order-update``: AB00–AB11 frames from the paper
broker's events) and ``endpoints`` (mounts them all on the app).

Rule (tests/sandbox/test_sandbox_layers.py): arrows run ``endpoints`` → ``feed``/``orders`` →
``hub``, never back; ``ws`` may import ``rest`` (``SandboxEngine``, sessions, faults) and
``engine``, never ``server``; of ``angelctl.feed`` only ``encode``, ``ticks`` and ``layout``.
"""
