"""The SmartAPI client: routes, one request choke point, envelopes, errors, rate limiter.

Entry points: ``SmartApi`` (typed ``profile()`` and ``funds()``, raw ``call(route, body)``)
opened by ``angelctl.broker.api.open_api`` (a ``BrokerSession`` from ``build_session``);
``BrokerSession`` (``session``: login, renewal, the resend policy) over ``RestClient``
(``client``: one request choke point). Typed routes over a ``BrokerSession``: ``orders``
(``place``, ``modify``, ``cancel``, ``read_book``, ``order_details``, ``BrokerOrder``),
``gtt`` (``create_rule``, ``list_rules`` …), ``market`` (``fetch_quotes``, ``ltp``) and
``portfolio`` (``fetch_trades``, ``fetch_positions``, ``fetch_holdings``).
Invariants: TLS verification is always on, redirects are never followed, a write is retried
only when nothing can have been sent (connect failure) or the broker definitely refused it
(rate limit, invalid token); every call passes the shared cross-process rate limiter; secrets
appear in headers/bodies only, never in URLs, logs or exception text.
"""
