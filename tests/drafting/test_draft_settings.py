"""Settings: environment over config file over defaults; no endpoint means the local model."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import drafting.local_model
from drafting.api import build_client, resolve_settings
from drafting.errors import ConfigError
from drafting.settings import OPENAI_BASE_URL, Settings, load_settings, redact_url

EMPTY: dict[str, str] = {}


def test_nothing_configured_means_the_local_model(tmp_path: Path) -> None:
    settings = load_settings(EMPTY, tmp_path / "none.toml")
    assert not settings.configured and settings.source == "defaults"


def test_huashu_variables_win_over_openai_ones(tmp_path: Path) -> None:
    env = {
        "HUASHU_BASE_URL": "http://a/v1",
        "OPENAI_BASE_URL": "http://b/v1",
        "OPENAI_API_KEY": "sk-o",
        "HUASHU_MODEL": "m",
        "HUASHU_TIMEOUT": "7.5",
        "HUASHU_STRUCTURED_MODE": "json_object",
    }
    settings = load_settings(env, tmp_path / "none.toml")
    assert (settings.base_url, settings.api_key, settings.model) == ("http://a/v1", "sk-o", "m")
    assert settings.timeout_s == 7.5 and settings.structured_mode == "json_object"
    assert "HUASHU_BASE_URL" in settings.source and "OPENAI_API_KEY" in settings.source


def test_a_key_alone_means_openai(tmp_path: Path) -> None:
    settings = load_settings({"OPENAI_API_KEY": "sk-o"}, tmp_path / "none.toml")
    assert settings.configured and settings.base_url == OPENAI_BASE_URL


def test_the_config_file_under_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[endpoint]\nbase_url = "http://file/v1"\nmodel = "file-model"\nmax_retries = 5\n')
    settings = load_settings({"HUASHU_CONFIG": str(path), "HUASHU_MODEL": "env-model"})
    assert (settings.base_url, settings.model, settings.max_retries) == ("http://file/v1", "env-model", 5)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[endpoint\n", "invalid TOML"),
        ('[endpoint]\nbase_uri = "x"\n', "unknown \\[endpoint\\] key 'base_uri'"),
        ('[endpoint]\ntimeout_s = "soon"\n', "not a number"),
        ('[endpoint]\nstructured_mode = "xml"\n', "unknown structured output mode"),
    ],
)
def test_a_bad_config_file_is_a_clear_error(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=error):
        load_settings(EMPTY, path)


def test_settings_are_read_when_a_client_is_built(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("HUASHU_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("HUASHU_MODEL", "late-model")
    assert build_client().model == "late-model"


def test_without_an_endpoint_the_local_model_is_started(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HUASHU_BASE_URL", "OPENAI_BASE_URL", "HUASHU_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUASHU_CONFIG", str(tmp_path / "none.toml"))
    statuses: list[str] = []
    endpoint = SimpleNamespace(
        base_url="http://127.0.0.1:41234/v1", model="local-alias", pid=1, structured_mode="json_object_schema"
    )

    def fake_ensure_server(*, on_status: object = None) -> SimpleNamespace:
        statuses.append("started")
        return endpoint

    monkeypatch.setattr(drafting.local_model, "ensure_server", fake_ensure_server)
    settings = resolve_settings()
    assert statuses == ["started"]
    assert (settings.base_url, settings.model, settings.structured_mode) == (
        "http://127.0.0.1:41234/v1",
        "local-alias",
        "json_object_schema",
    )
    assert settings.source == "embedded local model"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@host:8080/v1", "http://***@host:8080/v1"),
        ("https://only-a-token@host/v1", "https://***@host/v1"),
        ("http://h/v1?api-key=a&api-version=2024-06-01", "http://h/v1?api-key=***&api-version=2024-06-01"),
        (
            "http://h/v1?key=a&access_token=b&sig=c&x-api-key=d&client_secret=e",
            "http://h/v1?key=***&access_token=***&sig=***&x-api-key=***&client_secret=***",
        ),
        ("http://u:p@h:notaport/v1", "http://***@h:notaport/v1"),
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
    ],
)
def test_credentials_in_an_endpoint_url_are_masked_wherever_it_is_shown(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_every_configured_secret_is_masked_in_a_message() -> None:
    settings = Settings(base_url="http://bob:pa55-w0rd@h/v1?token=tok-123456", api_key="sk-abcdefgh")
    assert set(settings.secrets) == {"pa55-w0rd", "tok-123456", "sk-abcdefgh"}
    message = "401 for sk-abcdefgh at http://bob:pa55-w0rd@h/v1?token=tok-123456; user bob"
    assert settings.redact(message) == "401 for *** at http://bob:***@h/v1?token=***; user bob"
    assert settings.shown_url == "http://***@h/v1?token=***"
