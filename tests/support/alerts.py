"""Helpers for the alerts tests: reading builders (air days, water days), inserting and copying readings,
emptying the service's tables, a computation job on the city registry, and the retained MQTT snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Connection, Engine, text

from devstack.mosquitto import MosquittoBroker
from devstack.processes import wait_until
from services.alerts.context import Computation
from services.alerts.figures.subject_hours import SUBJECT_HOURS, create_subject_tables
from services.alerts.registry import registry_from_database
from services.alerts.tables import AIR_POLLUTANTS, PUBLICATION_COLUMN_NAMES
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import metadata

CITY = "绍兴市"
CITY_STATIONS = ("AIR-KEQIAO", "AIR-SHANGYU", "AIR-YUECHENG")
CLEAN_AIR = {"pm25": 30, "pm10": 30, "so2": 5, "no2": 10, "co": 0.5, "o3": 50}

Reading = dict[str, object]
READING_COLUMNS = ("time", "station", "parameter", "value", "flag", "source")


def figure_tables() -> list[str]:
    return [t.name for t in metadata.sorted_tables if set(PUBLICATION_COLUMN_NAMES) <= set(t.c.keys())]


def empty_alerts_tables(engine: Engine, *others: str) -> None:
    """Truncate every table of the alerts service, and ``others``."""
    names = [
        *others,
        *figure_tables(),
        "hourly_values",
        "air_station_hours",
        "figure_revisions",
        "station_status",
        "air_forecasts",
        "alert_outbox",
        "alert_history",
        "alert_states",
    ]
    with engine.begin() as connection:
        connection.execute(text(f"truncate {', '.join(names)}"))


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BEIJING_TIME)


def reading(station: str, parameter: str, at: datetime, value: float, flag: str = "N") -> Reading:
    return {"time": at, "station": station, "parameter": parameter, "value": value, "flag": flag, "source": "mqtt-json"}


def air_day(
    day: date, stations: Iterable[str] = CITY_STATIONS, hours: Iterable[int] = range(24), **overrides: float
) -> list[Reading]:
    """Hourly readings of every AQI pollutant, constant over the hours (CLEAN_AIR unless overridden)."""
    values = {**CLEAN_AIR, **overrides}
    return [
        reading(station, code, local(day, hour), value)
        for station in stations
        for hour in hours
        for code, value in values.items()
    ]


def water_day(section: str, day: date, values: Mapping[str, float], hours: Iterable[int] = range(24)) -> list[Reading]:
    return [reading(section, code, local(day, hour), value) for hour in hours for code, value in values.items()]


def insert(connection: Connection, rows: list[Reading]) -> None:
    if rows:
        connection.execute(
            text(
                "insert into readings (time, station, parameter, value, flag, source, received_at) "
                "values (:time, :station, :parameter, :value, :flag, :source, now())"
            ),
            rows,
        )


def copy_readings(connection: Connection, rows: Iterable[Reading]) -> None:
    """COPY readings in (``received_at`` defaults to now): many times faster than ``insert`` for a year of data."""
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"copy readings ({', '.join(READING_COLUMNS)}) from stdin"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in READING_COLUMNS])


def close(stored: Decimal, exact: Fraction) -> bool:
    """Stored shares keep at least 28 significant digits of the exact fraction."""
    return abs(Fraction(stored) - exact) < Fraction(1, 10**27)


# A subject's 1-hour values per hour: pollutant → value, None (or no key) for a missing one.
SubjectHours = Mapping[tuple[str, datetime], Mapping[str, Decimal | None]]


def fill_subject_hours(connection: Connection, hours: SubjectHours) -> None:
    """Fresh, empty ``subject_hours`` and ``subject_measured``, then a row of ``subject_hours`` per hour given."""
    create_subject_tables(connection)
    rows = [
        {"subject": subject, "hour": hour, **{code: values.get(code) for code in AIR_POLLUTANTS}}
        for (subject, hour), values in hours.items()
    ]
    if rows:
        columns = ", ".join(AIR_POLLUTANTS)
        placeholders = ", ".join(f":{code}" for code in AIR_POLLUTANTS)
        connection.execute(
            text(f"insert into {SUBJECT_HOURS} (subject, hour, {columns}) values (:subject, :hour, {placeholders})"),
            rows,
        )


def job(connection: Connection, now: datetime) -> Computation:
    registry = registry_from_database(connection, city=CITY, city_control_levels=("national",))
    return Computation(connection, registry, now)


def retained_snapshots(broker: MosquittoBroker, accounts: dict[str, str]) -> dict[str, bytes]:
    """A late subscriber still gets the retained snapshots."""
    received: dict[str, bytes] = {}
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="alerts-test-late-display")
    client.username_pw_set("envmon-alerts", accounts["envmon-alerts"])
    client.on_message = lambda _c, _u, message: received.__setitem__(message.topic, bytes(message.payload))
    client.on_connect = lambda c, *_: c.subscribe("envmon/v1/alerts/#", qos=1)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        wait_until(lambda: len(received) >= 3, "three retained severity snapshots", timeout=10)
    finally:
        client.loop_stop()
        client.disconnect()
    return received
