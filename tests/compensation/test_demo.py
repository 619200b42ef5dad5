"""Demo logins: one per role and party for ``make run``, scoped like real ones, refused in production."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.compensation import auth
from services.compensation.access import Role
from services.compensation.demo import DemoLoginsRefused, create_demo_logins, refuse_demo_logins
from services.compensation.tables import principals

pytestmark = pytest.mark.integration


def test_demo_logins_cover_every_role_and_party_and_are_scoped(client: TestClient, compensation_db: Engine) -> None:
    with compensation_db.begin() as conn:
        logins = create_demo_logins(conn, production=False)
        assert create_demo_logins(conn, production=False) == logins  # a second run changes nothing
    assert {(lo.role.value, lo.party) for lo in logins} >= {
        ("bureau", "keqiao"),
        ("finance", "keqiao"),
        ("viewer", "keqiao"),
        ("finance", "zhuji"),
        ("finance", "fuyang"),
        ("finance", "xiaoshan"),
        ("finance", None),
        ("admin", None),
    }
    keqiao = next(lo for lo in logins if lo.name == "keqiao.finance")
    token = client.post("/token", data={"username": keqiao.name, "password": keqiao.password}).json()["access_token"]
    seen = client.get("/agreements", headers={"Authorization": f"Bearer {token}"}).json()
    assert [a["id"] for a in seen] == ["XXJ-XIAOSHAN-KEQIAO"]
    page = client.post("/ui/login", data={"username": "shaoxing.bureau", "password": "demo-shaoxing.bureau"})
    assert page.status_code == 200 and "计算新结算单" in page.text


def test_production_refuses_demo_logins(compensation_db: Engine) -> None:
    with compensation_db.begin() as conn:
        with pytest.raises(DemoLoginsRefused):
            create_demo_logins(conn, production=True)
        create_demo_logins(conn, production=False)
        with pytest.raises(DemoLoginsRefused, match="admin"):
            refuse_demo_logins(conn)
        # once every demo password is changed (or the login disabled), production starts
        conn.execute(principals.update().where(principals.c.name != "admin").values(enabled=False))
        conn.execute(principals.delete().where(principals.c.name == "admin"))
        auth.create_user(conn, "admin", "a-real-admin-password", Role.ADMIN)
        refuse_demo_logins(conn)
