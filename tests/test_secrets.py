"""Secrets: masking value type, file modes (docs/scenarios.md#d4--file-permissions), session cache
rules, TOTP discipline (docs/scenarios.md#d5--login-and-totp-discipline)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest

from angelctl.clock import IST
from angelctl.errors import NoSecureKeyring
from angelctl.fsutil import atomic_write_private
from angelctl.secrets import (
    KeyringStore,
    PlaintextStore,
    Secret,
    redact,
    validate_totp_secret,
)
from angelctl.tokens import SessionStore, SessionTokens, TotpLedger, jwt_expiry, session_expiry
from tests.conftest import ShiftedClock

CANARY = "canary-secret-value-7731"


def test_secret_never_formats_its_value() -> None:
    secret = Secret(CANARY)
    rendered = [str(secret), repr(secret), f"{secret}", f"{secret}", f"{[secret]}"]
    assert all(CANARY not in text for text in rendered)
    assert secret.reveal() == CANARY
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


def test_redact_scrubs_registered_values_but_not_short_ones() -> None:
    Secret(CANARY)
    Secret("1234")  # an MPIN: too short to scrub by value (would eat ports and prices)
    assert redact(f"x {CANARY} y") == "x *** y"
    assert redact("port 12345") == "port 12345"


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_private_files_are_0600_in_0700_folders_under_any_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        target = tmp_path / "deep" / "state" / "sessions" / "p.json"
        atomic_write_private(target, b"{}")
        atomic_write_private(target, b'{"x": 1}')
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert target.read_bytes() == b'{"x": 1}'
    assert [p.name for p in target.parent.iterdir()] == ["p.json"]  # no temp file left


def _tokens(issued: datetime, expires: datetime, api_url: str = "http://x") -> SessionTokens:
    return SessionTokens(
        "C1",
        api_url,
        Secret("key-123456789"),
        Secret("jwt-123456789"),
        Secret("ref-123456789"),
        Secret("feed-123456789"),
        issued,
        expires,
    )


def test_session_cache_round_trip_and_rules(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions")
    issued = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 09:30 IST
    store.save("p", _tokens(issued, issued + timedelta(hours=10)))
    loaded = store.load("p", api_url="http://x", client_code="C1")
    assert loaded is not None and loaded.jwt.reveal() == "jwt-123456789"
    assert loaded.valid_at(issued + timedelta(hours=1))
    assert not loaded.valid_at(issued + timedelta(hours=11))
    assert store.load("p", api_url="http://other", client_code="C1") is None
    assert store.load("p", api_url="http://x", client_code="C2") is None
    assert stat.S_IMODE(store.path("p").stat().st_mode) == 0o600


def test_a_session_from_the_previous_ist_day_is_thrown_away() -> None:
    issued = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # 23:30 IST on the 24th
    tokens = _tokens(issued, issued + timedelta(days=2))  # a lying expiry
    next_day = datetime(2026, 11, 24, 18, 31, tzinfo=UTC)  # 00:01 IST on the 25th
    assert next_day.astimezone(IST).day == 25
    assert not tokens.valid_at(next_day)


def test_damaged_session_cache_is_discarded(tmp_path: Path) -> None:
    store = SessionStore(tmp_path)
    store.path("p").write_text("{not json")
    assert store.load("p", api_url="http://x", client_code="") is None
    assert not store.path("p").exists()


def test_session_expiry_is_the_earlier_of_jwt_exp_and_midnight_ist() -> None:
    import base64
    import json

    def jwt(exp: datetime) -> str:
        body = base64.urlsafe_b64encode(json.dumps({"exp": int(exp.timestamp())}).encode())
        return f"eyJhbGciOiJIUzUxMiJ9.{body.decode().rstrip('=')}.sig"

    issued = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 09:30 IST
    midnight = datetime(2026, 11, 25, 18, 30, tzinfo=UTC)
    long_jwt = jwt(issued + timedelta(hours=24))
    short_jwt = jwt(issued + timedelta(hours=2))
    assert jwt_expiry(long_jwt) == issued + timedelta(hours=24)
    assert session_expiry(long_jwt, issued, "earliest") == midnight
    assert session_expiry(short_jwt, issued, "earliest") == issued + timedelta(hours=2)
    assert session_expiry(long_jwt, issued, "jwt") == issued + timedelta(hours=24)
    assert session_expiry(short_jwt, issued, "midnight") == midnight
    assert session_expiry("not-a-jwt", issued, "earliest") == midnight


def test_totp_ledger_never_hands_out_a_step_twice(tmp_path: Path) -> None:
    clock = ShiftedClock()
    seed = Secret(pyotp.random_base32())
    ledger = TotpLedger(tmp_path, clock)
    first, waited_first = ledger.next_code("p", seed)
    second, waited_second = ledger.next_code("p", seed)
    assert waited_first == 0
    assert 0 < waited_second <= 30  # it waited for the next 30 s step ...
    assert first != second or waited_second > 0
    step_now = int(clock.now().timestamp() // 30)
    assert second == pyotp.TOTP(seed.reveal()).at(step_now * 30)  # ... and used that step
    assert stat.S_IMODE((tmp_path / "p.totp-step").stat().st_mode) == 0o600


def test_totp_seed_validation() -> None:
    assert validate_totp_secret("jbsw y3dp ehpk 3pxp") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(ValueError):
        validate_totp_secret("not!base32")
    with pytest.raises(ValueError):
        validate_totp_secret("ABC")


def test_plaintext_store_is_0600_and_round_trips(tmp_path: Path) -> None:
    store = PlaintextStore(tmp_path / "state" / "credentials.json")
    store.set("p", "api_key", Secret("api-key-987654"))
    assert store.get("p", "api_key") == Secret("api-key-987654")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    store.delete("p", "api_key")
    assert store.get("p", "api_key") is None


def test_no_keyring_backend_fails_closed() -> None:
    # The test environment has no D-Bus session: keyring has no secure backend.
    with pytest.raises(NoSecureKeyring) as info:
        KeyringStore()
    assert info.value.hint and "--allow-plaintext-store" in info.value.hint


def test_keyrings_alt_plaintext_backend_is_refused(tmp_path: Path) -> None:
    """With keyrings.alt's file backend selected, angelctl still fails closed
    (docs/scenarios.md#d3--no-keyring-backend)."""
    code = (
        "import keyring\n"
        "from keyring.backends import fail\n"
        "class Plain(fail.Keyring):\n"
        "    priority = 1\n"
        "Plain.__module__ = 'keyrings.alt.file'\n"
        "keyring.set_keyring(Plain())\n"
        "from angelctl.secrets import keyring_backend_problem\n"
        "print(keyring_backend_problem())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
        check=True,
    ).stdout
    assert "no secure keyring backend" in out and "keyrings.alt.file" in out


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("X-PrivateKey", True),
        ("Authorization", True),
        ("X-Feed-Token", True),
        ("X-Sandbox-Admin", True),
        ("refreshToken", True),
        ("client_secret", True),
        ("accessToken", True),
        ("totp", True),
        ("symboltoken", False),
        ("token", False),
        ("tokenList", False),
        ("clientcode", False),
        ("X-ClientPublicIP", False),
    ],
)
def test_secret_looking_names(name: str, secret: bool) -> None:
    from angelctl.masking import is_secret_name

    assert is_secret_name(name) is secret


def test_urls_and_bodies_are_masked_by_name_and_left_alone_without_secrets() -> None:
    from angelctl.masking import mask_text, mask_url

    assert (
        mask_url("/p?clientCode=A1&feedToken=abc&apiKey=k")
        == "/p?clientCode=A1&feedToken=***&apiKey=***"
    )
    assert (
        mask_url("/p?%7B%22refreshToken%22:%20%22RT%22%7D")
        == "/p?%7B%22refreshToken%22:%20%22***%22%7D"
    )
    assert mask_url("/p?%7B%7D") == "/p?%7B%7D"
    assert mask_text('{"password":"1234","totp":"123456","x":1}') == (
        '{"password": "***", "totp": "***", "x": 1}'
    )
    assert mask_text('{"clientcode":"A1"}') == '{"clientcode":"A1"}'  # untouched, byte for byte
    assert mask_text("password=1234&state=live") == "password=***&state=live"
    assert mask_text("[" * 5000 + "]" * 5000) == "***"  # too deep to mask: all of it
