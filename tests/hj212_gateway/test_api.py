"""The gateway's HTTP API as a running process serves it: typed answers, checked MNs and times, and the
OpenAPI contract fuzzed by schemathesis (no logger is connected, so every command answers at once)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.mosquitto import MosquittoBroker
from devstack.postgres import PostgresCluster
from tests.support.contract import assert_contract, untyped_successes, url_contract
from tests.support.hj212_gateway import GATEWAY_ACCOUNT, GatewayProcess, gateway_environment, running_gateway

pytestmark = pytest.mark.integration

TOKEN = "contract-s3cret"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
MN = "330681000000000000000001"


@pytest.fixture(scope="module")
def api_gateway(
    postgres: PostgresCluster, broker: MosquittoBroker, mqtt_accounts: dict[str, str]
) -> Iterator[GatewayProcess]:
    mqtt_url = broker.url(GATEWAY_ACCOUNT, mqtt_accounts[GATEWAY_ACCOUNT])
    with running_gateway(gateway_environment(postgres.url, mqtt_url, ENVMON_HJ212_ADMIN_TOKEN=TOKEN)) as gateway:
        yield gateway


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/loggers/MN%00/get-time", None, ["path", "mn"]),
        (f"/loggers/{'1' * 25}/start-realtime", None, ["path", "mn"]),
        ("/loggers/３３０６/stop-realtime", None, ["path", "mn"]),
        (f"/loggers/{MN}/set-time", {"system_time": "9999-12-31T23:00:00-12:00"}, ["body", "system_time"]),
        (f"/loggers/{MN}/set-time", {"system_time": "2026-11-27T10:00:00"}, ["body", "system_time"]),
        (
            f"/loggers/{MN}/history",
            {"begin": "2026-11-27T10:00:00+08:00", "end": "2026-11-26T10:00:00+08:00"},
            ["body", "end"],
        ),
        (
            f"/loggers/{MN}/history",
            {"begin": "0001-01-01T00:00:00+14:00", "end": "2026-11-26T10:00:00+08:00"},
            ["body", "begin"],
        ),
    ],
)
def test_bad_input_is_a_422_naming_it(api_gateway: GatewayProcess, path: str, body: object, where: list[str]) -> None:
    response = httpx.post(f"{api_gateway.http}{path}", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == where


def test_commands_to_an_absent_logger_answer_not_connected(api_gateway: GatewayProcess) -> None:
    response = httpx.post(f"{api_gateway.http}/loggers/{MN}/get-time", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert (body["mn"], body["outcome"], body["uploads"], body["records"]) == (MN, "not_connected", [], 0)
    non_ascii = {b"Authorization": "Bearer 密码".encode()}
    assert httpx.get(f"{api_gateway.http}/loggers", headers=non_ascii).status_code == 401


def test_every_2xx_has_a_response_schema(api_gateway: GatewayProcess) -> None:
    assert untyped_successes(httpx.get(f"{api_gateway.http}/openapi.json").json()) == []


def test_the_api_keeps_its_contract(api_gateway: GatewayProcess) -> None:
    schema = url_contract(api_gateway.http, headers=ADMIN, max_examples=10)
    assert_contract(schema, expected_operations=9)
