"""The shipped agreements settle on the simulator's data: a draft with an amount, not "insufficient data".

The simulator's gateways report what the station programmes say (4-hourly provincial automatic water
stations, the national one hourly); the minimums are 75 % of what the programme expects. ``make run``'s
backfill sends the same values over MQTT; here they go straight to the database (the same rows).
"""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.support.compensation import Keys, as_, store_simulated

pytestmark = pytest.mark.integration

SECTIONS = ("XXJ-YANGXUN", "PYJ-JINHUA", "PYJ-ANHUA", "HYJ-ZHUJI-FUYANG")


def test_each_shipped_agreement_settles_on_a_simulated_year(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    # 2024 as well: the change-index component of 壶源江 compares with the year before
    assert store_simulated(compensation_db, SECTIONS, date(2024, 1, 1), date(2025, 12, 31)) > 0
    for agreement in ("XXJ-XIAOSHAN-KEQIAO", "PYJ-ZHUJI-XIAOSHAN", "HYJ-ZHUJI-FUYANG"):
        body = client.post(f"/agreements/{agreement}/statements", json={"period": "2025"}, headers=as_(keys.bureau))
        assert body.status_code == 201, body.text
        statement = body.json()
        assert statement["status"] == "draft", (agreement, statement["document"]["gaps"][:3])
        assert statement["amount_yuan"] is not None and statement["direction"] is not None
        indicators = statement["document"]["indicators"]
        assert all(row["sources"] == ["automatic"] for row in indicators), agreement
