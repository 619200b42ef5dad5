"""Water period values by source: 环办〔2011〕22号 for laboratory samples, the MEE 2020 statistics rule
(《地表水环境质量监测数据统计技术规定（试行）》) for automatic data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.standards import water_statistics as ws
from services.standards.water_statistics import Observation, StatisticRule, Tally, Tier

DAY = date(2026, 3, 1)
FOUR_HOURLY = 6  # a provincial automatic station's programme: 6 values a day


def _days(n: int) -> list[date]:
    return [DAY + timedelta(days=i) for i in range(n)]


def _six(_item: str, _day: date) -> int:
    return FOUR_HOURLY


# 2020 rule: a daily value rests on the day's valid values; default minimum 2/3 of the programme [?].
DAILY_CASES = [
    # values, expected, valid, mean
    (["1", "2", "3", "4", "5", "6"], 6, True, Fraction(7, 2)),
    (["1", "2", "3", "4"], 6, True, Fraction(5, 2)),  # 4 of 6 is enough
    (["1", "2", "3"], 6, False, Fraction(2)),  # 3 of 6 is not; the mean is still shown
    (["0.5"], 1, True, Fraction(1, 2)),  # a once-a-day programme
    (["0.5"], 0, True, Fraction(1, 2)),  # no programme: one value is the least a day needs
    (["1"] * 16, 24, True, Fraction(1)),  # hourly station: 16 of 24
    (["1"] * 15, 24, False, Fraction(1)),
]


@pytest.mark.parametrize(("values", "expected", "valid", "mean"), DAILY_CASES)
def test_daily_value_needs_its_share_of_the_programme(
    values: list[str], expected: int, valid: bool, mean: Fraction
) -> None:
    daily = ws.daily_value(DAY, Tally.of(values), expected)
    assert (daily.valid, daily.mean) == (valid, mean)


def test_a_day_without_values_has_no_daily_value() -> None:
    daily = ws.daily_value(DAY, Tally(), FOUR_HOURLY)
    assert (daily.mean, daily.valid) == (None, False)


def test_automatic_period_value_is_the_mean_of_valid_daily_values_not_of_samples() -> None:
    # Day 1 has six values of 1, day 2 four values of 4: daily values 1 and 4 → period value 2.5.
    # The mean of the ten samples would be 2.2; a short day (3 values of 100) does not count.
    tallies = {
        ("nh3n", Tier.AUTOMATIC): {
            DAY: Tally.of(["1"] * 6),
            DAY + timedelta(days=1): Tally.of(["4"] * 4),
            DAY + timedelta(days=2): Tally.of(["100"] * 3),
        }
    }
    value = ws.period_values(tallies, "month", _six)["nh3n"]
    assert (value.value, value.count, value.rule, value.tier) == (
        Decimal("2.5"),
        2,
        StatisticRule.DAILY_VALUES,
        Tier.AUTOMATIC,
    )


def test_manual_period_value_is_the_mean_of_the_samples_not_of_daily_means() -> None:
    # 22号: two samples on one day (1 and 3) and one on another (8): (1 + 3 + 8) / 3 = 4, not (2 + 8) / 2.
    tallies = ws.tally_observations(
        [
            Observation(DAY, "cod", Tier.MANUAL, "1"),
            Observation(DAY, "cod", Tier.MANUAL, "3"),
            Observation(DAY + timedelta(days=9), "cod", Tier.MANUAL, "8"),
        ]
    )
    value = ws.period_values(tallies, "month", _six)["cod"]
    assert (value.value, value.count, value.rule) == (Decimal(4), 3, StatisticRule.SAMPLE_MEAN)


# Minimum counts per period: (tier, period kind, count just enough); month and shorter for manual data
# are 22号's "a single sample may be used", the rest [?] and configurable.
MINIMUM_CASES = [
    (Tier.MANUAL, "week", 1, True),
    (Tier.MANUAL, "ten_days", 1, True),
    (Tier.MANUAL, "month", 1, True),
    (Tier.JOINT_MANUAL, "month", 1, True),
    (Tier.MANUAL, "quarter", 2, False),
    (Tier.MANUAL, "year", 8, False),
    (Tier.AUTOMATIC, "month", 20, False),
    (Tier.AUTOMATIC, "quarter", 60, False),
    (Tier.AUTOMATIC, "year", 240, False),
]


@pytest.mark.parametrize(("tier", "kind", "enough", "verified"), MINIMUM_CASES)
def test_default_minimums_and_which_are_verified(tier: Tier, kind: ws.PeriodKind, enough: int, verified: bool) -> None:
    assert ws.DEFAULT_MINIMUMS.period_required(tier, kind) == enough
    key = ("manual" if tier is not Tier.AUTOMATIC else "automatic", kind)
    assert (key in ws.VERIFIED_MINIMUMS) == verified


@pytest.mark.parametrize("short", [True, False])
def test_automatic_month_minimum_counts_valid_days(short: bool) -> None:
    days = _days(19 if short else 20)
    tallies = {("do", Tier.AUTOMATIC): {d: Tally.of(["6"] * 6) for d in days}}
    value = ws.period_values(tallies, "month", _six)["do"]
    assert (value.count, value.meets_minimum) == (len(days), not short)


def test_minimums_are_configurable() -> None:
    loose = ws.Minimums(
        daily_share=Fraction(1, 6),
        automatic_days={"week": 1, "ten_days": 1, "month": 1, "quarter": 1, "year": 1},
    )
    tallies = {("tp", Tier.AUTOMATIC): {DAY: Tally.of(["0.1"])}}
    value = ws.period_values(tallies, "month", _six, loose)["tp"]
    assert (value.value, value.meets_minimum) == (Decimal("0.1"), True)
    assert ws.period_values(tallies, "month", _six) == {}  # 1 of 6 values: no valid day by default


@pytest.mark.parametrize(
    "bad",
    [
        {"daily_share": Fraction(0)},
        {"daily_share": Fraction(3, 2)},
        {"manual_samples": {"month": 1}},
        {"automatic_days": {"week": 0, "ten_days": 1, "month": 1, "quarter": 1, "year": 1}},
    ],
)
def test_bad_minimums_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"daily_share|needs a count|whole number"):
        ws.Minimums(**bad)  # type: ignore[arg-type]


# Source choice: (item, tiers with data, tiers meeting the minimum) → chosen tier.
CHOICE_CASES = [
    # 2020 rule: automatic data take priority for pH, DO, CODMn, NH3-N, TP, TN
    ("nh3n", {Tier.AUTOMATIC, Tier.MANUAL}, {Tier.AUTOMATIC, Tier.MANUAL}, Tier.AUTOMATIC),
    ("ph", {Tier.AUTOMATIC, Tier.JOINT_MANUAL}, {Tier.AUTOMATIC, Tier.JOINT_MANUAL}, Tier.AUTOMATIC),
    # automatic data short of their minimum give way to laboratory data that meet theirs [I]
    ("tp", {Tier.AUTOMATIC, Tier.MANUAL}, {Tier.MANUAL}, Tier.MANUAL),
    # nothing meets its minimum: the preferred tier with data, marked short [I]
    ("codmn", {Tier.AUTOMATIC, Tier.MANUAL}, set(), Tier.AUTOMATIC),
    # other items: laboratory data first, joint before single-party manual
    ("cod", {Tier.AUTOMATIC, Tier.MANUAL}, {Tier.AUTOMATIC, Tier.MANUAL}, Tier.MANUAL),
    ("cod", {Tier.JOINT_MANUAL, Tier.MANUAL}, {Tier.JOINT_MANUAL, Tier.MANUAL}, Tier.JOINT_MANUAL),
    ("bod5", {Tier.AUTOMATIC}, {Tier.AUTOMATIC}, Tier.AUTOMATIC),
]


@pytest.mark.parametrize(("item", "present", "enough", "chosen"), CHOICE_CASES)
def test_source_choice(item: str, present: set[Tier], enough: set[Tier], chosen: Tier) -> None:
    candidates = {
        tier: ws.PeriodValue(item=item, tier=tier, exact=Fraction(1), count=5 if tier in enough else 0, required=5)
        for tier in present
    }
    value = ws.preferred(item, candidates)
    assert value is not None and value.tier == chosen
    assert value.meets_minimum == (chosen in enough)


def test_mixed_sources_name_their_rules() -> None:
    tallies = ws.tally_observations(
        [
            *(Observation(d, "nh3n", Tier.AUTOMATIC, "0.5") for d in _days(20) for _ in range(6)),
            Observation(DAY, "cod", Tier.JOINT_MANUAL, "18"),
        ]
    )
    values = ws.period_values(tallies, "month", _six)
    assert {item: v.rule for item, v in values.items()} == {
        "nh3n": StatisticRule.DAILY_VALUES,
        "cod": StatisticRule.SAMPLE_MEAN,
    }
    assert ws.figure_rule(values.values()) == ws.MIXED
    assert ws.figure_rule([values["cod"]]) == "sample-mean-2011"
    with pytest.raises(ValueError, match="no rule"):
        ws.figure_rule([])
    assert ws.combined_rule(["daily-values-2020", "daily-values-2020"]) == "daily-values-2020"
    assert ws.combined_rule(["daily-values-2020", "sample-mean-2011"]) == ws.MIXED


def test_every_rule_has_its_document() -> None:
    assert "环办〔2011〕22号" in ws.RULE_TEXT_ZH[StatisticRule.SAMPLE_MEAN]
    assert "地表水环境质量监测数据统计技术规定" in ws.RULE_TEXT_ZH[StatisticRule.DAILY_VALUES]
    assert set(ws.RULE_OF_TIER.values()) == set(StatisticRule)


def test_automatic_rule_is_not_for_samples() -> None:
    with pytest.raises(ValueError, match="2020 rule"):
        ws.sample_period_value("cod", Tier.AUTOMATIC, Tally.of(["1"]), "month")


def test_non_terminating_mean_is_exact_for_classification() -> None:
    samples = Tally.of(["20", "20", "20.000000000000000000000000001"])
    value = ws.sample_period_value("cod", Tier.MANUAL, samples, "month")
    assert value is not None and value.exact > 20
    assert value.value == Decimal("20.00000000000000000000000000")  # published form: 28 significant digits


values_strategy = st.lists(
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False), min_size=1, max_size=8
)


@given(st.lists(values_strategy, min_size=1, max_size=10))
def test_laboratory_mean_ignores_how_samples_fall_into_days(day_values: list[list[Decimal]]) -> None:
    """22号: splitting the same samples across days never changes the period value."""
    spread = {("cod", Tier.MANUAL): {d: Tally.of(v) for d, v in zip(_days(len(day_values)), day_values, strict=True)}}
    one_day = {("cod", Tier.MANUAL): {DAY: Tally.of([x for v in day_values for x in v])}}
    assert ws.period_values(spread, "month", _six) == ws.period_values(one_day, "month", _six)


@given(st.lists(values_strategy, min_size=1, max_size=10))
def test_automatic_value_is_the_mean_of_its_valid_daily_means(day_values: list[list[Decimal]]) -> None:
    days = _days(len(day_values))
    tallies = {("do", Tier.AUTOMATIC): {d: Tally.of(v) for d, v in zip(days, day_values, strict=True)}}
    valid = [Fraction(sum(v)) / len(v) for v in day_values if len(v) >= 4]
    result = ws.period_values(tallies, "month", _six).get("do")
    if not valid:
        assert result is None
    else:
        assert result is not None and result.exact == sum(valid, Fraction(0)) / len(valid)


def test_a_value_says_how_it_was_made() -> None:
    value = ws.sample_period_value("cod", Tier.JOINT_MANUAL, Tally.of(["16", "18"]), "quarter")
    assert value is not None
    assert value.statistics() == {
        "rule": "sample-mean-2011",
        "tier": "joint-manual",
        "count": 2,
        "required": 2,
        "meets_minimum": True,
    }
