"""Every SmartAPI route the sandbox answers, by route name: one table from the API modules
(user, orders, position conversion, market data, GTT, money, option greeks, history). A known
route missing here is answered AB2000 by ``service`` after the full gateway pipeline."""

from __future__ import annotations

from angelctl.sandbox.rest.convert_api import HANDLERS as CONVERT_HANDLERS
from angelctl.sandbox.rest.greeks_api import HANDLERS as GREEKS_HANDLERS
from angelctl.sandbox.rest.gtt_api import HANDLERS as GTT_HANDLERS
from angelctl.sandbox.rest.history_api import HANDLERS as HISTORY_HANDLERS
from angelctl.sandbox.rest.market_api import HANDLERS as MARKET_HANDLERS
from angelctl.sandbox.rest.money_api import HANDLERS as MONEY_HANDLERS
from angelctl.sandbox.rest.order_api import HANDLERS as ORDER_HANDLERS
from angelctl.sandbox.rest.state import Handler
from angelctl.sandbox.rest.user_api import HANDLERS as USER_HANDLERS

HANDLERS: dict[str, Handler] = {
    **USER_HANDLERS,
    **ORDER_HANDLERS,
    **CONVERT_HANDLERS,
    **MARKET_HANDLERS,
    **GTT_HANDLERS,
    **MONEY_HANDLERS,
    **GREEKS_HANDLERS,
    **HISTORY_HANDLERS,
}
