"""GB 3838-2002 classes and 环办〔2011〕22号 evaluation, from GB 3838-2002 Table 1 and the rules of 环办〔2011〕22号."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.standards import reporting, water

# GB 3838-2002 Table 1 transcribed: code, Class Ⅰ..Ⅴ limits, the class of a value exactly at each
# limit, and the class of a value just above it (shared limits resolve to the best class).
UPPER_ROWS = [
    ("codmn", ("2", "4", "6", "10", "15"), (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("cod", ("15", "15", "20", "30", "40"), (1, 1, 3, 4, 5), (3, 3, 4, 5, 6)),
    ("bod5", ("3", "3", "4", "6", "10"), (1, 1, 3, 4, 5), (3, 3, 4, 5, 6)),
    ("nh3n", ("0.15", "0.5", "1.0", "1.5", "2.0"), (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("tp", ("0.02", "0.1", "0.2", "0.3", "0.4"), (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("tn", ("0.2", "0.5", "1.0", "1.5", "2.0"), (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("cu", ("0.01", "1.0", "1.0", "1.0", "1.0"), (1, 2, 2, 2, 2), (2, 6, 6, 6, 6)),
    ("zn", ("0.05", "1.0", "1.0", "2.0", "2.0"), (1, 2, 2, 4, 4), (2, 4, 4, 6, 6)),
    ("f", ("1.0", "1.0", "1.0", "1.5", "1.5"), (1, 1, 1, 4, 4), (4, 4, 4, 6, 6)),
    ("se", ("0.01", "0.01", "0.01", "0.02", "0.02"), (1, 1, 1, 4, 4), (4, 4, 4, 6, 6)),
    ("as", ("0.05", "0.05", "0.05", "0.1", "0.1"), (1, 1, 1, 4, 4), (4, 4, 4, 6, 6)),
    ("hg", ("0.00005", "0.00005", "0.0001", "0.001", "0.001"), (1, 1, 3, 4, 4), (3, 3, 4, 6, 6)),
    ("cd", ("0.001", "0.005", "0.005", "0.005", "0.01"), (1, 2, 2, 2, 5), (2, 5, 5, 5, 6)),
    ("cr6", ("0.01", "0.05", "0.05", "0.05", "0.1"), (1, 2, 2, 2, 5), (2, 5, 5, 5, 6)),
    ("pb", ("0.01", "0.01", "0.05", "0.05", "0.1"), (1, 1, 3, 3, 5), (3, 3, 5, 5, 6)),
    ("cn", ("0.005", "0.05", "0.2", "0.2", "0.2"), (1, 2, 3, 3, 3), (2, 3, 6, 6, 6)),
    ("phenol", ("0.002", "0.002", "0.005", "0.01", "0.1"), (1, 1, 3, 4, 5), (3, 3, 4, 5, 6)),
    ("petroleum", ("0.05", "0.05", "0.05", "0.5", "1.0"), (1, 1, 1, 4, 5), (4, 4, 4, 5, 6)),
    ("las", ("0.2", "0.2", "0.2", "0.3", "0.3"), (1, 1, 1, 4, 4), (4, 4, 4, 6, 6)),
    ("sulfide", ("0.05", "0.1", "0.2", "0.5", "1.0"), (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("fecal_coliform", ("200", "2000", "10000", "20000", "40000"), (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
]
LAKE_TP = ("0.01", "0.025", "0.05", "0.1", "0.2")
DO_LIMITS = ("7.5", "6", "5", "3", "2")
TINY = Decimal("0.000000001")
EXACT = water.EXACT_BASIS

UPPER_CASES = [
    pytest.param(code, Decimal(limit), at, above, id=f"{code}-{limit}-class{n}")
    for code, limits, ats, aboves in UPPER_ROWS
    for n, (limit, at, above) in enumerate(zip(limits, ats, aboves, strict=True), start=1)
]


@pytest.mark.parametrize(("code", "limit", "at", "above"), UPPER_CASES)
def test_every_upper_limit_at_and_just_above(code: str, limit: Decimal, at: int, above: int) -> None:
    assert water.item_class(code, limit, basis=EXACT) == at
    assert water.item_class(code, limit + TINY, basis=EXACT) == above
    assert water.item_class(code, limit + TINY) == at  # as published, TINY rounds away


def test_table_covers_all_class_items() -> None:
    assert {row[0] for row in UPPER_ROWS} | {"ph", "do"} == set(water.GB3838_2002.codes)
    assert len(water.GB3838_2002.codes) == 23  # Table 1 minus water temperature


@pytest.mark.parametrize(("n", "limit"), list(enumerate(LAKE_TP, start=1)))
def test_lake_tp_limits(n: int, limit: str) -> None:
    assert water.item_class("tp", limit, "lake") == n
    assert water.item_class("tp", Decimal(limit) + TINY, "lake", basis=EXACT) == n + 1


@pytest.mark.parametrize(
    ("value", "river", "lake"),
    [("0.02", 1, 2), ("0.05", 2, 3), ("0.1", 2, 4), ("0.2", 3, 5), ("0.25", 4, 6), ("0.4", 5, 6)],
)
def test_tp_river_versus_lake(value: str, river: int, lake: int) -> None:
    assert water.item_class("tp", value, "river") == river
    assert water.item_class("tp", value, "lake") == lake


@pytest.mark.parametrize(("n", "limit"), list(enumerate(DO_LIMITS, start=1)))
def test_every_do_limit_at_and_just_below(n: int, limit: str) -> None:
    assert water.item_class("do", limit) == n
    assert water.item_class("do", Decimal(limit) - TINY, basis=EXACT) == n + 1


def test_do_examples_from_reference() -> None:
    assert water.item_class("do", "5.0") == 3
    assert water.item_class("do", "4.99", basis=EXACT) == 4
    assert water.item_class("do", "0") == 6
    assert water.item_class("do", "14") == 1


@pytest.mark.parametrize(("value", "expected"), [("5.99", 6), ("6", 1), ("7.4", 1), ("9", 1), ("9.01", 6), ("0", 6)])
def test_ph(value: str, expected: int) -> None:
    assert water.item_class("ph", value) == expected


def test_shared_limit_examples_and_input_types() -> None:
    assert water.item_class("cod", 15) == 1
    assert water.item_class("cu", "0.5") == 2
    assert water.item_class("nh3n", "1.0") == 3
    assert water.item_class("nh3n", "1.01") == 4
    assert water.item_class("nh3n", 1.0) == 3  # float through its repr
    assert water.item_class("tp", 0.1 + 0.2, basis=EXACT) == 5  # repr 0.30000000000000004 is just above 0.3
    assert water.item_class("hg", Decimal("1E-4")) == 3


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [("xx", "1", "xx"), ("temp", "20", "temp"), ("nh3n", "-0.1", "negative"), ("nh3n", "abc", "not a number")],
)
def test_item_class_rejects(code: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        water.item_class(code, value)


def test_bad_waterbody() -> None:
    with pytest.raises(ValueError, match="waterbody"):
        water.item_class("tp", "0.1", "sea")  # type: ignore[arg-type]


def test_issue_example() -> None:
    s = water.classify_section({"ph": "7.4", "do": "6.5", "tp": "0.25"}, waterbody="river")
    assert (s.water_class, s.label, s.status, s.colour) == (4, "Ⅳ", "轻度污染", "黄")
    assert s.main_pollutants == ("tp",)
    assert s.item_classes == {"ph": 1, "do": 2, "tp": 4}
    assert s.exceedance_multiples == {"tp": Decimal("0.25")}


def test_reference_river_section() -> None:
    values = {
        "ph": "7.4",
        "do": "6.5",
        "codmn": "4.2",
        "nh3n": "0.8",
        "tp": "0.25",
        "cod": "18",
        "bod5": "3.2",
        "tn": "3.0",
        "fecal_coliform": "50000",
    }
    s = water.classify_section(values, "river")
    assert s.water_class == 4 and s.status == "轻度污染"
    assert s.determining_items == ("tp",) and s.main_pollutants == ("tp",)
    assert "tn" not in s.item_classes and "fecal_coliform" not in s.item_classes
    assert s.item_classes == {"ph": 1, "do": 2, "codmn": 3, "cod": 3, "bod5": 3, "nh3n": 3, "tp": 4}
    assert s.not_assessed == ("tn",)
    assert s.reference_items == {"fecal_coliform": 6}
    assert s.waterbody == "river" and s.standard == "GB 3838-2002"


def test_lake_reports_tn_separately() -> None:
    s = water.classify_section({"tp": "0.04", "tn": "1.8", "fecal_coliform": "100", "temp": "-0.5"}, "lake")
    assert s.water_class == 3 and s.label == "Ⅲ" and s.status == "良好"
    assert s.reference_items == {"tn": 5, "fecal_coliform": 1}
    assert s.main_pollutants == () and s.exceedance_multiples == {}
    assert s.not_assessed == ("temp",)


def test_main_pollutants_heavy_metal_first_then_class_then_multiple() -> None:
    # pb: class Ⅴ, multiple 0.2; tp: 劣Ⅴ; cod: Ⅴ, 0.75; nh3n: Ⅴ, 0.6.
    s = water.classify_section({"cod": "35", "tp": "0.5", "pb": "0.06", "nh3n": "1.6"})
    assert s.water_class == 6 and s.label == "劣Ⅴ" and s.status == "重度污染" and s.colour == "红"
    assert s.main_pollutants == ("pb", "tp", "cod")
    assert s.exceedance_multiples == {
        "cod": Decimal("0.75"),
        "tp": Decimal("1.5"),
        "pb": Decimal("0.2"),
        "nh3n": Decimal("0.6"),
    }
    assert s.determining_items == ("tp",)


def test_cyanide_first_and_only_three() -> None:
    s = water.classify_section({"cn": "0.21", "hg": "0.002", "codmn": "20", "nh3n": "5", "cod": "31"})
    assert s.main_pollutants == ("hg", "cn", "nh3n")  # hg multiple 19 beats cn 0.05; nh3n 4 beats codmn 2.33
    assert s.exceedance_multiples["codmn"] == Decimal("2.33")


def test_ph_and_do_rank_after_items_with_a_multiple() -> None:
    s = water.classify_section({"ph": "5", "do": "1", "tp": "0.45", "cod": "25"})
    assert s.main_pollutants == ("tp", "ph", "do")
    assert set(s.exceedance_multiples) == {"tp", "cod"}


def test_no_main_pollutant_at_class_iii() -> None:
    s = water.classify_section({"cod": "20", "do": "5"})
    assert s.water_class == 3 and s.main_pollutants == () and s.determining_items == ("do", "cod")


def test_exceedance_multiple_rounds_half_even() -> None:
    # (0.2125 - 0.2) / 0.2 = 0.0625 → 0.06; ranking still uses the exact value.
    assert water.classify_section({"tp": "0.2125"}, basis=EXACT).exceedance_multiples == {"tp": Decimal("0.06")}
    # as published the value is 0.21: (0.21 - 0.2) / 0.2 = 0.05
    assert water.classify_section({"tp": "0.2125"}).exceedance_multiples == {"tp": Decimal("0.05")}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"tn": "1"}, "no assessed item"),
        ({"nh3n": "1", "chla": "2"}, "chla"),
        ({"nh3n": "-1"}, "negative"),
        ({}, "no assessed item"),
    ],
)
def test_classify_section_rejects(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        water.classify_section(values)


@pytest.mark.parametrize(
    ("n", "label", "status", "colour"),
    [(1, "Ⅰ", "优", "蓝"), (2, "Ⅱ", "优", "蓝"), (3, "Ⅲ", "良好", "绿"), (4, "Ⅳ", "轻度污染", "黄"),
     (5, "Ⅴ", "中度污染", "橙"), (6, "劣Ⅴ", "重度污染", "红")],
)  # fmt: skip
def test_labels_statuses_colours(n: int, label: str, status: str, colour: str) -> None:
    assert (water.class_label(n), water.section_status(n), water.class_colour(n)) == (label, status, colour)


@pytest.mark.parametrize("bad", [0, 7, -1, True])
def test_class_range_checked(bad: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.6"):
        water.class_label(bad)


def test_meets() -> None:
    assert water.meets(2, 3) and water.meets(3, 3)
    assert not water.meets(4, 3) and not water.meets(6, 5)
    with pytest.raises(ValueError):
        water.meets(3, 9)


def test_period_class_is_class_of_means() -> None:
    samples = [{"nh3n": "0.9", "tp": "0.1"}, {"nh3n": "1.2", "tp": "0.1"}, {"nh3n": "0.6"}]
    assert water.period_means(samples) == {"nh3n": Decimal("0.9"), "tp": Decimal("0.1")}
    s = water.classify_period(samples)
    assert s.water_class == 3  # the 1.2 sample alone would be Class Ⅳ
    assert s.item_classes == {"nh3n": 3, "tp": 2}


def test_period_means_exact_when_not_terminating() -> None:
    samples = [{"cod": "20"}, {"cod": "20"}, {"cod": "20.000000000000000000000000001"}]
    mean = water.period_means(samples)["cod"]
    assert mean == Decimal("20.00000000000000000000000000")  # 28 significant digits for display
    assert water.classify_period(samples, basis=EXACT).water_class == 4  # the exact mean is above 20
    assert water.classify_period(samples).water_class == 3  # published as 20 mg/L


def test_class_i_iii_share() -> None:
    assert water.class_i_iii_share([1, 2, 3, None, 4]) == Decimal("0.75")
    assert water.class_i_iii_share([3, 3, 6]) == Decimal("0.6666666666666666666666666667")
    assert water.class_i_iii_share([None]) is None
    with pytest.raises(ValueError):
        water.class_i_iii_share([0])


def test_basin_reference_example() -> None:
    b = water.evaluate_basin([1, 2, 2, 3, 3, 3, 3, 2, 3, 4])
    assert b.share_1_3 == Decimal("0.9") and b.share_worse_than_5 == 0
    assert (b.status, b.colour, b.method, b.section_count) == ("优", "蓝", "proportion", 10)
    assert b.mean_section is None


def _twenty(good: int, worse_than_5: int) -> list[int]:
    return [3] * good + [6] * worse_than_5 + [4] * (20 - good - worse_than_5)


@pytest.mark.parametrize(
    ("good", "bad", "status"),
    [
        (18, 0, "优"),  # p13 = 90 %
        (17, 0, "良好"),  # 85 %
        (15, 5, "良好"),  # 75 %, p6 irrelevant
        (14, 3, "轻度污染"),  # 70 %, p6 15 %
        (14, 4, "中度污染"),  # p6 = 20 %
        (10, 7, "中度污染"),  # 35 %
        (10, 8, "重度污染"),  # p6 = 40 %
        (0, 20, "重度污染"),
    ],
)
def test_basin_proportion_band_edges(good: int, bad: int, status: str) -> None:
    b = water.evaluate_basin(_twenty(good, bad))
    assert b.status == status
    assert b.share_1_3 == Decimal(good) / 20 and b.share_worse_than_5 == Decimal(bad) / 20
    assert (b.count_1_3, b.count_worse_than_5) == (good, bad)


def test_basin_mean_method_under_five_sections() -> None:
    sections = [{"nh3n": "0.5", "tp": "0.1"}, {"nh3n": "2.5", "tp": "0.1"}, {"nh3n": "0.3", "tp": "0.35"}]
    b = water.evaluate_basin(sections)
    assert b.method == "mean" and b.mean_section is not None
    assert b.mean_section.item_classes == {"nh3n": 4, "tp": 3}  # means 1.1 and 0.18333…
    assert b.status == "轻度污染" and b.colour == "黄"
    assert (b.count_1_3, b.count_worse_than_5) == (1, 1)


def test_basin_exactly_five_sections_uses_proportions() -> None:
    b = water.evaluate_basin([{"nh3n": "0.5"}, 2, 3, 4, 6])
    assert b.method == "proportion" and b.share_1_3 == Decimal("0.6") and b.share_worse_than_5 == Decimal("0.2")
    assert b.status == "中度污染"


def test_basin_rejects() -> None:
    with pytest.raises(ValueError, match="item values"):
        water.evaluate_basin([1, 2, 3])
    with pytest.raises(ValueError, match="at least one"):
        water.evaluate_basin([])
    with pytest.raises(ValueError, match=r"1\.\.6"):
        water.evaluate_basin([1, 2, 3, 4, 7])


# Values on a 1e-6 grid up to 50 000, so every limit and the space between limits is reachable.
values_st = st.integers(min_value=0, max_value=50_000_000_000).map(lambda n: Decimal(n).scaleb(-6))
# pH is two-sided (test_ph); every other item only gets worse in one direction.
one_sided_codes = st.sampled_from([c for c in water.GB3838_2002.codes if c != "ph"])
waterbodies = st.sampled_from(["river", "lake"])


@given(code=one_sided_codes, a=values_st, b=values_st, waterbody=waterbodies)
def test_worsening_an_item_never_improves_its_class(
    code: str, a: Decimal, b: Decimal, waterbody: water.Waterbody
) -> None:
    better, worse = sorted((a, b), reverse=code == "do")  # less oxygen is worse
    assert water.item_class(code, worse, waterbody) >= water.item_class(code, better, waterbody)


@given(
    values=st.dictionaries(one_sided_codes, values_st, min_size=1),
    data=st.data(),
    waterbody=waterbodies,
)
def test_worsening_any_item_never_improves_the_section(
    values: dict[str, Decimal], data: st.DataObject, waterbody: water.Waterbody
) -> None:
    code = data.draw(st.sampled_from(sorted(values)))
    step = data.draw(values_st)
    worse = dict(values)
    worse[code] = max(Decimal(0), values[code] - step) if code == "do" else values[code] + step
    assume(set(values) - water.SEPARATE_ITEMS)  # a class needs an assessed item
    before = water.classify_section(values, waterbody).water_class
    after = water.classify_section(worse, waterbody).water_class
    assert after >= before


# Class basis: the value as published (GB/T 8170, half to even on an exact 5, at the item's reporting
# precision) against the exact value, at the limits where they part.
BASIS_CASES: list[tuple[str, str, water.Waterbody, int, int]] = [
    # code, value, waterbody, published class, exact class
    ("tp", "0.2004", "river", 3, 4),  # published "0.20"
    ("tp", "0.205", "river", 3, 4),  # exact 5 dropped: 0.20 (even)
    ("tp", "0.2050000001", "river", 4, 4),  # more than half: 0.21
    ("tp", "0.195", "river", 3, 3),  # 0.20 (even)
    ("tp", "0.2005", "lake", 5, 6),  # lakes publish 0.001: 0.200 (even), the Class Ⅴ limit
    ("tp", "0.2015", "lake", 6, 6),  # 0.202 (even)
    ("tp", "0.0505", "lake", 3, 4),  # 0.050 (even), the Class Ⅲ limit
    ("nh3n", "1.005", "river", 3, 4),  # 1.00 (even)
    ("nh3n", "1.015", "river", 4, 4),  # 1.02 (even)
    ("do", "4.96", "river", 3, 4),  # higher is better: 5.0 meets Class Ⅲ
    ("do", "4.95", "river", 3, 4),  # exact 5 after an odd 9: up to 5.0
    ("do", "4.949", "river", 4, 4),  # 4.9 stays below 5
    ("do", "5.95", "river", 2, 3),  # 6.0 (even): Class Ⅱ
    ("ph", "9.004", "river", 1, 6),  # 9.00 is inside [6, 9]
    ("ph", "5.995", "river", 1, 6),  # 6.00 (even)
    ("codmn", "6.04", "river", 3, 4),
    ("cod", "20.5", "river", 3, 4),  # integer mg/L: 20 (even)
    ("cod", "21.5", "river", 4, 4),  # 22 (even)
]


@pytest.mark.parametrize(("code", "value", "waterbody", "published", "exact"), BASIS_CASES)
def test_class_basis_at_the_limits(
    code: str, value: str, waterbody: water.Waterbody, published: int, exact: int
) -> None:
    assert water.item_class(code, value, waterbody) == published  # the default basis
    assert water.item_class(code, value, waterbody, basis=water.Basis(water.ClassBasis.PUBLISHED)) == published
    assert water.item_class(code, value, waterbody, basis=EXACT) == exact
    section = water.classify_section({code: value}, waterbody)
    assert (section.water_class, section.basis) == (published, water.ClassBasis.PUBLISHED)
    assert water.classify_section({code: value}, waterbody, basis=EXACT).water_class == exact


def test_published_basis_is_the_publishing_function() -> None:
    # CEJ-SHANGPU June 2026: a TP period mean published as "0.20" is Class Ⅲ, as published.
    period = water.classify_period([{"tp": "0.2004"}, {"tp": "0.2004"}, {"do": "6.5"}])
    assert (period.label, period.main_pollutants, period.exceedance_multiples) == ("Ⅲ", (), {})
    exact = water.classify_period([{"tp": "0.2004"}, {"do": "6.5"}], basis=EXACT)
    assert (exact.label, exact.main_pollutants, exact.exceedance_multiples) == ("Ⅳ", ("tp",), {"tp": Decimal("0")})
    # a deployment that publishes TP to 0.001 classes what it publishes: 0.200 → Ⅲ, 0.201 → Ⅳ
    finer = water.Basis(precision=reporting.DEFAULT_TABLE.with_overrides({"tp": 3}))
    assert water.item_class("tp", "0.2004", basis=finer) == 3
    assert water.item_class("tp", "0.2005", basis=finer) == 3  # 0.200 (even)
    assert water.item_class("tp", "0.2006", basis=finer) == 4
    for code, value, waterbody, published, _ in BASIS_CASES:
        shown = reporting.DEFAULT_TABLE.concentration_value(code, Decimal(value), lake=waterbody == "lake")
        assert water.item_class(code, shown, waterbody, basis=EXACT) == published


def test_basin_mean_method_follows_the_basis() -> None:
    sections = [{"tp": "0.2004", "do": "6"}, {"tp": "0.2004", "do": "6"}]
    assert water.evaluate_basin(sections).mean_section == water.classify_section({"tp": "0.2004", "do": "6"})
    assert water.evaluate_basin(sections).status == "良好"
    assert water.evaluate_basin(sections, basis=EXACT).status == "轻度污染"


@given(st.decimals(min_value=0, max_value=50, places=6), st.sampled_from(["nh3n", "tp", "cod", "do", "codmn"]))
def test_published_class_is_the_class_of_the_published_figure(value: Decimal, code: str) -> None:
    shown = reporting.DEFAULT_TABLE.concentration_value(code, value)
    assert water.item_class(code, value) == water.item_class(code, shown, basis=EXACT)
