"""The exchange calendar: when each Indian exchange segment trades, in Asia/Kolkata.

Facts about the exchanges, with no client code in them, shared by the client (``config``,
``orders``, ``cli``) and the sandbox alike:

- ``exchange.zones``      IST conversion and formatting, ``HH:MM`` parsing, the US DST rule
- ``exchange.segments``   the segments (NSE, BSE, NFO, BFO, CDS, MCX, NCDEX) and their holiday
                          calendars (CM, FO, CD, COM)
- ``exchange.holidays``   the holiday data file: format, validation, the shipped copy, a user copy
- ``exchange.nse_import`` importing NSE's holiday-master JSON into the data file
- ``exchange.sessions``   a segment's sessions on a day (regular, special such as Muhurat, part-day)
- ``exchange.amo``        after-market-order windows and a profile's market-hours policy
- ``exchange.calendar``   ``MarketCalendar``: the phase of a segment at an instant, next open/close
- ``exchange.decision``   whether an order may go now, only as an AMO, or not at all

Invariants: this package imports nothing from the client (``broker``, ``orders``, ``risk``,
``config``, ``secrets``, ``cli``, ``render``) nor from the sandbox; only the standard library
and the leaf utilities ``angelctl.clock``, ``angelctl.errors`` and ``angelctl.records`` (a
test in a fresh interpreter keeps it so). It reads no configuration: the caller passes the
user's holiday file path. This ``__init__`` imports nothing, so importing one module costs only
that module.
"""
