"""City hours: the mean over the city's stations with a valid value, given enough of them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from services.alerts.figures.air import city_hours
from services.alerts.figures.hourly import Hours
from services.standards.local_time import BEIJING_TIME

HOUR = datetime(2026, 11, 26, 8, tzinfo=BEIJING_TIME)


@pytest.mark.parametrize(("min_stations", "pm25"), [(1, Decimal(20)), (2, Decimal(20)), (3, None)])
def test_a_city_hour_needs_its_minimum_of_stations(min_stations: int, pm25: Decimal | None) -> None:
    stations: dict[str, Hours] = {
        "A": {HOUR: {"pm25": Decimal(10)}},
        "B": {HOUR: {"pm25": Decimal(30)}},
        "C": {HOUR: {"pm25": None}},
    }
    assert city_hours(stations, ("A", "B", "C"), min_stations)[HOUR]["pm25"] == pm25
