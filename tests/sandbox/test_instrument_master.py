"""The instrument master download over real sockets: body, framing, gzip, faults, day rollover."""

from __future__ import annotations

import gzip
import http.client
import json
from datetime import UTC, datetime

import pytest
import requests

from angelctl.sandbox import ManualClock, SandboxServer
from angelctl.sandbox.clock import IST

from .conftest import RMS, START, Broker

MASTER = "/OpenAPI_File/files/OpenAPIScripMaster.json"


def fetch(
    server: SandboxServer, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[http.client.HTTPResponse, bytes]:
    """One request on a fresh connection; the body exactly as framed on the wire."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request(method, MASTER, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_master_is_one_json_array_with_an_exact_content_length(sandbox: SandboxServer) -> None:
    response, body = fetch(sandbox)

    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("application/json")
    assert response.getheader("Content-Encoding") is None
    assert int(response.getheader("Content-Length", "-1")) == len(body)
    rows = json.loads(body)
    assert rows == sandbox.engine.universe.rows
    assert body == json.dumps(rows, separators=(",", ":")).encode()


def test_master_is_gzipped_when_the_client_accepts_gzip(sandbox: SandboxServer) -> None:
    plain = fetch(sandbox)[1]

    response, body = fetch(sandbox, {"Accept-Encoding": "gzip, deflate"})

    assert response.getheader("Content-Encoding") == "gzip"
    assert response.getheader("Vary") == "Accept-Encoding"
    assert int(response.getheader("Content-Length", "-1")) == len(body) < len(plain) / 5
    assert gzip.decompress(body) == plain
    assert fetch(sandbox, {"Accept-Encoding": "gzip;q=0, identity"})[1] == plain


def test_requests_gets_the_master_transparently(sandbox: SandboxServer) -> None:
    response = requests.get(sandbox.instruments_url, timeout=5)

    assert response.headers["Content-Encoding"] == "gzip"  # requests asks for gzip itself
    assert len(response.json()) == len(sandbox.engine.universe)


def test_master_needs_no_headers_is_not_rate_limited_and_is_logged(broker: Broker) -> None:
    for _ in range(30):
        assert fetch(broker.server)[0].status == 200

    records = broker.requests_seen("instrumentMaster")
    assert len(records) == 30
    assert {(r["method"], r["target"], r["status"], r["code"]) for r in records} == {
        ("GET", MASTER, 200, "")
    }
    stats = broker.admin_get("/stats")
    assert stats["routes"]["instrumentMaster"] == {"calls": 30, "ok": 30, "rejects": {}}
    assert stats["rate_limited"] == 0 and "instrumentMaster" not in stats["buckets"]


def test_master_answers_405_to_other_methods(sandbox: SandboxServer) -> None:
    response, _ = fetch(sandbox, method="POST")

    assert response.status == 405
    assert response.getheader("Allow") == "GET"


def test_master_follows_the_ist_trading_day_of_the_clock(
    sandbox: SandboxServer, sandbox_clock: ManualClock
) -> None:
    def nifty_expiries() -> set[str]:
        rows = json.loads(fetch(sandbox)[1])
        return {r["expiry"] for r in rows if r["name"] == "NIFTY" and r["exch_seg"] == "NFO"}

    assert "10MAR2026" in nifty_expiries()  # START is 10-Mar-2026 10:00 IST, an expiry day
    first = sandbox.engine.universe
    assert sandbox.engine.universe is first  # kept for the day

    sandbox_clock.set(datetime(2026, 3, 10, 18, 29, 59, tzinfo=UTC))
    assert "10MAR2026" in nifty_expiries()  # 23:59:59 IST

    sandbox_clock.set(datetime(2026, 3, 10, 18, 30, tzinfo=UTC))

    assert "10MAR2026" not in nifty_expiries()  # 00:00 IST on the 11th, still the 10th in UTC
    assert sandbox.engine.universe.trading_day.isoformat() == "2026-03-11"
    assert "14APR2026" not in nifty_expiries() and "13APR2026" in nifty_expiries()


def test_reset_keeps_the_immutable_universe_of_the_day(
    sandbox: SandboxServer, sandbox_clock: ManualClock
) -> None:
    before = sandbox.engine.universe

    sandbox.engine.reset()
    kept = sandbox.engine.universe
    sandbox_clock.set(datetime(2026, 3, 11, 10, 0, tzinfo=IST))

    assert kept is before
    assert sandbox.engine.universe.trading_day.isoformat() == "2026-03-11"


# ------------------------------------------------------------------------------ faults


def test_truncate_sends_less_than_the_advertised_length_then_closes(broker: Broker) -> None:
    full = fetch(broker.server)[1]
    broker.fault(name="truncate", route="instrumentMaster", fraction=0.25, count=1)

    connection = http.client.HTTPConnection("127.0.0.1", broker.server.port, timeout=5)
    connection.request("GET", MASTER)
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()

    assert response.status == 200
    assert int(response.getheader("Content-Length", "-1")) == len(full)
    assert len(caught.value.partial) == int(len(full) * 0.25)
    assert full.startswith(caught.value.partial)
    assert broker.requests_seen("instrumentMaster")[-1]["faults"] == ["truncate"]
    assert fetch(broker.server)[1] == full  # count=1: the next download is whole


def test_truncate_default_cuts_a_gzip_body_in_half(broker: Broker) -> None:
    broker.fault(name="truncate", route="instrumentMaster")

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(broker.server.instruments_url, timeout=5)

    connection = http.client.HTTPConnection("127.0.0.1", broker.server.port, timeout=5)
    connection.request("GET", MASTER, headers={"Accept-Encoding": "gzip"})
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    advertised = int(response.getheader("Content-Length", "-1"))
    assert response.getheader("Content-Encoding") == "gzip"
    assert len(caught.value.partial) == advertised // 2


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("html", "text/html"), ("cut_json", "application/json"), ("binary", "application/json")],
)
def test_garbage_is_a_200_whose_body_is_not_json(
    broker: Broker, kind: str, content_type: str
) -> None:
    broker.fault(name="garbage", route="instrumentMaster", kind=kind)

    response, body = fetch(broker.server, {"Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith(content_type)
    assert response.getheader("Content-Encoding") is None
    assert int(response.getheader("Content-Length", "-1")) == len(body) > 0
    with pytest.raises(ValueError):
        json.loads(body)
    assert broker.requests_seen("instrumentMaster")[-1]["code"] == "garbage"


def test_garbage_defaults_to_an_html_page(broker: Broker) -> None:
    broker.fault(name="garbage", route="instrumentMaster")

    response, body = fetch(broker.server)

    assert response.getheader("Content-Type", "").startswith("text/html")
    assert body.startswith(b"<!DOCTYPE html>")


def test_http_5xx_on_the_master_leaves_the_api_alone(broker: Broker) -> None:
    broker.fault(name="http_5xx", route="instrumentMaster", status=502)

    response, body = fetch(broker.server)
    assert response.status == 502
    assert b"502 Bad Gateway" in body
    assert broker.get(RMS).status_code == 200  # the REST gateway still answers


def test_drop_on_the_master_closes_without_a_reply(broker: Broker) -> None:
    broker.fault(name="drop", route="instrumentMaster", count=1)

    with pytest.raises(requests.ConnectionError):
        requests.get(broker.server.instruments_url, timeout=5)
    assert fetch(broker.server)[0].status == 200


def test_a_star_fault_reaches_the_master_too(broker: Broker) -> None:
    broker.fault(name="http_5xx", count=1)

    assert fetch(broker.server)[0].status == 503


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "truncate", "fraction": 1.0},
        {"name": "truncate", "fraction": -0.1},
        {"name": "truncate", "fraction": "half"},
        {"name": "garbage", "kind": "xml"},
        {"name": "garbage", "route": "instrumentmaster"},
    ],
)
def test_bad_master_fault_specs_are_refused(broker: Broker, spec: dict[str, object]) -> None:
    response = broker.admin_post("/faults", spec)

    assert response.status_code == 400
    assert broker.admin_get("/faults") == []


def test_truncate_works_on_a_rest_route_after_the_engine_acted(broker: Broker) -> None:
    broker.fault(name="truncate", route="loginByPassword", fraction=0.5, count=1)

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        broker.login()

    assert broker.admin_get("/stats")["sessions_live"] == 1


# ------------------------------------------------------------------------------- admin


def test_admin_instruments_filters_rows_and_gives_reference_prices(broker: Broker) -> None:
    found = broker.admin_get("/instruments", params={"exch_seg": "NSE", "symbol": "SBIN-EQ"})

    assert found["trading_day"] == START.date().isoformat()
    assert found["count"] == 1
    assert found["rows"][0]["token"] == "3045"
    assert found["reference_prices"] == {"NSE:3045": "1050.0"}
    futures = broker.admin_get("/instruments", params={"name": "NIFTY", "instrumenttype": "FUTIDX"})
    assert [r["symbol"] for r in futures["rows"]] == [
        "NIFTY30MAR26FUT",
        "NIFTY28APR26FUT",
        "NIFTY26MAY26FUT",
    ]
    assert broker.requests_seen() == []  # admin calls are not logged


def test_admin_instruments_refuses_unknown_filters(broker: Broker) -> None:
    response = broker.admin("GET", "/instruments", params={"exchange": "NSE"})

    assert response.status_code == 400
    assert "exch_seg" in response.json()["error"]
