"""The SmartAPI client: routes, one request choke point, envelopes, errors, rate limiter.

Entry points: ``SmartApi`` (typed calls: ``profile()``, ``funds()``, ``login()``…) built by
``angelctl.broker.factory.open_api``; ``RestClient.call(route, body)`` for raw calls; typed reads
in ``market`` (``fetch_quotes``, ``ltp``) and ``portfolio`` (``fetch_trades``,
``fetch_positions``, ``fetch_holdings``) over a ``BrokerSession``.
Invariants: TLS verification is always on, redirects are never followed, a write is retried
only when nothing can have been sent (connect failure) or the broker definitely refused it
(rate limit, invalid token); every call passes the shared cross-process rate limiter; secrets
appear in headers/bodies only, never in URLs, logs or exception text.
"""
