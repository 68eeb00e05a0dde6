"""Risk controls: the kill-switch latch and procedure, risk limits, the guard.

- ``risk.latch``         the persistent kill-switch latch every order-entry path checks
- ``risk.killswitch``    cancel everything, flatten, verify
- ``risk.watch``         the limit watch (`angelctl guard`): fires the kill switch on a breach
- ``risk.controls``      builds a profile's ``orders.checks.OrderControls`` (limits, latch, hours)

The exchange calendar (sessions, holidays, AMO windows) is ``angelctl.exchange``; the order
layer's market-hours check built on it is ``orders.market_hours``.
"""
