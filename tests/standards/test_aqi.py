"""HJ 633-2012 / HJ 633—2026 AQI: every breakpoint from the standards' tables, worked examples, the rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.standards import aqi
from services.standards.aqi import Standard
from services.standards.local_time import BEIJING_TIME

V2012, V2026 = Standard.HJ_633_2012, Standard.HJ_633_2026
DAY_2012, DAY_2026 = date(2026, 2, 28), date(2026, 3, 1)

# Copied from HJ 633—2026 Table 3 and HJ 633-2012 Table 1, not from the module: each breakpoint with its IAQI, and the
# smallest reportable step above it (1 µg/m³, CO 0.1 mg/m³) with its hand-checked ceiling IAQI.
# fmt: off
SHARED_BOUNDARIES = {
    "so2_24h": (("0", 0), ("1", 1), ("50", 50), ("51", 51), ("150", 100), ("151", 101), ("475", 150),
                ("476", 151), ("800", 200), ("801", 201), ("1600", 300), ("1601", 301), ("2100", 400),
                ("2101", 401), ("2620", 500)),
    "so2_1h": (("0", 0), ("1", 1), ("150", 50), ("151", 51), ("500", 100), ("501", 101), ("650", 150),
               ("651", 151), ("800", 200)),
    "no2_24h": (("0", 0), ("1", 2), ("40", 50), ("41", 52), ("80", 100), ("81", 101), ("180", 150),
                ("181", 151), ("280", 200), ("281", 201), ("565", 300), ("566", 301), ("750", 400),
                ("751", 401), ("940", 500)),
    "no2_1h": (("0", 0), ("1", 1), ("100", 50), ("101", 51), ("200", 100), ("201", 101), ("700", 150),
               ("701", 151), ("1200", 200), ("1201", 201), ("2340", 300), ("2341", 301), ("3090", 400),
               ("3091", 401), ("3840", 500)),
    "co_24h": (("0", 0), ("0.1", 3), ("2", 50), ("2.1", 53), ("4", 100), ("4.1", 101), ("14", 150),
               ("14.1", 151), ("24", 200), ("24.1", 201), ("36", 300), ("36.1", 301), ("48", 400),
               ("48.1", 401), ("60", 500)),
    "co_1h": (("0", 0), ("0.1", 1), ("5", 50), ("5.1", 51), ("10", 100), ("10.1", 101), ("35", 150),
              ("35.1", 151), ("60", 200), ("60.1", 201), ("90", 300), ("90.1", 301), ("120", 400),
              ("120.1", 401), ("150", 500)),
    "o3_8h": (("0", 0), ("1", 1), ("100", 50), ("101", 51), ("160", 100), ("161", 101), ("215", 150),
              ("216", 151), ("265", 200), ("266", 201), ("800", 300)),
    "o3_1h": (("0", 0), ("1", 1), ("160", 50), ("161", 52), ("200", 100), ("201", 101), ("300", 150),
              ("301", 151), ("400", 200), ("401", 201), ("800", 300), ("801", 301), ("1000", 400),
              ("1001", 401), ("1200", 500)),
}
PM_BOUNDARIES = {
    V2012: {
        "pm10_24h": (("0", 0), ("1", 1), ("50", 50), ("51", 51), ("150", 100), ("151", 101), ("250", 150),
                     ("251", 151), ("350", 200), ("351", 202), ("420", 300), ("421", 302), ("500", 400),
                     ("501", 401), ("600", 500)),
        "pm25_24h": (("0", 0), ("1", 2), ("35", 50), ("36", 52), ("75", 100), ("76", 102), ("115", 150),
                     ("116", 152), ("150", 200), ("151", 201), ("250", 300), ("251", 301), ("350", 400),
                     ("351", 401), ("500", 500)),
    },
    V2026: {
        "pm10_24h": (("0", 0), ("1", 1), ("50", 50), ("51", 51), ("120", 100), ("121", 101), ("250", 150),
                     ("251", 151), ("350", 200), ("351", 202), ("420", 300), ("421", 302), ("500", 400),
                     ("501", 401), ("600", 500)),
        "pm25_24h": (("0", 0), ("1", 2), ("35", 50), ("36", 52), ("60", 100), ("61", 101), ("115", 150),
                     ("116", 152), ("150", 200), ("151", 201), ("250", 300), ("251", 301), ("350", 400),
                     ("351", 401), ("500", 500)),
    },
}
# fmt: on

# Which (input key, hourly) pairs read each column; 1-hour PM reads the daily PM column.
COLUMN_INPUTS = {
    "so2_24h": (("so2", False), ("so2_24h", True)),
    "so2_1h": (("so2", True),),
    "no2_24h": (("no2", False),),
    "no2_1h": (("no2", True),),
    "co_24h": (("co", False),),
    "co_1h": (("co", True),),
    "o3_8h": (("o3_8h", False),),
    "o3_1h": (("o3", True), ("o3_1h_max", False)),
    "pm10_24h": (("pm10", False), ("pm10", True)),
    "pm25_24h": (("pm25", False), ("pm25", True)),
}

BOUNDARY_CASES = [
    pytest.param(
        version, code, hourly, concentration, expected, id=f"{version}-{code}-{'1h' if hourly else 'd'}-{concentration}"
    )
    for version in (V2012, V2026)
    for column, rows in {**SHARED_BOUNDARIES, **PM_BOUNDARIES[version]}.items()
    for code, hourly in COLUMN_INPUTS[column]
    for concentration, expected in rows
]


@pytest.mark.parametrize(("version", "code", "hourly", "concentration", "expected"), BOUNDARY_CASES)
def test_iaqi_at_and_just_above_every_breakpoint(
    version: Standard, code: str, hourly: bool, concentration: str, expected: int
) -> None:
    assert aqi.iaqi(code, concentration, standard=version, hourly=hourly) == expected


def test_boundary_table_covers_every_column_of_both_versions() -> None:
    for version in (V2012, V2026):
        tested = {**SHARED_BOUNDARIES, **PM_BOUNDARIES[version]}
        assert set(tested) == set(aqi.BREAKPOINTS[version])
        for column, rows in tested.items():
            assert tuple(Decimal(c) for c, _ in rows[::2]) == aqi.BREAKPOINTS[version][column]


# Above the last breakpoint: (version, column) -> (IAQI, capped, substitute key)
ABOVE_TOP = {
    (V2026, "so2_1h"): (200, False, None),
    (V2026, "o3_8h"): (300, False, None),
    (V2012, "so2_1h"): (None, False, "so2_24h"),
    (V2012, "o3_8h"): (None, False, "o3_1h_max"),
}
ABOVE_TOP_CASES = [
    pytest.param(version, code, hourly, rows[-1][0], id=f"{version}-{code}-{'1h' if hourly else 'd'}")
    for version in (V2012, V2026)
    for column, rows in {**SHARED_BOUNDARIES, **PM_BOUNDARIES[version]}.items()
    for code, hourly in COLUMN_INPUTS[column]
]


@pytest.mark.parametrize(("version", "code", "hourly", "top"), ABOVE_TOP_CASES)
def test_just_above_the_top_breakpoint(version: Standard, code: str, hourly: bool, top: str) -> None:
    unit = Decimal("0.1") if code == "co" else Decimal(1)
    column = (aqi.HOURLY_COLUMNS if hourly else aqi.DAILY_COLUMNS)[code]
    expected_value, expected_capped, expected_substitute = ABOVE_TOP.get((version, column), (500, True, None))
    sub = aqi.sub_index(code, Decimal(top) + unit, standard=version, hourly=hourly)
    assert (sub.value, sub.capped, sub.substitute) == (expected_value, expected_capped, expected_substitute)
    far_above = aqi.sub_index(code, Decimal(top) * 10, standard=version, hourly=hourly)
    assert far_above.value == expected_value


@pytest.mark.parametrize(
    ("code", "hourly", "concentration", "rounded", "expected"),
    [
        ("pm25", False, "35.4", "35", 50),
        ("pm25", False, "35.5", "36", 52),  # half-even: 35.5 → 36
        ("pm25", False, "36.5", "36", 52),  # half-even: 36.5 → 36, not 37
        ("pm25", False, "60.49", "60", 100),
        ("co", False, "2.05", "2.0", 50),
        ("co", False, "2.15", "2.2", 55),
        ("co", False, "2.25", "2.2", 55),
        ("co", True, "10.04", "10.0", 100),
        ("o3", True, "160.5", "160", 50),
    ],
)
def test_concentrations_are_rounded_half_even_before_the_iaqi(
    code: str, hourly: bool, concentration: str, rounded: str, expected: int
) -> None:
    sub = aqi.sub_index(code, concentration, standard=V2026, hourly=hourly)
    assert sub.concentration == Decimal(rounded)
    assert str(sub.concentration) == rounded
    assert sub.value == expected


@pytest.mark.parametrize("co", [2.2, "2.2", Decimal("2.2")])
def test_float_trap_co_daily_2_2_gives_exactly_55(co: float | str | Decimal) -> None:
    assert aqi.iaqi("co", co, standard=V2026) == 55
    assert aqi.iaqi("co", co, standard=V2012) == 55
    # The trap itself: binary floats land just above 55 and would round up to 56.
    assert 50 / 2 * 2.2 > 55


def test_issue_daily_example() -> None:
    r = aqi.daily_aqi(
        {"pm25": "52", "pm10": "88", "so2": "9", "no2": "35", "co": "0.7", "o3_8h": "128"}, day=date(2026, 11, 27)
    )
    # Hand check: PM2.5 50 + 50/25·17 = 84; PM10 50 + 50/70·38 = 77.1 → 78; SO2 9; NO2 43.75 → 44;
    # CO 17.5 → 18; O3-8h 50 + 50/60·28 = 73.3 → 74.
    assert r.aqi == 84
    assert (r.category, r.level, r.colour) == ("良", 2, (255, 255, 0))
    assert r.primary == ("pm25",)
    assert dict(r.iaqi) == {"pm25": 84, "pm10": 78, "so2": 9, "no2": 44, "co": 18, "o3_8h": 74}
    assert r.standard == "HJ 633-2026"
    assert (r.missing, r.capped, r.unrated) == ((), (), ())
    assert r.colour_hex == "#FFFF00"


def test_issue_hourly_example_publishes_above_100_despite_missing_items() -> None:
    h = aqi.hourly_aqi({"pm25": "61", "o3": "150"}, hour=datetime(2026, 11, 27, 10, tzinfo=BEIJING_TIME))
    assert h.hourly
    assert h.standard == V2026
    assert dict(h.iaqi) == {"pm25": 101, "o3": 47}
    assert (h.aqi, h.category, h.primary) == (101, "轻度污染", ("pm25",))
    assert h.missing == ("pm10", "so2", "no2", "co")


def test_worked_example_hourly_pm25_61() -> None:
    h = aqi.hourly_aqi({"pm25": 61}, hour=datetime(2026, 3, 1, 0, 30, tzinfo=BEIJING_TIME))
    assert (h.iaqi["pm25"], h.aqi, h.category, h.primary) == (101, 101, "轻度污染", ("pm25",))


def test_worked_example_daily_2026_tie_lists_both_pm() -> None:
    # The reference gives only PM2.5, PM10 and O3-8h; with the other three items present (low) the
    # AQI is 100. With them absent, §5.3 makes it NA (next test): the example omits that detail.
    r = aqi.daily_aqi({"pm25": 60, "pm10": 120, "o3_8h": 100, "so2": 5, "no2": 20, "co": "0.4"}, DAY_2026)
    assert dict(r.iaqi) == {"pm25": 100, "pm10": 100, "so2": 5, "no2": 25, "co": 10, "o3_8h": 50}
    assert (r.aqi, r.category, r.primary) == (100, "良", ("pm25", "pm10"))


def test_2026_missing_item_with_aqi_at_most_100_is_na_but_keeps_iaqis() -> None:
    r = aqi.daily_aqi({"pm25": 60, "pm10": 120, "o3_8h": 100}, DAY_2026)
    assert r.aqi is None
    assert (r.level, r.category, r.colour, r.colour_hex, r.primary) == (None, None, None, None, ())
    assert dict(r.iaqi) == {"pm25": 100, "pm10": 100, "o3_8h": 50}
    assert r.missing == ("so2", "no2", "co")


def test_2026_missing_item_with_aqi_above_100_is_published() -> None:
    r = aqi.daily_aqi({"pm25": 61, "pm10": 120, "o3_8h": 100, "so2": None}, DAY_2026)
    assert (r.aqi, r.category, r.primary) == (101, "轻度污染", ("pm25",))
    assert r.missing == ("so2", "no2", "co")


def test_items_not_in_the_programme_do_not_block_2026_publication() -> None:
    r = aqi.daily_aqi({"pm25": 60, "pm10": 120, "o3_8h": 100, "no2": 20}, DAY_2026, not_in_programme=("so2", "co"))
    assert (r.aqi, r.primary, r.missing) == (100, ("pm25", "pm10"), ())
    h = aqi.hourly_aqi({"pm25": 10}, hour=datetime(2026, 5, 1, tzinfo=BEIJING_TIME), not_in_programme=("so2",))
    assert (h.aqi, h.missing) == (None, ("pm10", "no2", "co", "o3"))
    with pytest.raises(ValueError, match="inputs"):
        aqi.daily_aqi({"pm25": 10}, DAY_2026, not_in_programme=("o3",))


def test_worked_example_same_day_under_2012() -> None:
    r = aqi.daily_aqi({"pm25": 60, "pm10": 120, "o3_8h": 100}, DAY_2012)
    assert r.standard == V2012
    assert dict(r.iaqi) == {"pm25": 82, "pm10": 85, "o3_8h": 50}
    # 2012 has no NA rule: published from what exists, absent items listed.
    assert (r.aqi, r.category, r.primary) == (85, "良", ("pm10",))
    assert r.missing == ("so2", "no2", "co", "o3_1h_max")


def test_nothing_given_is_na_under_both_versions() -> None:
    for day in (DAY_2012, DAY_2026):
        r = aqi.daily_aqi({}, day)
        assert (r.aqi, r.primary, dict(r.iaqi)) == (None, (), {})
        assert r.missing == aqi.DAILY_ITEMS[aqi.standard_for(day)]


def test_primary_only_above_50() -> None:
    full = {"pm25": 35, "pm10": 50, "so2": 50, "no2": 40, "co": 2, "o3_8h": 100}
    at_50 = aqi.daily_aqi(full, DAY_2026)
    assert (at_50.aqi, at_50.category, at_50.primary) == (50, "优", ())
    at_51 = aqi.daily_aqi({**full, "no2": 41}, DAY_2026)
    assert (at_51.aqi, at_51.category, at_51.primary) == (52, "良", ("no2",))


def test_all_zero_is_aqi_0_level_1() -> None:
    zeros = dict.fromkeys(aqi.DAILY_ITEMS[V2026], 0)
    r = aqi.daily_aqi(zeros, DAY_2026)
    assert (r.aqi, r.level, r.category, r.primary) == (0, 1, "优", ())


@pytest.mark.parametrize(
    ("aqi_value", "level", "name", "colour"),
    [
        (0, 1, "优", (0, 228, 0)),
        (1, 1, "优", (0, 228, 0)),
        (50, 1, "优", (0, 228, 0)),
        (51, 2, "良", (255, 255, 0)),
        (100, 2, "良", (255, 255, 0)),
        (101, 3, "轻度污染", (255, 126, 0)),
        (150, 3, "轻度污染", (255, 126, 0)),
        (151, 4, "中度污染", (255, 0, 0)),
        (200, 4, "中度污染", (255, 0, 0)),
        (201, 5, "重度污染", (153, 0, 76)),
        (300, 5, "重度污染", (153, 0, 76)),
        (301, 6, "严重污染", (126, 0, 35)),
        (500, 6, "严重污染", (126, 0, 35)),
    ],
)
def test_category_bands(aqi_value: int, level: int, name: str, colour: tuple[int, int, int]) -> None:
    category = aqi.category_for(aqi_value)
    assert (category.level, category.name, category.colour) == (level, name, colour)


def test_category_hex_and_negative_aqi() -> None:
    assert aqi.category_for(250).colour_hex == "#99004C"
    with pytest.raises(ValueError, match="negative"):
        aqi.category_for(-1)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (date(2026, 2, 28), V2012),
        (date(2026, 3, 1), V2026),
        (date(2012, 1, 1), V2012),
        (datetime(2026, 2, 28, 23, 30, tzinfo=BEIJING_TIME), V2012),
        (datetime(2026, 3, 1, 0, 30, tzinfo=BEIJING_TIME), V2026),
        (datetime(2026, 2, 28, 16, 0, tzinfo=UTC), V2026),  # 2026-03-01 00:00 Beijing time
        (datetime(2026, 2, 28, 15, 59, 59, tzinfo=UTC), V2012),  # 2026-02-28 23:59:59 Beijing time
    ],
)
def test_version_switch(moment: date, expected: Standard) -> None:
    assert aqi.standard_for(moment) == expected


def test_version_switch_changes_the_pm_table() -> None:
    before = aqi.hourly_aqi({"pm25": 61}, hour=datetime(2026, 2, 28, 23, 30, tzinfo=BEIJING_TIME))
    after = aqi.hourly_aqi({"pm25": 61}, hour=datetime(2026, 3, 1, 0, 30, tzinfo=BEIJING_TIME))
    utc = aqi.hourly_aqi({"pm25": 61}, hour=datetime(2026, 2, 28, 16, 30, tzinfo=UTC))
    assert (before.standard, before.iaqi["pm25"]) == (V2012, 83)  # 50 + 50/40·26 = 82.5 → 83
    assert (after.standard, after.iaqi["pm25"]) == (V2026, 101)
    assert utc.standard == V2026
    assert aqi.daily_aqi({"pm25": 61}, DAY_2012).iaqi["pm25"] == 83
    assert aqi.daily_aqi({"pm25": 61}, DAY_2026).iaqi["pm25"] == 101


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        aqi.hourly_aqi({"pm25": 10}, hour=datetime(2026, 3, 1, 10))
    with pytest.raises(ValueError, match="naive"):
        aqi.standard_for(datetime(2026, 3, 1, 10))


def test_hourly_needs_a_datetime() -> None:
    with pytest.raises(TypeError):
        aqi.hourly_aqi({"pm25": 10}, hour=date(2026, 3, 1))  # type: ignore[arg-type]


def test_negative_concentration_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        aqi.daily_aqi({"pm25": "-0.4"}, DAY_2026)
    with pytest.raises(ValueError, match="negative"):
        aqi.iaqi("co", -1, standard=V2012)


@pytest.mark.parametrize(
    ("inputs", "day_or_hour"),
    [
        ({"o3_1h_max": 100}, DAY_2026),  # a 2012-only daily item
        ({"o3": 100}, DAY_2026),  # 1-hour O3 is not a daily item
        ({"pm2.5": 10}, DAY_2012),
        ({"o3_8h": 100}, datetime(2026, 5, 1, 12, tzinfo=BEIJING_TIME)),  # not a 2026 real-time item
        ({"so2_24h": 100}, datetime(2026, 5, 1, 12, tzinfo=BEIJING_TIME)),  # 2012-only substitute
    ],
)
def test_inputs_outside_the_version_and_period_are_rejected(inputs: dict[str, int], day_or_hour: date) -> None:
    with pytest.raises(ValueError, match="inputs"):
        if isinstance(day_or_hour, datetime):
            aqi.hourly_aqi(inputs, hour=day_or_hour)
        else:
            aqi.daily_aqi(inputs, day_or_hour)


def test_unknown_code_in_iaqi_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a daily"):
        aqi.iaqi("o3", 100, standard=V2026)
    with pytest.raises(ValueError, match="not a 1-hour"):
        aqi.iaqi("o3_8h", 100, standard=V2026, hourly=True)
    with pytest.raises(ValueError):
        aqi.iaqi("pm25", 10, standard="HJ 633-2099")


def test_non_numbers_are_rejected() -> None:
    with pytest.raises(ValueError, match="not a number"):
        aqi.daily_aqi({"pm25": "abc"}, DAY_2026)


def test_2026_so2_1h_above_800_is_200_and_o3_8h_above_800_is_300() -> None:
    hour = datetime(2026, 6, 1, 12, tzinfo=BEIJING_TIME)
    h = aqi.hourly_aqi({"so2": 801, "pm25": 10}, hour=hour)
    assert (h.iaqi["so2"], h.aqi, h.primary, h.capped) == (200, 200, ("so2",), ())
    d = aqi.daily_aqi({"o3_8h": 900, "pm25": 10}, date(2026, 6, 1))
    assert (d.iaqi["o3_8h"], d.aqi, d.category, d.capped) == (300, 300, "重度污染", ())


def test_2012_so2_1h_above_800_reports_the_24h_mean_iaqi() -> None:
    hour = datetime(2025, 6, 1, 12, tzinfo=BEIJING_TIME)
    h = aqi.hourly_aqi({"so2": 900, "so2_24h": 300, "pm25": 10}, hour=hour)
    # SO2 24-h 300: 100 + 50/325·150 = 123.08 → 124
    assert dict(h.iaqi) == {"pm25": 15, "so2": 124}
    assert dict(h.substituted) == {"so2": "so2_24h"}
    assert (h.aqi, h.primary, h.unrated) == (124, ("so2",), ())
    assert h.concentrations["so2_24h"] == 300


def test_2012_so2_1h_above_800_without_24h_mean_is_unrated() -> None:
    h = aqi.hourly_aqi({"so2": 900, "pm25": 10}, hour=datetime(2025, 6, 1, 12, tzinfo=BEIJING_TIME))
    assert "so2" not in h.iaqi
    assert h.unrated == ("so2",)
    assert (h.aqi, h.category) == (15, "优")


def test_2012_o3_8h_above_800_reports_the_1h_max_iaqi() -> None:
    d = aqi.daily_aqi({"o3_8h": 850, "o3_1h_max": 1100, "pm25": 10}, DAY_2012)
    # O3 1-h 1100: 400 + 100/200·100 = 450
    assert (d.iaqi["o3_8h"], d.iaqi["o3_1h_max"]) == (450, 450)
    assert dict(d.substituted) == {"o3_8h": "o3_1h_max"}
    assert (d.aqi, d.primary) == (450, ("o3_8h", "o3_1h_max"))
    without = aqi.daily_aqi({"o3_8h": 850, "pm25": 10}, DAY_2012)
    assert (without.unrated, without.aqi, "o3_8h" in without.iaqi) == (("o3_8h",), 15, False)


def test_2026_incomplete_na_rule_does_not_apply_to_2012() -> None:
    full_2012 = {"pm25": 10, "pm10": 10, "so2": 5, "no2": 5, "co": 1, "o3_8h": 50, "o3_1h_max": 80}
    assert aqi.daily_aqi(full_2012, DAY_2012).aqi == 25
    assert aqi.daily_aqi({"pm25": 10}, DAY_2012).aqi == 15
    assert aqi.daily_aqi({"pm25": 10}, DAY_2026).aqi is None


def test_above_top_is_capped_at_500_and_flagged() -> None:
    r = aqi.daily_aqi({"pm25": 700, "pm10": 601, "so2": 5, "no2": 5, "co": 1, "o3_8h": 50}, DAY_2026)
    assert (r.aqi, r.level, r.category, r.colour) == (500, 6, "严重污染", (126, 0, 35))
    assert r.capped == ("pm25", "pm10")
    assert r.primary == ("pm25", "pm10")
    h = aqi.hourly_aqi({"so2": 900, "so2_24h": 3000}, hour=datetime(2025, 1, 1, tzinfo=BEIJING_TIME))
    assert (h.iaqi["so2"], h.capped) == (500, ("so2_24h",))


def test_result_mappings_are_read_only() -> None:
    r = aqi.daily_aqi({"pm25": 10}, DAY_2012)
    with pytest.raises(TypeError):
        r.iaqi["pm25"] = 1  # type: ignore[index]


def test_items_for() -> None:
    assert aqi.items_for("HJ 633-2026", hourly=False) == ("pm25", "pm10", "so2", "no2", "co", "o3_8h")
    assert aqi.items_for(V2012, hourly=False)[-1] == "o3_1h_max"
    assert aqi.items_for(V2012, hourly=True) == ("pm25", "pm10", "so2", "no2", "co", "o3")


MONOTONE_INPUTS = [
    (version, code, hourly)
    for version in (V2012, V2026)
    for code, hourly in {pair for pairs in COLUMN_INPUTS.values() for pair in pairs}
    if not (version is V2026 and code == "so2_24h")
]


@given(
    case=st.sampled_from(MONOTONE_INPUTS),
    low=st.decimals(min_value=0, max_value=5000, places=2),
    step=st.decimals(min_value=0, max_value=5000, places=2),
)
def test_higher_concentration_never_lowers_iaqi(case: tuple[Standard, str, bool], low: Decimal, step: Decimal) -> None:
    version, code, hourly = case
    low_iaqi = aqi.iaqi(code, low, standard=version, hourly=hourly)
    high_iaqi = aqi.iaqi(code, low + step, standard=version, hourly=hourly)
    # None only where 2012 reports a substitute's IAQI instead, which this property cannot order.
    if low_iaqi is not None and high_iaqi is not None:
        assert low_iaqi <= high_iaqi
    assert low_iaqi is not None or high_iaqi is None


@given(st.floats(min_value=0, max_value=5000, allow_nan=False))
def test_float_input_equals_its_repr(value: float) -> None:
    assert aqi.iaqi("co", value, standard=V2026) == aqi.iaqi("co", repr(value), standard=V2026)
