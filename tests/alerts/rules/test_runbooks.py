"""The runbook page every alert's runbook_url points at: one section per rule, in Chinese, with its board."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from services.alerts.api import create_app
from services.alerts.rules import runbooks
from services.alerts.rules.definitions import load_rules
from services.alerts.settings import BUILT_IN_RULES, AlertsSettings
from services.standards.reporting import DEFAULT_TABLE

BOOK = load_rules(BUILT_IN_RULES)


def test_every_rule_has_its_section_with_conditions_and_board() -> None:
    page = runbooks.render(BOOK, DEFAULT_TABLE, "http://grafana.test")
    for rule in BOOK.rules:
        assert f'<section id="{rule.name}">' in page
    assert "值 &lt; 90.0 % 时触发；值 ≥ 90.0 % 时恢复" in page  # the good-day target, at reporting precision
    assert "值 &lt; 11 天 时触发；值 ≥ 13 天 时恢复" in page  # the bad-day budget's hysteresis
    assert 'href="http://grafana.test/d/envmon-air?viewPanel=2"' in page


@pytest.mark.integration
def test_the_api_serves_the_page(engine: Engine) -> None:
    settings = AlertsSettings(grafana_url="http://grafana.test")
    client = TestClient(create_app(engine, settings, metrics_registry=CollectorRegistry()))
    response = client.get("/runbooks")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "告警处置手册" in response.text and 'href="http://grafana.test/d/envmon-water?viewPanel=1"' in response.text
