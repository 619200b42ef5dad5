"""/metrics exposes statements by status, verify outcomes and request latency per route template."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from tests.support.compensation import Keys, as_, store_monthly

pytestmark = pytest.mark.integration


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_metrics_count_statements_verifications_and_time_routes(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17})
    drafted, blocked = (
        client.post(f"/agreements/{agreement}/statements", json={"period": "2025"}, headers=as_(keys.bureau))
        for agreement in ("XXJ-XIAOSHAN-KEQIAO", "HYJ-ZHUJI-FUYANG")
    )
    assert (drafted.status_code, blocked.status_code) == (201, 201)
    statement = drafted.json()["id"]
    assert client.get(f"/statements/{statement}/verify", headers=as_(keys.viewer)).json()["match"] is True
    assert client.get("/no/such/path").status_code == 404

    scraped = samples(client)
    assert scraped[("envmon_compensation_statements_computed_total", (("status", "draft"),))] == 1
    assert scraped[("envmon_compensation_statements_computed_total", (("status", "insufficient data"),))] == 1
    assert scraped[("envmon_compensation_verifications_total", (("outcome", "match"),))] == 1
    computed = (("method", "POST"), ("route", "/agreements/{agreement_id}/statements"), ("status", "201"))
    assert scraped[("envmon_compensation_request_seconds_count", computed)] == 2
    assert scraped[("envmon_compensation_request_seconds_sum", computed)] > 0
    verified = (("method", "GET"), ("route", "/statements/{statement_id}/verify"), ("status", "200"))
    assert scraped[("envmon_compensation_request_seconds_count", verified)] == 1
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert scraped[("envmon_compensation_request_seconds_count", unmatched)] == 1
