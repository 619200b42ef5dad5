"""The seed registry loads, is idempotent, and keeps only password hashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from services.common.credentials import hash_password, verify_password
from services.storage.schema import gateway_stations, gateways, stations
from services.storage.seed import REGISTRY_DIR, SeedError, read_registry_yaml, seed


def test_registry_covers_the_plan_sections_and_stations() -> None:
    station_registry, _ = read_registry_yaml()
    names = {s.name for s in station_registry.water}
    assert any("进化" in n for n in names) and any("安华" in n for n in names)
    assert any("杨汛" in n for n in names) and any("壶源江" in n for n in names)
    assert sum("曹娥江" in n for n in names) >= 3
    assert {s.county for s in station_registry.air} == {"越城区", "柯桥区", "上虞区", "诸暨市", "嵊州市", "新昌县"}
    assert {s.facility_type for s in station_registry.waste} >= {"incineration", "food_waste", "landfill", "industrial"}


@pytest.mark.integration
def test_seed_is_idempotent_and_stores_hashes_only(engine: Engine, mqtt_accounts: dict[str, str]) -> None:
    with engine.begin() as connection:
        seed(connection)
        before = connection.execute(select(gateways.c.id, gateways.c.password_hash)).all()
        hj212_before = connection.execute(select(gateways.c.id, gateways.c.hj212_password_hash)).all()
        seed(connection)
        after = connection.execute(select(gateways.c.id, gateways.c.password_hash)).all()
        hj212_after = connection.execute(select(gateways.c.id, gateways.c.hj212_password_hash)).all()
        station_count = connection.execute(select(func.count()).select_from(stations)).scalar_one()
        jinhua_mn = connection.execute(
            select(gateway_stations.c.hj212_mn).where(gateway_stations.c.station_code == "PYJ-JINHUA")
        ).scalar_one()
    assert sorted(before) == sorted(after)
    assert sorted(hj212_before) == sorted(hj212_after)
    assert station_count == 19
    assert jinhua_mn == "330681000000000000000001"
    for account_id, stored in after:
        assert mqtt_accounts[account_id] not in stored
        assert verify_password(mqtt_accounts[account_id], stored)


@pytest.mark.integration
def test_production_refuses_development_passwords(engine: Engine) -> None:
    with pytest.raises(SeedError, match="dev_password is refused in production"), engine.begin() as connection:
        seed(connection, production=True)


@pytest.mark.integration
def test_production_refuses_a_development_hj212_password(engine: Engine, tmp_path: Path) -> None:
    for name in ("stations.yaml", "programmes.yaml"):
        shutil.copy(REGISTRY_DIR / name, tmp_path / name)
    (tmp_path / "gateways.yaml").write_text(
        "gateways:\n"
        f"  - {{id: gw-prod, name: prod, password_hash: '{hash_password('s3cret', iterations=1_000)}',\n"
        "     hj212_dev_password: '123456', stations: [{code: PYJ-JINHUA}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(SeedError, match="hj212_dev_password is refused in production"), engine.begin() as connection:
        seed(connection, tmp_path, production=True)
