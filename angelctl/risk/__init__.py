"""Risk controls: the market calendar and the market-hours check of the order layer.

- ``risk.calendar``      exchange sessions, phases and AMO windows in Asia/Kolkata
- ``risk.holidays``      the holiday data file (shipped, or the user's), validation, NSE import
- ``risk.market_hours``  the order layer's "is this segment open now" check
"""
