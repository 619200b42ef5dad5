"""The environment `make run` writes for its services."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from devstack.localstack import Ports, environment
from services.alerts.settings import AlertsSettings


def test_alert_links_point_at_the_runs_own_alerts_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in environment(tmp_path, Ports(alerts=61702)).items():
        monkeypatch.setenv(name, value)
    url = httpx.URL(AlertsSettings().alerts_public_url)
    assert (url.host, url.port) == ("127.0.0.1", 61702)
