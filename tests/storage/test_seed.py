"""The seed registry loads, is idempotent, and keeps only password hashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from services.common.credentials import hash_password, verify_password
from services.compensation.agreements import load_agreement_files, parse_agreement
from services.storage.parties import read_parties
from services.storage.schema import gateway_stations, gateways, parties, stations
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
    assert station_count == 21
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
    for name in ("parties.yaml", "stations.yaml", "programmes.yaml"):
        shutil.copy(REGISTRY_DIR / name, tmp_path / name)
    (tmp_path / "gateways.yaml").write_text(
        "gateways:\n"
        "  - {id: gw-prod, party: zhejiang, name: prod,\n"
        f"     password_hash: '{hash_password('s3cret', iterations=1_000)}',\n"
        "     hj212_dev_password: '123456', stations: [{code: PYJ-JINHUA}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(SeedError, match="hj212_dev_password is refused in production"), engine.begin() as connection:
        seed(connection, tmp_path, production=True)


def _registry_with_gateways(tmp_path: Path, gateways_yaml: str) -> Path:
    for name in ("parties.yaml", "stations.yaml", "programmes.yaml"):
        shutil.copy(REGISTRY_DIR / name, tmp_path / name)
    (tmp_path / "gateways.yaml").write_text(gateways_yaml, encoding="utf-8")
    return tmp_path


@pytest.mark.integration
@pytest.mark.parametrize(
    ("gateway", "refusal"),
    [
        ("{id: gw-xs, party: xiaoshan, name: x, dev_password: pw, stations: [{code: XXJ-YANGXUN}]}", "another party"),
        ("{id: gw-xs, name: x, dev_password: pw, stations: [{code: XXJ-YANGXUN-XS}]}", "party None"),
        ("{id: gw-xs, party: hangzhou, name: x, dev_password: pw, stations: [{code: XXJ-YANGXUN-XS}]}", "'hangzhou'"),
    ],
)
def test_a_gateway_carries_only_its_partys_stations(engine: Engine, tmp_path: Path, gateway: str, refusal: str) -> None:
    registry = _registry_with_gateways(tmp_path, f"gateways:\n  - {gateway}\n")
    with pytest.raises(SeedError, match=refusal), engine.begin() as connection:
        seed(connection, registry)


@pytest.mark.integration
def test_stations_record_their_operator_and_partner_stations_their_section(engine: Engine) -> None:
    with engine.begin() as connection:
        seed(connection)
        rows = {
            row.code: (row.operator, row.monitors_section, row.city)
            for row in connection.execute(
                select(stations.c.code, stations.c.operator, stations.c.monitors_section, stations.c.city)
            )
        }
        party_of = dict(connection.execute(select(gateways.c.id, gateways.c.party)).tuples().all())
        known = set(connection.execute(select(parties.c.code)).scalars())
    assert rows["XXJ-YANGXUN-XS"] == ("xiaoshan", "XXJ-YANGXUN", "杭州市")
    assert rows["PYJ-JINHUA-XS"] == ("xiaoshan", "PYJ-JINHUA", "杭州市")
    assert rows["XXJ-YANGXUN"] == ("keqiao", None, "绍兴市")
    assert {operator for operator, _, _ in rows.values()} <= known >= {"zhejiang", "xiaoshan", "fuyang", "zhuji"}
    assert party_of["gw-xs-yangxun"] == party_of["gw-xs-jinhua"] == "xiaoshan"
    assert party_of["envmon-ingest"] is None


def test_agreements_name_parties_from_the_one_registry() -> None:
    registered = {p.code: p.name for p in read_parties().parties}
    for agreement in load_agreement_files():
        for party in (agreement.parties.upstream, agreement.parties.downstream):
            assert registered[party.code] == party.name
    with pytest.raises(ValueError, match="not in the party registry"):
        agreement_with_parties = load_agreement_files()[0].model_dump(mode="json")
        agreement_with_parties["parties"]["upstream"]["code"] = "hangzhou"
        parse_agreement(agreement_with_parties)
