"""The gateway's settings: documented defaults and the guard between the two timeouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.hj212_gateway.settings import HJ212GatewaySettings


def test_defaults_are_the_documented_ports_and_the_2017_length_limit() -> None:
    settings = HJ212GatewaySettings()
    assert (settings.hj212_tcp_port, settings.hj212_http_port, settings.hj212_max_data_length) == (9212, 8004, 1024)
    assert settings.hj212_idle_timeout > timedelta(hours=1)  # hourly-only loggers stay connected


@pytest.mark.parametrize(
    ("overrides", "valid"),
    [
        ({"hj212_idle_timeout": "PT10S", "hj212_partial_frame_timeout": "PT30S"}, False),
        ({"hj212_idle_timeout": "PT30S", "hj212_partial_frame_timeout": "PT30S"}, True),
        ({"hj212_max_data_length": 10_000}, False),
        ({"hj212_max_bad_frames": 0}, False),
    ],
)
def test_settings_guards(overrides: dict[str, object], valid: bool) -> None:
    if valid:
        HJ212GatewaySettings.model_validate(overrides)
    else:
        with pytest.raises(ValidationError):
            HJ212GatewaySettings.model_validate(overrides)
