"""Risk controls: the kill-switch latch and procedure, risk limits, the market calendar, the guard.

- ``risk.latch``         the persistent kill-switch latch every order-entry path checks
- ``risk.killswitch``    cancel everything, flatten, verify
- ``risk.guard``         the watcher that fires the kill switch on a loss or order-rate breach
- ``risk.calendar``      exchange sessions, phases and AMO windows in Asia/Kolkata
- ``risk.holidays``      the holiday data file (shipped, or the user's), validation, NSE import
- ``risk.market_hours``  the order layer's "is this segment open now" check
"""
