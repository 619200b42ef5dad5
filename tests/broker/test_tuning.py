"""The shipped production Mosquitto configuration carries the tuning ingest relies on."""

from __future__ import annotations

from pathlib import Path

from services.broker.tuning import BROKER_TUNING
from services.ingest.settings import IngestSettings

SHIPPED = Path(__file__).parents[2] / "deploy" / "mosquitto" / "mosquitto.conf"


def _directives() -> dict[str, str]:
    lines = (line.split(None, 1) for line in SHIPPED.read_text().splitlines() if line and not line.startswith("#"))
    return {parts[0]: parts[1] if len(parts) > 1 else "" for parts in lines}


def test_shipped_conf_carries_broker_tuning_and_auth() -> None:
    directives = _directives()
    assert {key: directives.get(key) for key in BROKER_TUNING} == BROKER_TUNING
    assert directives["allow_anonymous"] == "false"
    assert directives["persistence"] == "true"
    assert "password_file" in directives and "acl_file" in directives


def test_receive_maximum_matches_the_broker_window() -> None:
    assert IngestSettings().ingest_receive_maximum == int(BROKER_TUNING["max_inflight_messages"])
