"""Risk controls: the kill-switch latch and procedure, risk limits, the market calendar, the guard.

- ``risk.latch``         the persistent kill-switch latch every order-entry path checks
- ``risk.killswitch``    cancel everything, flatten, verify
- ``risk.watch``         the limit watch (`angelctl guard`): fires the kill switch on a breach
- ``risk.controls``      builds a profile's ``orders.checks.OrderControls`` (limits, latch, hours)
- ``risk.calendar``      exchange sessions, phases and AMO windows in Asia/Kolkata
- ``risk.holidays``      the holiday data file (shipped, or the user's), validation, NSE import
- ``risk.market_hours``  the order layer's "is this segment open now" check
"""
