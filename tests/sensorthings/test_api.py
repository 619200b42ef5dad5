"""The SensorThings API on the real database: scope by key, time and property filters, paging, expansion,
the HJ 212 flag and validity on every Observation, and a specific 400 for every query it cannot answer."""

from __future__ import annotations

import base64
from datetime import UTC, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from tests.support.sensorthings import FUYANG_KEY, HOURS, OUT_OF_SCOPE, XIAOSHAN_KEY

pytestmark = pytest.mark.integration

ROOT = "/v1.1"
PARTNER_STREAM = f"{ROOT}/Datastreams('XXJ-YANGXUN-XS:nh3n')"


def _ids(client: TestClient, url: str, **params: str) -> list[str]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return [entity["@iot.id"] for entity in response.json()["value"]]


def test_a_xiaoshan_key_sees_its_stations_and_its_agreements_sections_only(client: TestClient) -> None:
    things = _ids(client, f"{ROOT}/Things")
    # its own stations, the sections of the two agreements Xiaoshan signed, and nothing else
    assert things == ["PYJ-ANHUA", "PYJ-JINHUA", "PYJ-JINHUA-XS", "XXJ-YANGXUN", "XXJ-YANGXUN-XS"]
    for station in OUT_OF_SCOPE:
        refused = client.get(f"{ROOT}/Things('{station}')")
        assert refused.status_code == 404 and refused.json()["type"] == "error"
        assert client.get(f"{ROOT}/Datastreams('{station}:nh3n')/Observations").status_code == 404
        assert client.get(f"{ROOT}/Observations('{station}:nh3n:2026-11-01T00:00:00Z')").status_code == 404
    everything = _ids(client, f"{ROOT}/Observations", **{"$filter": "Datastream/Thing/id eq 'CEJ-DAZHA'"})
    assert everything == []
    stations = {i.split(":")[0] for i in _ids(client, f"{ROOT}/Observations", **{"$top": "1000"})}
    assert stations == {"XXJ-YANGXUN", "XXJ-YANGXUN-XS"}


def test_a_fuyang_key_does_not_see_the_xiaoshan_boundary(client: TestClient) -> None:
    client.headers["X-API-Key"] = FUYANG_KEY
    assert _ids(client, f"{ROOT}/Things") == ["HYJ-ZHUJI-FUYANG"]
    assert client.get(PARTNER_STREAM).status_code == 404


def test_no_key_or_a_wrong_key_is_refused_and_basic_auth_carries_the_key(client: TestClient) -> None:
    del client.headers["X-API-Key"]
    missing = client.get(f"{ROOT}/Things")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get(f"{ROOT}/Things", headers={"X-API-Key": "not-a-key"}).status_code == 401
    assert client.get(f"{ROOT}/Things", headers={"X-API-Key": "k" * 5000}).status_code == 401
    basic = base64.b64encode(f"xiaoshan:{XIAOSHAN_KEY}".encode()).decode()
    assert client.get(f"{ROOT}/Things", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert client.get(ROOT).status_code == 200  # the service root lists the entity sets to anyone


def test_observations_carry_the_hj212_flag_and_the_kpi_validity(client: TestClient) -> None:
    body = client.get(f"{PARTNER_STREAM}/Observations", params={"$filter": "resultQuality/hj212Flag eq 'M'"}).json()
    maintenance = body["value"]
    assert [o["phenomenonTime"] for o in maintenance] == [
        "2026-11-01T07:00:00Z",
        "2026-11-03T09:00:00Z",
        "2026-11-05T11:00:00Z",
        "2026-11-07T13:00:00Z",
        "2026-11-09T15:00:00Z",
    ]
    assert all(o["resultQuality"] == {"hj212Flag": "M", "valid": False} for o in maintenance)
    assert maintenance[0]["parameters"]["flagMeaning"] == "维护 (maintenance)"
    normal = client.get(f"{PARTNER_STREAM}/Observations", params={"$top": "1"}).json()["value"][0]
    assert normal["resultQuality"] == {"hj212Flag": "N", "valid": True} and normal["result"] == 0.4


def test_time_and_result_filters_ordering_and_count(client: TestClient) -> None:
    body = client.get(
        f"{PARTNER_STREAM}/Observations",
        params={
            "$filter": "phenomenonTime ge 2026-11-02T08:00:00+08:00 and phenomenonTime lt 2026-11-03T00:00:00Z "
            "and (result le 0.43 or result gt 0.447)",
            "$orderby": "phenomenonTime desc",
            "$count": "true",
        },
    ).json()
    times = [o["phenomenonTime"] for o in body["value"]]
    # hours 24..47; results 0.424..0.447: 24..30 (≤ 0.43) and 48.. none above 0.447 within the day
    assert body["@iot.count"] == len(times) == 7
    assert times[0] == "2026-11-02T06:00:00Z" and times[-1] == "2026-11-02T00:00:00Z"
    assert "@iot.nextLink" not in body
    counted = client.get(f"{PARTNER_STREAM}/Observations", params={"$top": "0", "$count": "true"}).json()
    assert counted == {"@iot.count": HOURS, "value": []}
    listed = _ids(client, f"{ROOT}/Things", **{"$filter": "id in ('XXJ-YANGXUN', 'AIR-YUECHENG', 'PYJ-JINHUA')"})
    assert listed == ["PYJ-JINHUA", "XXJ-YANGXUN"]


def test_next_links_page_through_every_observation_once(client: TestClient) -> None:
    seen: list[str] = []
    url: str | None = f"{PARTNER_STREAM}/Observations?$top=60"
    while url:
        body = client.get(url.removeprefix("http://testserver")).json()
        seen += [o["@iot.id"] for o in body["value"]]
        url = body.get("@iot.nextLink")
    assert len(seen) == len(set(seen)) == HOURS


def test_expand_one_level_and_navigate_relations(client: TestClient) -> None:
    thing = client.get(f"{ROOT}/Things('XXJ-YANGXUN-XS')", params={"$expand": "Datastreams,Locations"}).json()
    assert thing["properties"]["operator"] == "xiaoshan" and thing["properties"]["monitorsSection"] == "XXJ-YANGXUN"
    assert {d["properties"]["parameter"] for d in thing["Datastreams"]} >= {"nh3n", "codmn", "tp"}
    assert thing["Locations"][0]["location"]["type"] == "Point"
    stream = client.get(PARTNER_STREAM, params={"$expand": "Thing,ObservedProperty,Observations"}).json()
    assert stream["Thing"]["@iot.id"] == "XXJ-YANGXUN-XS" and stream["ObservedProperty"]["name"] == "氨氮"
    assert len(stream["Observations"]) == 100 and "Observations@iot.nextLink" in stream
    assert stream["unitOfMeasurement"]["symbol"] == "mg/L"
    observation = client.get(f"{PARTNER_STREAM}/Observations", params={"$top": "1", "$expand": "Datastream"}).json()
    assert observation["value"][0]["Datastream"]["@iot.id"] == "XXJ-YANGXUN-XS:nh3n"
    assert client.get(f"{PARTNER_STREAM}/Thing").json()["@iot.id"] == "XXJ-YANGXUN-XS"
    selected = client.get(f"{ROOT}/Things", params={"$select": "id,name", "$top": "1"}).json()["value"][0]
    assert set(selected) == {"@iot.id", "name"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"{ROOT}/Observations?$filter=foo eq 1", "Observations cannot be filtered by 'foo'"),
        (f"{ROOT}/Observations?$filter=result gt 'x'", "result compares with a number"),
        (f"{ROOT}/Observations?$filter=result gt 1e400", "numbers are limited to ±10^15"),
        (f"{ROOT}/Observations?$filter=phenomenonTime gt 5", "phenomenonTime compares with a date-time"),
        (f"{ROOT}/Observations?$filter=phenomenonTime gt 2026-01-01T00:00:00", "give the date-time's offset"),
        (f"{ROOT}/Observations?$filter=phenomenonTime gt 9999-12-31T23:00:00-08:00", "from year 1 to 9999"),
        (f"{ROOT}/Observations?$filter=year(phenomenonTime) eq 2026", "function 'year' is not served"),
        (f"{ROOT}/Observations?$filter=result add 1 gt 2", "arithmetic is not served"),
        (f"{ROOT}/Observations?$filter=result", "must be a condition"),
        (f"{ROOT}/Things?$filter=name eq 'a%00b'", "printable characters"),
        (f"{ROOT}/Things?$filter=name eq null", "comparisons with null are not served"),
        (f"{ROOT}/Things?$orderby=colour", "Things cannot be ordered by 'colour'"),
        (f"{ROOT}/Things?$expand=Observations", "Things has no relation 'Observations'"),
        (f"{ROOT}/Things?$select=colour", "Things has no property 'colour'"),
        (f"{ROOT}/Things?$top=101&$expand=Datastreams", "with $expand, $top is at most 100"),
        (f"{ROOT}/Things?$top=1001", "$top must be a whole number from 0 to 1000"),
        (f"{ROOT}/Things('XXJ-YANGXUN')/HistoricalLocations", "Things has no relation 'HistoricalLocations'"),
        (f"{ROOT}/MultiDatastreams", "entity_set"),
    ],
)
def test_a_query_the_service_cannot_answer_is_a_400_that_says_why(client: TestClient, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "error" and message in response.json()["message"]


def test_writes_are_not_served(client: TestClient) -> None:
    assert client.post(f"{ROOT}/Things", json={"name": "x"}).status_code == 405
    assert client.delete(f"{ROOT}/Things('XXJ-YANGXUN-XS')").status_code == 405


def _requests(client: TestClient, route: str, status: str) -> float:
    """How many requests /metrics counts for ``route`` answered ``status`` (GET)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    samples = [
        sample
        for family in text_string_to_metric_families(response.text)
        if family.name == "envmon_sensorthings_request_seconds"
        for sample in family.samples
        if sample.name.endswith("_count")
    ]
    return sum(s.value for s in samples if s.labels == {"route": route, "method": "GET", "status": status})


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    entity, unknown = f"{ROOT}/{{entity_set}}({{entity_id}})", "unmatched"
    before = (_requests(client, entity, "200"), _requests(client, entity, "401"), _requests(client, unknown, "404"))
    assert client.get(f"{ROOT}/Things('XXJ-YANGXUN-XS')").status_code == 200
    assert client.get(f"{ROOT}/Things('XXJ-YANGXUN-XS')", headers={"X-API-Key": "not-a-key"}).status_code == 401
    assert client.get("/no/such/path").status_code == 404
    after = (_requests(client, entity, "200"), _requests(client, entity, "401"), _requests(client, unknown, "404"))
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]


LITERALS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=8).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))])).map(
        lambda moment: moment.isoformat()
    ),
    st.text(max_size=20).map(lambda value: "'" + value.replace("'", "''") + "'"),
    st.sampled_from(["null", "true", "1e308", "-0", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]),
)
PROPERTIES = st.sampled_from(
    ["phenomenonTime", "resultTime", "result", "resultQuality/hj212Flag", "Datastream/id", "id", "x/y", "result/z"]
)
OPERATORS = st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "in", "add"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(PROPERTIES, OPERATORS, LITERALS), min_size=1, max_size=4), st.sampled_from([" and ", " or "]))
def test_any_comparison_of_any_literal_answers_200_or_a_400_never_a_5xx(
    client: TestClient, terms: list[tuple[str, str, str]], joiner: str
) -> None:
    expression = joiner.join(f"{prop} {operator} {value}" for prop, operator, value in terms)
    response = client.get(f"{ROOT}/Observations", params={"$filter": expression, "$top": "2"})
    assert response.status_code in (200, 400), (expression, response.text)
    assert response.json()["type"] == "error" if response.status_code == 400 else "value" in response.json()
