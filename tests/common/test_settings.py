"""Settings guard rails: driver and MQTT URL are checked at start-up."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.common.mqtt_url import MqttEndpoint
from services.common.settings import CommonSettings


def test_the_default_database_url_uses_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVMON_DATABASE_URL", "ENVMON_MQTT_URL"):
        monkeypatch.delenv(name, raising=False)
    assert CommonSettings().database_url.startswith("postgresql+psycopg://")


def test_environment_prefix_is_envmon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVMON_MQTT_URL", "mqtt://gw%2Fa:p%40ss@broker:8883")
    endpoint = CommonSettings().mqtt
    assert endpoint == MqttEndpoint(host="broker", port=8883, username="gw/a", password="p@ss")


def test_a_plain_postgresql_url_gets_the_psycopg_driver() -> None:
    assert CommonSettings(database_url="postgresql://u@h/db").database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("database_url", "mysql://u@h/db", r"postgresql\+psycopg://"),
        ("mqtt_url", "http://broker", "mqtt://"),
        ("mqtt_url", "mqtt://", "no host"),
    ],
)
def test_bad_settings_fail_at_start_up(field: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CommonSettings.model_validate({field: value})


def test_reporting_places_override_unverified_precisions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVMON_REPORTING_PLACES", '{"nh3n": 3}')
    assert CommonSettings().precision_table.of_concentration("nh3n").places == 3


def test_reporting_places_refuse_a_precision_the_standard_fixes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVMON_REPORTING_PLACES", '{"pm25": 1}')
    with pytest.raises(ValueError, match="fixed by HJ 633"):
        CommonSettings()
