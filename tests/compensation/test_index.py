"""The statement index: latest revisions by default, superseded ones marked, filters by agreement, year, status."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.support.compensation import PASSWORD, Keys, as_, store_monthly

pytestmark = pytest.mark.integration

XXJ = "XXJ-XIAOSHAN-KEQIAO"


def test_superseded_revisions_are_hidden_by_default_and_marked(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    store_monthly(compensation_db, "XXJ-YANGXUN", 2025, {"codmn": 4.0, "nh3n": 0.8, "tp": 0.17})
    first = client.post(f"/agreements/{XXJ}/statements", json={"period": "2025"}, headers=as_(keys.bureau)).json()
    second = client.post(
        f"/statements/{first['id']}/recalculate",
        json={"reason": "复核", "approver": "王局长"},
        headers=as_(keys.bureau),
    ).json()
    blocked = client.post("/agreements/HYJ-ZHUJI-FUYANG/statements", json={"period": "2025"}, headers=as_(keys.bureau))
    assert blocked.json()["status"] == "insufficient data"

    listed = client.get("/statements", headers=as_(keys.viewer)).json()
    assert sorted(s["id"] for s in listed) == sorted([second["id"], blocked.json()["id"]])
    everything = client.get("/statements?include_superseded=true", headers=as_(keys.viewer)).json()
    old = next(s for s in everything if s["id"] == first["id"])
    assert old["superseded_by_revision"] == 2
    assert [s["id"] for s in client.get("/statements?status=insufficient%20data", headers=as_(keys.viewer)).json()] == [
        blocked.json()["id"]
    ]
    assert client.get(f"/statements?agreement={XXJ}&year=2024", headers=as_(keys.viewer)).json() == []

    client.post("/ui/login", data={"username": "finance-user", "password": PASSWORD})
    page = client.get("/ui/").text
    assert "已被第" not in page and "柯桥区 → 萧山区" in page and "¥5,000,000.00" in page and "数据不足" in page
    marked = client.get("/ui/?superseded=true").text
    assert "已被第 2 版取代" in marked
    filtered = client.get(f"/ui/?agreement={XXJ}&status=draft&year=2025").text
    assert "数据不足，暂停结算" not in filtered and "¥5,000,000.00" in filtered
    old_page = client.get(f"/ui/statements/{first['id']}").text
    assert "已被第 2 版取代" in old_page
