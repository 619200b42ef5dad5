"""A fleet of synthetic HJ 212 loggers in the registry (one gateway, station and MN each), for load
tests and benchmarks; every row is marked by a prefix so that it can be removed again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert

from services.common.credentials import hash_password
from services.storage.schema import gateway_stations, gateways, readings, stations

FLEET_PREFIX = "HJT"
FLEET_GATEWAY_PREFIX = "gw-hjt-"
FLEET_PW = "654321"


@dataclass(frozen=True, slots=True)
class FleetLogger:
    mn: str
    pw: str
    station: str
    gateway: str


def fleet_logger(index: int) -> FleetLogger:
    return FleetLogger(
        mn=f"33069900000000000000{index:04d}",
        pw=FLEET_PW,
        station=f"{FLEET_PREFIX}-{index:04d}",
        gateway=f"{FLEET_GATEWAY_PREFIX}{index:04d}",
    )


def seed_fleet(connection: Connection, size: int) -> list[FleetLogger]:
    """``size`` (≤ 10,000) water-station loggers; one PW hash is shared because PBKDF2 is slow on purpose."""
    pw_hash = hash_password(FLEET_PW)
    fleet = [fleet_logger(i) for i in range(size)]
    connection.execute(
        insert(stations),
        [
            {
                "code": f.station,
                "name": f"测试站 {f.station}",
                "kind": "water",
                "control_level": "municipal",
                "city": "绍兴市",
                "illustrative": True,
            }
            for f in fleet
        ],
    )
    connection.execute(
        insert(gateways),
        [
            {
                "id": f.gateway,
                "name": f"测试数采仪 {f.gateway}",
                "password_hash": pw_hash,
                "hj212_password_hash": pw_hash,
            }
            for f in fleet
        ],
    )
    connection.execute(
        insert(gateway_stations),
        [{"gateway_id": f.gateway, "station_code": f.station, "hj212_mn": f.mn} for f in fleet],
    )
    return fleet


def remove_fleet(connection: Connection) -> None:
    connection.execute(delete(readings).where(readings.c.station.like(f"{FLEET_PREFIX}-%")))
    connection.execute(delete(gateways).where(gateways.c.id.like(f"{FLEET_GATEWAY_PREFIX}%")))
    connection.execute(delete(stations).where(stations.c.code.like(f"{FLEET_PREFIX}-%")))
