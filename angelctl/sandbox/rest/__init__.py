"""The SmartAPI REST surface over the engine: one request in, one response out.

What lives here: the socket-free request processor ``SandboxEngine`` (``service``: route match,
faults, rate limit, gateway checks, handler, request log), the wire shapes (``wire``, ``routes``),
the gateway (``gateway``, ``sessions``, ``tokens``, ``ratelimit``), fault switches (``faults``),
the request log (``request_log``), the per-API handlers (``user_api``, ``order_api``,
``market_api``, ``gtt_api``) over ``state.BrokerState``, admin seeding (``seeding``), order-route
figures (``order_flow``) and the aiohttp adapter with the admin routes (``http``).

Rule (tests/sandbox/test_sandbox_layers.py): ``rest`` may import ``engine`` and the sandbox's
shared leaves, never ``ws`` or ``server``; the sockets are mounted by ``server`` through
``http.build_app(mounts=…)``.
"""
