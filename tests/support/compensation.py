"""Helpers for the compensation tests: the principals' keys, and readings (monthly laboratory results,
automatic values on a station's programme grid made in SQL, or what the simulator would send)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text

from services.standards.local_time import BEIJING_TIME, day_start
from services.storage.schema import readings
from simulators.plan import programme_sample
from simulators.stations import load_gateways

AUTOMATIC_SOURCE = "hj212"
XXJ = "XXJ-XIAOSHAN-KEQIAO"
LEVELS = {"codmn": "4.0", "nh3n": "0.80", "tp": "0.17"}  # a year of joint results at these levels settles XXJ
PASSWORD = "finance-password-1"


@dataclass(frozen=True)
class Keys:
    """The API keys the ``keys`` fixture creates, one per role (and a viewer limited to Keqiao)."""

    admin: str
    bureau: str
    finance: str
    viewer: str
    keqiao_viewer: str


def as_(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def store_monthly(
    engine: Engine, station: str, year: int, values: dict[str, float], *, source: str = "manual", day: int = 10
) -> None:
    """One sample a month per parameter, as a manual or joint laboratory result."""
    rows = [
        {
            "time": datetime(year, month, day, 10, tzinfo=BEIJING_TIME),
            "station": station,
            "parameter": code,
            "value": value,
            "flag": "N",
            "source": source,
        }
        for month in range(1, 13)
        for code, value in values.items()
    ]
    with engine.begin() as conn:
        conn.execute(insert(readings), rows)


def store_automatic(
    engine: Engine,
    station: str,
    first_day: date,
    last_day: date,
    levels: dict[str, float],
    *,
    interval: timedelta = timedelta(hours=4),
    every_nth_missing: int | None = None,
) -> int:
    """Valid automatic readings of each parameter every ``interval`` from 00:00 of ``first_day`` to the end
    of ``last_day`` (Beijing time), each within ±5 % of its level; every n-th report left out if asked."""
    start, end = day_start(first_day), day_start(last_day + timedelta(days=1))
    skip = "and (extract(epoch from t)::bigint / :step_seconds) % :nth <> 0" if every_nth_missing else ""
    stored = 0
    with engine.begin() as connection:
        for parameter, level in levels.items():
            stored += connection.execute(
                text(f"""
                    insert into readings (time, station, parameter, value, flag, source)
                    select t, :station, :parameter,
                           round((:level * (0.95 + 0.1 * ((extract(epoch from t)::bigint / :step_seconds) % 7) / 6.0))
                                 ::numeric, 4)::float8,
                           'N', :source
                    from generate_series(cast(:start as timestamptz), cast(:end as timestamptz) - :step, :step) as t
                    where true {skip}
                """),
                {
                    "station": station,
                    "parameter": parameter,
                    "level": level,
                    "start": start,
                    "end": end,
                    "step": interval,
                    "step_seconds": int(interval.total_seconds()),
                    "nth": every_nth_missing or 1,
                    "source": AUTOMATIC_SOURCE,
                },
            ).rowcount
    return stored


def store_simulated(engine: Engine, stations: Iterable[str], first_day: date, last_day: date, seed: int = 1) -> int:
    """What the simulator's gateways would send for ``stations`` (their programmes, their values, no faults),
    written straight to ``readings`` with COPY: the data ``make run``'s backfill delivers over MQTT."""
    wanted = set(stations)
    specs = [spec for gateway in load_gateways() for spec in gateway.stations if spec.code in wanted]
    start, end = day_start(first_day), day_start(last_day + timedelta(days=1))
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        stored = 0
        with (
            driver.cursor() as cursor,
            cursor.copy("copy readings (time, station, parameter, value, flag, source) from stdin") as copy,
        ):
            for spec in specs:
                for moment, parameters in spec.schedule(start, end).items():
                    item = programme_sample(seed, spec, moment, parameters)
                    for parameter, value in item.values.items():
                        copy.write_row(
                            (moment, spec.code, parameter, float(value), item.flags.get(parameter, "N"), "mqtt-json")
                        )
                        stored += 1
    return stored


def joint_year(year: int = 2025, **change: Any) -> list[dict[str, Any]]:
    """A year of monthly joint results (keqiao and xiaoshan) at 杨汛桥, one per indicator at LEVELS."""
    return [
        {
            "section": "XXJ-YANGXUN",
            "date": f"{year}-{month:02d}-10",
            "time": "09:30",
            "indicator": code,
            "value": value,
            "tier": "joint-manual",
            "sampling_parties": ["xiaoshan", "keqiao"],
            "laboratory": "示例实验室",
            "report_no": f"{year}-JC-{month:03d}",
            **change,
        }
        for month in range(1, 13)
        for code, value in LEVELS.items()
    ]


def upload(client: TestClient, key: str, results: list[dict[str, Any]]) -> Any:
    """POST /monitoring/results as the key's principal."""
    return client.post("/monitoring/results", json={"results": results}, headers=as_(key))
