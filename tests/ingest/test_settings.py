"""The ingest defaults keep the sizing rule the settings module states: acks wait for commits, so the broker's
in-flight window must hold the batch being committed, the one waiting behind it and the one filling."""

from __future__ import annotations

from services.ingest.settings import BROKER_INFLIGHT_WINDOW, IngestSettings

# A gateway's JSON message carries about this many readings (one water station's set; docs/ingest.md).
READINGS_PER_MESSAGE = 8


def test_the_in_flight_window_holds_three_default_batches() -> None:
    settings = IngestSettings(database_url="postgresql://envmon@localhost/envmon")
    assert settings.ingest_receive_maximum == BROKER_INFLIGHT_WINDOW
    assert 3 * settings.ingest_batch_rows <= BROKER_INFLIGHT_WINDOW * READINGS_PER_MESSAGE
