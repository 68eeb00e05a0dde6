"""Config file, profiles and environment overrides: resolution and clear errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from angelctl.config import (
    LIVE_URLS,
    config_path,
    load_config_file,
    resolve_profile,
    selected_profile_name,
)
from angelctl.config_edit import set_config_key
from angelctl.config_keys import parse_rate_spec
from angelctl.errors import ConfigError
from angelctl.status import ExitStatus


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_live_profile_gets_live_urls_and_config_values() -> None:
    write_config('[profiles.main]\nclient_code = "a123"\npublic_ip = "203.0.113.7"\n')
    settings = resolve_profile(load_config_file(), "main")
    assert settings.client_code == "A123"
    assert settings.api_url == LIVE_URLS["api_url"]
    assert settings.public_ip == "203.0.113.7"
    assert settings.sources["public_ip"] == "config"
    assert settings.sources["api_url"] == "default"


def test_sandbox_profile_derives_every_url_from_its_root() -> None:
    write_config('[profiles.s]\nenvironment = "sandbox"\napi_url = "http://127.0.0.1:9999"\n')
    settings = resolve_profile(load_config_file(), "s")
    assert settings.ws_url == "ws://127.0.0.1:9999/smart-stream"
    assert settings.order_ws_url == "ws://127.0.0.1:9999/smart-order-update"
    assert settings.instruments_url.endswith("/OpenAPI_File/files/OpenAPIScripMaster.json")


def test_environment_variables_override_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('[profiles.main]\nclient_code = "A1234"\n')
    monkeypatch.setenv("ANGELCTL_API_URL", "http://127.0.0.1:1234")
    monkeypatch.setenv("ANGELCTL_WS_URL", "ws://127.0.0.1:1234/x")
    settings = resolve_profile(load_config_file(), "main")
    assert settings.api_url == "http://127.0.0.1:1234"
    assert settings.ws_url == "ws://127.0.0.1:1234/x"
    assert settings.sources["api_url"] == "env ANGELCTL_API_URL"


def test_profile_selection_order(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config_file(write_config('default_profile = "b"\n[profiles.a]\n[profiles.b]\n'))
    assert selected_profile_name(None, cfg) == "b"
    monkeypatch.setenv("ANGELCTL_PROFILE", "a")
    assert selected_profile_name(None, cfg) == "a"
    assert selected_profile_name("b", cfg) == "b"


def test_angelctl_config_points_at_another_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.toml"
    other.write_text('[profiles.x]\nclient_code = "X1234"\n')
    monkeypatch.setenv("ANGELCTL_CONFIG", str(other))
    assert resolve_profile(load_config_file(), "x").client_code == "X1234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[profiles.main\n", "is not valid TOML"),
        ('[profiles.main]\nread_timeout = "fast"\n', "profiles.main.read_timeout: expected a"),
        ('[profiles.main]\napi_urll = "https://x"\n', "did you mean profiles.main.api_url"),
        ('[profiles.main]\nenvironment = "paper"\n', "expected one of live, sandbox"),
        ('[profiles.main]\npublic_ip = "1.2.3"\n', "expected an IP address"),
        ('[profiles.main]\nmac_address = "zz"\n', "expected a MAC address"),
        ('[profiles.main]\napi_url = "ftp://x"\n', "expected a http/https URL"),
        ('[profiles.main.rate_limits]\nplaceOrder = "fast"\n', "rate_limits.placeOrder"),
        ('colour = "red"\n', "colour: unknown key"),
    ],
)
def test_bad_config_names_file_key_and_problem(text: str, expected: str) -> None:
    path = write_config(text)
    with pytest.raises(ConfigError) as info:
        load_config_file()
    assert str(path) in info.value.message
    assert expected in info.value.message
    assert info.value.exit_status == ExitStatus.CONFIG


def test_unknown_profile_suggests_login() -> None:
    write_config("[profiles.main]\n")
    with pytest.raises(ConfigError) as info:
        resolve_profile(load_config_file(), "nope")
    assert "profile 'nope' is not configured" in info.value.message
    assert info.value.hint and "angelctl login --profile nope" in info.value.hint


def test_rate_spec_parsing() -> None:
    assert parse_rate_spec("9/s, 500/min, 1000/h") == ((9, 1.0), (500, 60.0), (1000, 3600.0))
    assert parse_rate_spec("2/10s") == ((2, 10.0),)
    with pytest.raises(ValueError):
        parse_rate_spec("0/s")


def test_config_set_keeps_comments_validates_and_writes_0600() -> None:
    path = write_config('# my notes\n[profiles.main]\nclient_code = "A1234"\n')
    set_config_key(path, "profiles.main.read_timeout", "12.5")
    set_config_key(path, "profiles.main.rate_limits.getRMS", "1/s")
    text = path.read_text()
    assert "# my notes" in text
    settings = resolve_profile(load_config_file(), "main")
    assert settings.read_timeout == 12.5
    assert settings.rate_limits["getRMS"] == ((1, 1.0),)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(ConfigError):
        set_config_key(path, "profiles.main.environment", "paper")
    assert "environment" not in path.read_text()  # a refused value never reaches the file


@pytest.mark.parametrize("xdg", [True, False])
def test_folders_match_platformdirs(monkeypatch: pytest.MonkeyPatch, xdg: bool) -> None:
    """config/state/cache folders are computed without importing platformdirs on Linux;
    they must be exactly what platformdirs says."""
    from platformdirs import user_cache_path, user_config_path, user_state_path

    from angelctl.config import cache_dir, config_dir, state_dir

    if not xdg:
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            monkeypatch.delenv(var, raising=False)
    assert config_dir() == Path(user_config_path("angelctl"))
    assert state_dir() == Path(user_state_path("angelctl"))
    assert cache_dir() == Path(user_cache_path("angelctl"))
