"""The registry the computations read: the city's stations by control level or by an explicit list."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from services.alerts.registry import registry_from_database
from tests.support.alerts import CITY

pytestmark = pytest.mark.integration


def test_an_explicit_city_station_list_replaces_the_control_levels(engine: Engine) -> None:
    with engine.connect() as connection:
        by_level = registry_from_database(connection, city=CITY, city_control_levels=("national",))
        explicit = registry_from_database(
            connection, city=CITY, city_control_levels=("national",), city_stations=("AIR-ZHUJI", "AIR-YUECHENG")
        )
        with pytest.raises(ValueError, match=r"not air stations: \['PYJ-JINHUA'\]"):
            registry_from_database(
                connection, city=CITY, city_control_levels=("national",), city_stations=("PYJ-JINHUA",)
            )
    assert by_level.city_stations == ("AIR-KEQIAO", "AIR-SHANGYU", "AIR-YUECHENG")
    assert explicit.city_stations == ("AIR-YUECHENG", "AIR-ZHUJI")
