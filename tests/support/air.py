"""Air readings with a story, shared by the figures test and the end-to-end test that sends them over MQTT."""

from __future__ import annotations

from datetime import date

from tests.support.alerts import Reading, air_day, local, reading

QUARTERS = (0, 15, 30, 45)


def under_sampled_no2_day(station: str, day: date) -> list[Reading]:
    """Clean hourly air (``CLEAN_AIR``), but NO2 every 15 minutes: four readings of 100 µg/m³ in each hour
    04–23, one of 400 in each hour 00–03 (15 minutes of the hour: under GB 3095's 45)."""
    rows = [r for r in air_day(day, stations=(station,)) if r["parameter"] != "no2"]
    rows += [reading(station, "no2", local(day, hour, minute), 100) for hour in range(4, 24) for minute in QUARTERS]
    rows += [reading(station, "no2", local(day, hour), 400) for hour in range(4)]
    return rows
