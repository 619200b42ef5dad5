"""The HJ 212 device registry: which MN belongs to which gateway and station, and how it authenticates.

Read by the ingest service (MN ↔ topic binding) and the HJ 212 TCP gateway (logger log-in) alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from services.storage.schema import gateway_stations, gateways, stations


@dataclass(frozen=True, slots=True)
class Hj212Device:
    mn: str
    gateway: str
    station: str
    station_kind: str
    password_hash: str | None  # gateways.hj212_password_hash: None means nobody can log in as this MN
    accept_modbus_crc: bool


def load_hj212_devices(connection: Connection) -> dict[str, Hj212Device]:
    """Every MN of an enabled gateway, by MN."""
    rows = connection.execute(
        select(
            gateway_stations.c.hj212_mn,
            gateways.c.id,
            stations.c.code,
            stations.c.kind,
            gateways.c.hj212_password_hash,
            gateways.c.accept_modbus_crc,
        )
        .join(gateways, gateways.c.id == gateway_stations.c.gateway_id)
        .join(stations, stations.c.code == gateway_stations.c.station_code)
        .where(gateways.c.enabled, gateway_stations.c.hj212_mn.is_not(None))
    )
    return {mn: Hj212Device(mn, gw, code, kind, pw_hash, modbus) for mn, gw, code, kind, pw_hash, modbus in rows}
