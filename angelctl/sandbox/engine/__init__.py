"""The sandbox's broker world, with no wire protocol, HTTP or sockets in it.

What lives here: accounts (``accounts``), the day's instruments (``contracts``, ``instrument``,
``pricing``, ``listing``, ``universe``), the price process (``market``), the paper broker
(``paper``: OMS checks, matching, funds, GTT firing, report rows, segment meters), its typed
records and their SmartAPI row shapes (``orders``, ``portfolio``, ``gtt``) and throughput meters
(``meters``).

Rule (tests/sandbox/test_sandbox_layers.py): the engine imports only itself, the sandbox's
shared leaves (``sandbox.clock``, ``sandbox.config``/``config_defaults``,
``sandbox.market_calendar``, ``sandbox.trading_hours``), ``angelctl.records`` and the standard
library — never the transports (``sandbox.rest``, ``sandbox.ws``, ``sandbox.server``). Callers
bring requests to it; it never reaches out to them.
"""
