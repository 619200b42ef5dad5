"""``envmon compensation-admin``: the first admin without the bootstrap variable, and users, audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from services.compensation.cli import compensation_admin_app
from services.compensation.settings import CompensationSettings
from tests.support.compensation import as_

pytestmark = pytest.mark.integration


@pytest.fixture
def environment(settings: CompensationSettings) -> dict[str, str]:
    return {"ENVMON_DATABASE_URL": settings.database_url}


def test_create_key_gives_a_working_admin_key(client: TestClient, environment: dict[str, str]) -> None:
    runner = CliRunner()
    arguments = ["create-key", "--name", "first-admin", "--role", "admin"]
    made = runner.invoke(compensation_admin_app, arguments, env=environment)
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    entries = client.get("/audit", headers=as_(key)).json()
    assert any(e["action"] == "principal.create" and e["object"] == "principal:first-admin" for e in entries)
    assert all(e["actor"].startswith("cli:") for e in entries if e["object"] == "principal:first-admin")

    again = runner.invoke(compensation_admin_app, arguments, env=environment)
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_user_scoped_to_a_party_logs_in(client: TestClient, environment: dict[str, str]) -> None:
    made = CliRunner().invoke(
        compensation_admin_app,
        ["create-user", "--name", "keqiao-finance", "--role", "finance", "--party", "keqiao"],
        input="finance-secret-1\nfinance-secret-1\n",
        env=environment,
    )
    assert made.exit_code == 0, made.output
    token = client.post("/token", data={"username": "keqiao-finance", "password": "finance-secret-1"}).json()
    agreements = client.get("/agreements", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert [a["id"] for a in agreements] == ["XXJ-XIAOSHAN-KEQIAO"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["create-key", "--name", "x", "--role", "admin"], "not a principal name"),
        (["create-key", "--name", "someone", "--role", "boss"], "'boss' is not one of"),
        (["create-user", "--name", "someone", "--role", "viewer", "--password", "short"], "at least 8 characters"),
    ],
)
def test_bad_arguments_are_refused_clearly(environment: dict[str, str], arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(compensation_admin_app, arguments, env=environment)
    assert result.exit_code == 2 and message in result.output
