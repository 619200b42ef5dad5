"""The KPI and alerts API on the real database: figures at reporting precision (or exact on request),
bad parameters answered 422 naming them, acknowledgements with their actor, and the OpenAPI contract
fuzzed by schemathesis."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import Connection, Engine, text

from services.alerts.api import create_app
from services.alerts.api.params import FINGERPRINT_EXAMPLE, FINGERPRINT_PATTERN
from services.alerts.figures.recompute import recompute_days
from services.alerts.rules.lifecycle import fingerprint
from services.alerts.settings import AlertsSettings
from tests.support.alerts import CITY, air_day, empty_alerts_tables, insert, job, local, reading, water_day
from tests.support.contract import asgi_contract, assert_contract, untyped_successes

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)
SETTINGS = AlertsSettings(alerts_city=CITY)
# Hourly water readings whose daily means need rounding: NH3-N 1.205 (→ 1.20, half to even), DO 6.333… (→ 6.3),
# TP 0.1125 (→ 0.11 in a river), pH 7.355 (→ 7.36, half to even), CODMn 4 (→ 4.0).
WATER_HOURS = {
    "nh3n": [1.2] * 12 + [1.21] * 12,
    "do": [7.0] * 8 + [6.0] * 16,
    "tp": [0.1] * 12 + [0.125] * 12,
    "ph": [7.355] * 24,
    "codmn": [4.0] * 24,
}
WASTE_TONNES = {
    "incinerated": 2400,
    "food_waste": 500,
    "recycled": 300.04,
    "landfilled": 0,
    "industrial_generated": 200,
    "industrial_utilized": 164.0008,
}


def api(engine: Engine, settings: AlertsSettings = SETTINGS) -> FastAPI:
    return create_app(engine, settings, metrics_registry=CollectorRegistry())


def seed_alert(connection: Connection, rule: str, subject: str, value: str, period: str = "2026") -> str:
    key = fingerprint(rule, subject, period)
    connection.execute(
        text(
            "insert into alert_states (fingerprint, rule, subject, period, severity, state, value, labels, "
            "annotations, fired_at) "
            "values (:key, :rule, :subject, :period, 'warning', 'firing', :value, :labels, :annotations, now())"
        ),
        {
            "key": key,
            "rule": rule,
            "subject": subject,
            "period": period,
            "value": value,
            "labels": f'{{"alertname": "{rule}", "subject": "{subject}"}}',
            "annotations": '{"summary": "日 AQI 超过 100"}',
        },
    )
    return key


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Engine:
    """Seeded once for the module: the tests only read, or acknowledge different alerts."""
    empty_alerts_tables(engine, "readings", "rejected_messages", "recompute_queue")
    with engine.begin() as connection:
        insert(connection, air_day(date(2026, 11, 25)) + air_day(DAY, pm25=100))
        water = [
            reading("PYJ-JINHUA", code, local(DAY, hour), value)
            for code, values in WATER_HOURS.items()
            for hour, value in enumerate(values)
        ]
        insert(connection, water + water_day("PYJ-JINHUA", DAY, {"flow": 9}))
        insert(connection, [reading("WST-INCINERATION", code, local(DAY, 8), v) for code, v in WASTE_TONNES.items()])
        recompute_days(job(connection, NOW), [date(2026, 11, 25), DAY])
        seed_alert(connection, "daily_aqi_above_100", CITY, "137", period="2026-12-02")
        seed_alert(connection, "zero_landfill_target", CITY, "0E-24")
    return engine


@pytest.fixture
def client(seeded: Engine) -> TestClient:
    return TestClient(api(seeded, SETTINGS))


def get(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.integration
def test_water_figures_are_published_at_each_parameters_precision(client: TestClient) -> None:
    month, year = get(client, "/v1/kpi/water?period=2026-11"), get(client, "/v1/kpi/water?period=2026")
    assert (month["kind"], year["kind"], month["figures"]) == ("month", "ytd", "published")
    for body in (month, year):
        [section] = body["sections"]
        assert (section["section"], section["water_class"], section["label"]) == ("PYJ-JINHUA", 4, "Ⅳ")
        assert section["means"] == {"nh3n": "1.20", "do": "6.3", "tp": "0.11", "ph": "7.36", "codmn": "4.0"}
        assert body["class_i_iii"]["share_percent"] == "0.0" and "share" not in body["class_i_iii"]
        assert body["eco_flow"]["city"]["days_attained"] == 1
        assert body["eco_flow"]["city"]["share_percent"] == "100.0"
        # automatic data, one valid day: the 2020 rule made every mean, short of its (configurable) minimum
        assert section["statistic_rule"] == "daily-values-2020"
        assert section["item_statistics"]["nh3n"] == {
            "rule": "daily-values-2020",
            "tier": "automatic",
            "count": 1,
            "required": 20 if body is month else 240,
            "meets_minimum": False,
        }
        assert "地表水环境质量监测数据统计技术规定" in body["statistic_rules"]["daily-values-2020"]
        assert body["class_i_iii"]["statistic_rule"] == "daily-values-2020"


@pytest.mark.integration
def test_exact_figures_only_when_asked(client: TestClient) -> None:
    body = get(client, "/v1/kpi/water?period=2026-11&exact=true")
    assert body["figures"] == "exact"
    means = body["sections"][0]["means"]
    assert (means["nh3n"], means["tp"], means["ph"], means["codmn"]) == ("1.205", "0.1125", "7.355", "4")
    assert means["do"].startswith("6.33333333333333")
    assert body["class_i_iii"]["share_percent"] == "0"
    waste = get(client, "/v1/kpi/waste?period=2026-11&exact=true")
    assert (waste["landfill_share_percent"], waste["utilization_rate_percent"]) == ("0", "82.0004")
    assert waste["recycled"] == "300.04"


@pytest.mark.integration
def test_waste_figures_in_tonnes_and_percent_without_exponents(client: TestClient) -> None:
    body = get(client, "/v1/kpi/waste?period=2026-11")
    assert body == {
        "period": "2026-11",
        "figures": "published",
        "days": 1,
        "incinerated": "2400.0",
        "food_waste": "500.0",
        "recycled": "300.0",
        "landfilled": "0.0",
        "household_total": "3200.0",
        "landfill_share_percent": "0.0",
        "industrial_generated": "200.0",
        "industrial_utilized": "164.0",
        "industrial_disposed": "0.0",
        "utilization_rate_percent": "82.0",
        "max_revision": 0,
    }
    empty = get(client, "/v1/kpi/waste?period=2025-11")
    assert (empty["days"], empty["landfill_share_percent"], empty["incinerated"]) == (0, None, None)


@pytest.mark.integration
def test_air_kpi_and_daily_series(client: TestClient) -> None:
    kpi = get(client, "/v1/kpi/air?year=2026")
    assert (kpi["subject"], kpi["good_days"], kpi["valid_days"], kpi["share_percent"]) == (CITY, 1, 2, "50.0")
    assert kpi["windows"]["month"]["good_days"] == 1 and kpi["windows"]["month"]["share_percent"] == "50.0"
    assert kpi["pm25"]["this_year"]["value"] == "65" and kpi["pm25"]["this_year"]["unit"] == "µg/m³"
    series = get(client, "/v1/air/daily?subject=AIR-KEQIAO&from=2026-11-25&to=2026-11-26")
    assert [(d["day"], d["aqi"], d["category"], d["pm25"], d["co"]) for d in series] == [
        ("2026-11-25", 43, "优", "30", "0.5"),
        ("2026-11-26", 137, "轻度污染", "100", "0.5"),
    ]
    assert client.get("/v1/kpi/air?year=2001").status_code == 404


@pytest.mark.integration
def test_alert_values_are_plain_and_acknowledgement_records_the_actor(seeded: Engine) -> None:
    proxied = TestClient(api(seeded, AlertsSettings(alerts_city=CITY, alerts_identity_header="X-Forwarded-User")))
    states = get(proxied, "/v1/alerts?severity=warning")
    assert {(s["rule"], s["value"]) for s in states} == {("daily_aqi_above_100", "137"), ("zero_landfill_target", "0")}
    by_period = get(proxied, "/v1/alerts?period=2026-12-02")
    assert [(s["rule"], s["period"]) for s in by_period] == [("daily_aqi_above_100", "2026-12-02")]
    url = f"/v1/alerts/{fingerprint('zero_landfill_target', CITY, '2026')}/acknowledge"
    assert proxied.post(url, json={"by": "张三"}).status_code == 401
    response = proxied.post(url, json={"by": "张三", "comment": "已通知"}, headers={"X-Forwarded-User": "zhangsan"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["acknowledged_by"], body["acknowledge_comment"]) == ("张三", "已通知")
    assert [(e["event"], e["actor"]) for e in body["history"]] == [("acknowledged", "zhangsan")]
    plain = TestClient(api(seeded, SETTINGS)).post(url, json={"by": "李四"}).json()
    assert plain["history"][-1]["actor"] == "李四"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("method", "url", "where", "parameter"),
    [
        ("GET", "/v1/kpi/water?period=2026-13", "query", "period"),
        ("GET", "/v1/kpi/water?period=last-month", "query", "period"),
        ("GET", "/v1/kpi/water?period=%D9%A2%D9%A0%D9%A2%D9%A6-%D9%A1%D9%A1", "query", "period"),  # ٢٠٢٦-١١
        ("GET", "/v1/kpi/waste?period=20261", "query", "period"),
        ("GET", "/v1/kpi/air?year=99999", "query", "year"),
        ("GET", "/v1/kpi/air?year=%D9%A2%D9%A0%D9%A2%D9%A6", "query", "year"),
        ("GET", "/v1/kpi/air?year=2026&subject=AIR%00", "query", "subject"),
        ("GET", "/v1/kpi/air?year=2026&subject=" + "A" * 65, "query", "subject"),
        ("GET", "/v1/air/daily?from=2026-11-27&to=2026-11-01", "query", "from"),
        ("GET", "/v1/air/daily?from=0001-01-01&to=9999-12-31", "query", "to"),
        ("GET", "/v1/air/daily?subject=%00", "query", "subject"),
        ("GET", "/v1/water/classes?period=2026&section=PYJ%00", "query", "section"),
        ("GET", "/v1/alerts?state=burning", "query", "state"),
        ("GET", "/v1/alerts?severity=loud", "query", "severity"),
        ("GET", "/v1/alerts?rule=aqi%00", "query", "rule"),
        ("GET", "/v1/alerts?subject=%1B", "query", "subject"),
        ("GET", "/v1/alerts?period=yesterday", "query", "period"),
        ("GET", "/v1/alerts?limit=-1", "query", "limit"),
        ("GET", "/v1/alerts?limit=9223372036854775808", "query", "limit"),
        ("GET", "/v1/air/forecasts?limit=0", "query", "limit"),
        ("GET", "/v1/air/forecasts?limit=101", "query", "limit"),
        ("GET", "/v1/alerts/abc%00", "path", "fingerprint"),
        ("GET", "/v1/alerts/9223372036854775808", "path", "fingerprint"),
        ("POST", f"/v1/alerts/{FINGERPRINT_EXAMPLE}/acknowledge", "body", "by"),
    ],
)
def test_bad_input_is_a_422_naming_the_parameter(
    client: TestClient, method: str, url: str, where: str, parameter: str
) -> None:
    body = {"by": "张\x00三"} if method == "POST" else None
    response = client.request(method, url, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ([where, parameter] if where != "body" else ["body", "by"])


@pytest.mark.integration
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/v1/kpi/water?period=last-month", "period must be a year (2026) or a month (2026-10) in ASCII digits"),
        ("/v1/alerts?subject=AIR%00", "subject must not contain control characters"),
        ("/v1/alerts/nope", "fingerprint must be an alert fingerprint"),
    ],
)
def test_a_pattern_mismatch_says_what_is_expected(client: TestClient, url: str, message: str) -> None:
    [detail] = client.get(url).json()["detail"]
    assert detail["msg"].startswith(message)


@pytest.mark.integration
def test_a_nul_in_a_comment_is_refused_and_a_newline_kept(client: TestClient) -> None:
    url = f"/v1/alerts/{FINGERPRINT_EXAMPLE}/acknowledge"
    assert client.post(url, json={"by": "张三", "comment": "a\x00b"}).status_code == 422
    assert client.post(url, json={"by": "张三", "comment": "第一行\n第二行"}).status_code == 200


FORECAST_DAY = {"day": "2026-12-03", "aqi": 230}
POST_PATHS = {  # path: its OpenAPI template
    f"/v1/alerts/{FINGERPRINT_EXAMPLE}/acknowledge": "/v1/alerts/{fingerprint}/acknowledge",
    "/v1/air/forecasts": "/v1/air/forecasts",
}


@pytest.mark.integration
@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"by": "\xff"}', "byte 8 (0xff) is not valid UTF-8"),
        (b"\xff\xfe{\x00}\x00", "byte 0 (0xff) is not valid UTF-8"),  # UTF-16: json.loads would decode it
        ('{"by": "张三"}'.encode("utf-16"), "byte 0 (0xff) is not valid UTF-8"),
        (b'{"by": "\xe5\xbc"}', "byte 8 (0xe5) is not valid UTF-8"),  # a character cut short
        (b'{"by": "a"', "Expecting ',' delimiter at character 10"),
    ],
)
def test_a_body_that_is_not_utf8_json_is_the_declared_400(
    client: TestClient, path: str, body: bytes, message: str
) -> None:
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    declared = client.get("/openapi.json").json()["paths"][POST_PATHS[path]]["post"]["responses"]
    assert (response.status_code, response.json()) == (400, {"detail": f"the body is not UTF-8 JSON: {message}"})
    assert declared["400"]["description"] == "The body is not UTF-8 JSON"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([], "List should have at least 1 item"),
        ([FORECAST_DAY] * 16, "List should have at most 15 items"),
        ([{"day": "2026-12-03", "aqi": 501}], "Input should be less than or equal to 500"),
        ([{"day": "2026-12-03", "aqi": -1}], "Input should be greater than or equal to 0"),
        ([{"day": "2026-12-03", "aqi": 2.5}], "Input should be a valid integer"),
        ([{"day": "0001-01-01", "aqi": 10}], "day must be in the years 1900–2999"),
        ([{"day": "9999-12-31", "aqi": 10}], "day must be in the years 1900–2999"),
        ([{"day": "٢٠٢٦-١٢-٠٣", "aqi": 10}], "Input should be a valid date"),
        ([FORECAST_DAY, {"day": "2026-12-05", "aqi": 230}], "days must be consecutive and in order"),
        ([FORECAST_DAY, FORECAST_DAY], "days must be consecutive and in order"),
    ],
)
def test_a_bad_forecast_is_a_422_naming_the_days(client: TestClient, days: list[Any], message: str) -> None:
    response = client.post("/v1/air/forecasts", json={"by": "张三", "days": days})
    assert response.status_code == 422, response.text
    [detail] = response.json()["detail"]
    assert detail["loc"][:2] == ["body", "days"] and message in detail["msg"]


@pytest.mark.integration
def test_a_forecast_needs_a_name_without_control_characters(client: TestClient) -> None:
    for by in ("", "张\x00三", "A" * 201):
        response = client.post("/v1/air/forecasts", json={"by": by, "days": [FORECAST_DAY]})
        assert response.json()["detail"][0]["loc"] == ["body", "by"]


@pytest.mark.integration
def test_unknown_alerts_are_404(client: TestClient) -> None:
    assert client.get(f"/v1/alerts/{'0' * 32}").status_code == 404
    assert client.post(f"/v1/alerts/{'0' * 32}/acknowledge", json={"by": "张三"}).status_code == 404
    assert client.post(f"/v1/alerts/{'0' * 32}/acknowledge", json={"by": ""}).status_code == 422


def test_fingerprints_match_the_path_pattern() -> None:
    assert re.fullmatch(FINGERPRINT_PATTERN, fingerprint("station_silent", "AIR-KEQIAO", "current"))


@pytest.mark.integration
def test_every_2xx_has_a_response_schema(client: TestClient) -> None:
    assert untyped_successes(get(client, "/openapi.json")) == []
    assert set(get(client, "/openapi.json")["paths"]["/runbooks"]["get"]["responses"]["200"]["content"]) == {
        "text/html"
    }


@pytest.mark.integration
def test_the_api_keeps_its_contract(seeded: Engine) -> None:
    run = assert_contract(asgi_contract(api(seeded, SETTINGS), max_examples=10), expected_operations=14)
    assert run.cases > 200


@pytest.mark.integration
def test_the_daily_series_defaults_to_this_local_month_at_half_past_midnight_in_shanghai(alerts_db: Engine) -> None:
    # 00:30 on 1 December in Shanghai is still 30 November in UTC: "this month" and "today" are December's.
    now = local(date(2026, 12, 1), 0, 30)
    with alerts_db.begin() as connection:
        insert(connection, [*air_day(date(2026, 11, 30)), *air_day(date(2026, 12, 1), hours=[0])])
        recompute_days(job(connection, now), [date(2026, 11, 30), date(2026, 12, 1)])
    client = TestClient(create_app(alerts_db, SETTINGS, metrics_registry=CollectorRegistry(), clock=lambda: now))
    assert [d["day"] for d in get(client, "/v1/air/daily")] == ["2026-12-01"]
    assert [d["day"] for d in get(client, "/v1/air/daily?from=2026-11-30")] == ["2026-11-30", "2026-12-01"]
