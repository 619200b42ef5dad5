"""``envmon sensorthings-key create``: a partner key printed once, stored as its hash, that reads its scope."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from devstack.postgres import PostgresCluster
from services.cli import app
from services.sensorthings.tables import api_keys

pytestmark = pytest.mark.integration


def test_a_created_key_is_stored_as_its_hash_and_reads_its_partys_stations(
    client: TestClient, sensorthings_db: Engine, postgres: PostgresCluster
) -> None:
    runner, environment = CliRunner(), {"ENVMON_DATABASE_URL": postgres.url}
    arguments = ["sensorthings-key", "create", "--name", "xiaoshan-monitoring", "--party", "xiaoshan"]
    made = runner.invoke(app, arguments, env=environment)
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    with sensorthings_db.connect() as connection:
        stored = connection.execute(select(api_keys).where(api_keys.c.name == "xiaoshan-monitoring")).mappings().one()
    assert stored["party"] == "xiaoshan" and key not in stored.values()
    things = client.get("/v1.1/Things", headers={"X-API-Key": key}).json()["value"]
    assert "XXJ-YANGXUN-XS" in [thing["@iot.id"] for thing in things]

    again = runner.invoke(app, arguments, env=environment)
    assert again.exit_code != 0 and "already exists" in again.output
    unknown = runner.invoke(app, ["sensorthings-key", "create", "--name", "hz", "--party", "hangzhou"], env=environment)
    assert unknown.exit_code != 0 and "unknown party 'hangzhou'" in unknown.output
