"""Typed values parsed once from SmartAPI's string-typed JSON. Nothing above reads raw dicts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from angelctl.broker.fields import decimal_field
from angelctl.errors import UnparseableResponse
from angelctl.records import record

if TYPE_CHECKING:
    from decimal import Decimal


def _as_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, str):  # the docs' sloppy '[ "NSE", "BSE" ]' form
        return tuple(v.strip(' "[]') for v in value.split(",") if v.strip(' "[]'))
    return ()


@record
class Profile:
    client_code: str
    name: str
    email: str
    mobile: str
    exchanges: tuple[str, ...]
    products: tuple[str, ...]
    last_login: str
    broker: str

    @classmethod
    def from_wire(cls, data: Any) -> Profile:
        if not isinstance(data, dict):
            raise UnparseableResponse("the broker's getProfile reply has no profile")
        return cls(
            client_code=str(data.get("clientcode", "")),
            name=str(data.get("name", "")),
            email=str(data.get("email", "")),
            mobile=str(data.get("mobileno", "")),
            exchanges=_as_list(data.get("exchanges")),
            products=_as_list(data.get("products")),
            last_login=str(data.get("lastlogintime", "")),
            broker=str(data.get("broker", data.get("brokerid", ""))),
        )


# getRMS keys and the project's names for them in JSON (docs/json.md: never the broker's keys).
FUNDS_KEYS = {
    "net": "net",
    "availablecash": "available_cash",
    "availableintradaypayin": "available_intraday_payin",
    "availablelimitmargin": "available_limit_margin",
    "collateral": "collateral",
    "m2munrealized": "m2m_unrealised",
    "m2mrealized": "m2m_realised",
    "utiliseddebits": "utilised_debits",
    "utilisedspan": "utilised_span",
    "utilisedoptionpremium": "utilised_option_premium",
    "utilisedholdingsales": "utilised_holding_sales",
    "utilisedexposure": "utilised_exposure",
    "utilisedturnover": "utilised_turnover",
    "utilisedpayout": "utilised_payout",
}
FUNDS_FIELDS = tuple(FUNDS_KEYS)


@record
class Funds:
    values: dict[str, Decimal]

    @classmethod
    def from_wire(cls, data: Any) -> Funds:
        if not isinstance(data, dict):
            raise UnparseableResponse("the broker's getRMS reply has no funds")
        return cls({key: decimal_field(data, key) for key in FUNDS_FIELDS if key in data})

    def as_dict(self) -> dict[str, Decimal]:
        """The fields the broker sent, under the project's snake_case names."""
        return {FUNDS_KEYS[key]: value for key, value in self.values.items()}

    @property
    def net(self) -> Decimal:
        return self.values.get("net") or decimal_field({}, "net")

    @property
    def available_cash(self) -> Decimal:
        return self.values.get("availablecash") or decimal_field({}, "availablecash")
