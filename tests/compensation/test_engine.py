"""The pure engine against hand-checked vectors (TV-1: a Xin'an-type P index under two parameter versions;
TV-3: a Jiangsu-type flux × price month) and our own class-step and change-index cases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.compensation.agreements import Tier, agreement_document
from services.compensation.document import StatementDocument
from services.compensation.engine import STATUS_COMPUTED, STATUS_INSUFFICIENT
from services.compensation.samples import Summary
from tests.support.compensation_agreements import INBOUND, MONTHS_2025, SECTION, agreement, monthly, run

TV1_MEANS = {"codmn": "2.00", "nh3n": "0.100", "tp": "0.052", "tn": "1.50"}
FIXED_SUM = "100000000"  # 1亿元, round 1
BANDS = [{"upper": 1, "amount": FIXED_SUM}, {"amount": "-" + FIXED_SUM}]
VERSION_A = {
    "type": "index_threshold",
    "k0": "0.85",
    "weights": {"codmn": "0.25", "nh3n": "0.25", "tp": "0.25", "tn": "0.25"},
    "bands": BANDS,
}
VERSION_B = {
    "type": "index_threshold",
    "k0": "0.90",
    "weights": {"codmn": "0.22", "nh3n": "0.22", "tp": "0.28", "tn": "0.28"},
    "bands": BANDS,
}


def component(document: StatementDocument, index: int = 0) -> Any:
    return document.components[index]


@pytest.mark.parametrize(
    ("parameters", "p_value", "amount", "direction"),
    [
        (VERSION_A, "0.966875", "100000000.00", "downstream pays upstream"),
        (VERSION_B, "1.0386", "-100000000.00", "upstream pays downstream"),
    ],
)
def test_tv1_index_threshold_under_both_parameter_versions(
    parameters: dict[str, Any], p_value: str, amount: str, direction: str
) -> None:
    document = run(agreement(components=[parameters]), "2025", monthly(TV1_MEANS))
    working = component(document)
    assert document.status == STATUS_COMPUTED
    assert working.p_value == Decimal(p_value)
    assert {c: t.ratio for c, t in working.terms.items()} == {
        "codmn": Decimal(1),
        "nh3n": Decimal(1),
        "tp": Decimal("1.3"),
        "tn": Decimal("1.25"),
    }
    assert document.result is not None
    assert document.result.amount == Decimal(amount)
    assert document.result.direction == direction
    assert document.result.amount_capital == "壹亿元整"
    assert document.result.amount_wan_yuan == Decimal("10000")


def test_tv1_p_exactly_one_means_downstream_pays() -> None:
    # K0 = 1 and every ratio 1: P = 1.000 falls in the "P ≤ 1" band
    parameters = {**VERSION_A, "k0": "1"}
    means = {"codmn": "2.00", "nh3n": "0.100", "tp": "0.040", "tn": "1.20"}
    document = run(agreement(components=[parameters]), "2025", monthly(means))
    assert component(document).p_value == 1
    assert document.result is not None and document.result.payer is not None and document.result.receiver is not None
    assert document.result.payer.code == "xiaoshan"
    assert document.result.receiver.code == "zhuji"


def test_tv1_missing_indicator_blocks_instead_of_using_the_other_three() -> None:
    means = {c: v for c, v in TV1_MEANS.items() if c != "tn"}
    document = run(agreement(components=[VERSION_A]), "2025", monthly(means))
    assert document.status == STATUS_INSUFFICIENT
    assert document.result is None and document.components == []
    assert {(g.indicator, g.period) for g in document.gaps} == {("tn", m) for m in MONTHS_2025}


def tv3_agreement(**extra: Any) -> Any:
    flux = {"type": "flux", "prices": {"codmn": "15000", "nh3n": "100000", "tp": "100000"}, "volume_source": "declared"}
    return agreement(
        assessment_period={"kind": "month"},
        indicators=[{"code": "codmn"}, {"code": "nh3n"}, {"code": "tp"}],
        components=[flux],
        **extra,
    )


def test_tv3_flux_one_month() -> None:
    means = {"codmn": "6.5", "nh3n": "1.30", "tp": "0.18"}
    document = run(
        tv3_agreement(), "2025-03", monthly(means, ["2025-03"]), declared_volumes={"2025-03": Decimal("2.0E7")}
    )
    lines = component(document).periods["2025-03"].indicators
    assert {c: line.tonnes for c, line in lines.items()} == {
        "codmn": Decimal(10),
        "nh3n": Decimal(6),
        "tp": Decimal(0),
    }
    assert document.result is not None and document.result.payer is not None
    assert document.result.amount == Decimal("-750000.00")
    assert document.result.amount_wan_yuan == Decimal(75)
    assert document.result.payer.name == "诸暨市"
    assert document.result.amount_capital == "柒拾伍万元整"


def test_tv3_without_a_declared_volume_is_blocked() -> None:
    document = run(tv3_agreement(), "2025-03", monthly({"codmn": "6.5", "nh3n": "1.30", "tp": "0.18"}, ["2025-03"]))
    assert document.status == STATUS_INSUFFICIENT
    assert [(g.period, g.indicator, g.scope) for g in document.gaps] == [
        ("2025-03", "volume", "declared volume missing")
    ]


def test_inbound_exceedance_is_deducted_from_the_upstream_charge() -> None:
    sections = [{"code": SECTION, "role": "assessment"}, {"code": INBOUND, "role": "inbound"}]
    deal = tv3_agreement(sections=sections, adjustments={"inbound_deduction": True})
    summaries = [
        *monthly({"codmn": "6.5", "nh3n": "1.30", "tp": "0.18"}, ["2025-03"]),
        *monthly({"codmn": "6.2", "nh3n": "1.0", "tp": "0.1"}, ["2025-03"], station=INBOUND),
    ]
    document = run(deal, "2025-03", summaries, declared_volumes={"2025-03": Decimal("2.0E7")})
    assert document.adjustments is not None and document.adjustments.inbound_deduction is not None
    deduction = document.adjustments.inbound_deduction
    assert deduction.inbound_flux_amount == Decimal("-60000.00")  # 0.2 × 2e7 / 1e6 = 4 t × 15000
    assert document.result is not None and document.result.amount == Decimal("-690000.00")


@pytest.mark.parametrize(
    ("codmn", "expected_class", "amount"),
    [
        ("3.5", 2, "60000000"),  # Ⅱ: one class better than Ⅲ → downstream pays 6000万
        ("5.0", 3, "0"),  # at the baseline class: nothing
        ("12", 5, "-120000000"),  # Ⅴ: two classes worse → upstream pays 2 × 6000万
        ("20", 6, "-150000000"),  # 劣Ⅴ: three classes worse, capped at 1.5亿
    ],
)
def test_class_step(codmn: str, expected_class: int, amount: str) -> None:
    step = {"type": "class_step", "baseline_class": 3, "per_class": "60000000", "cap": "150000000"}
    deal = agreement(indicators=[{"code": "codmn"}, {"code": "nh3n"}], components=[step])
    document = run(deal, "2025", monthly({"codmn": codmn, "nh3n": "0.3"}))
    assert component(document).water_class == expected_class
    assert document.result is not None and document.result.amount == Decimal(amount)


CHANGE = {"type": "change_index", "indicators": ["codmn", "nh3n"], "per_point": "1000000", "cap": "40000000"}


@pytest.mark.parametrize(
    ("basis", "codmn_now", "points", "amount", "capped"),
    [
        # index before = mean(6/6, 1.0/1.0) = 1; now mean(3/6, 0.5/1) = 0.5 → 50 % fall → 50 points, cap 40
        ("relative_pct", "3", 50, "40000000", True),
        # now mean(5.7/6, 0.95/1) = 0.95 → 5 points
        ("relative_pct", "5.7", 5, "5000000", False),
        # worse: now mean(9/6, 1.5/1) = 1.5 → −50 points, capped at −40
        ("absolute_points", "9", -50, "-40000000", True),
    ],
)
def test_change_index_year_on_year(basis: str, codmn_now: str, points: int, amount: str, capped: bool) -> None:
    deal = agreement(indicators=[{"code": "codmn"}, {"code": "nh3n"}], components=[{**CHANGE, "basis": basis}])
    ratio = Decimal(codmn_now) / 6
    before = monthly({"codmn": "6", "nh3n": "1.0"}, [f"2024-{m:02d}" for m in range(1, 13)])
    now = monthly({"codmn": codmn_now, "nh3n": str(ratio)})
    working = component(run(deal, "2025", [*before, *now]))
    assert working.whole_points == points
    assert working.capped is capped
    assert working.amount == Decimal(amount)


def test_change_index_without_last_years_data_is_blocked() -> None:
    deal = agreement(indicators=[{"code": "codmn"}, {"code": "nh3n"}], components=[{**CHANGE, "basis": "relative_pct"}])
    document = run(deal, "2025", monthly({"codmn": "5", "nh3n": "0.8"}))
    assert document.status == STATUS_INSUFFICIENT
    assert {g.scope for g in document.gaps} == {"year before"}


def test_attainment_rate_prorates_the_months_that_met_the_target() -> None:
    rate = {"type": "attainment_rate", "target_class": 3, "target_rate": "0.75", "amount": "12000000"}
    deal = agreement(indicators=[{"code": "codmn"}], components=[rate])
    good, bad = MONTHS_2025[:9], MONTHS_2025[9:]
    document = run(deal, "2025", [*monthly({"codmn": "5"}, good), *monthly({"codmn": "8"}, bad)])
    assert component(document).rate == Decimal("0.75")
    assert document.result is not None and document.result.amount == Decimal("9000000.00")


def test_approved_exclusion_removes_the_month_instead_of_blocking() -> None:
    rate = {"type": "attainment_rate", "target_class": 3, "target_rate": "0.75", "amount": "12000000"}
    exclusion = {
        "start": "2025-07-01",
        "end": "2025-07-31",
        "reason": "特大洪水",
        "approval_document": "绍政办〔2025〕1号",
    }
    deal = agreement(indicators=[{"code": "codmn"}], components=[rate], adjustments={"exclusions": [exclusion]})
    months = [m for m in MONTHS_2025 if m != "2025-07"]
    document = run(deal, "2025", monthly({"codmn": "5"}, months))
    assert document.status == STATUS_COMPUTED
    assert component(document).periods == 11
    assert document.adjustments is not None
    assert document.adjustments.exclusions[0].approval_document == "绍政办〔2025〕1号"


def test_source_priority_prefers_automatic_data_that_meets_the_minimum() -> None:
    deal = agreement(
        indicators=[{"code": "codmn"}], components=[{"type": "class_step", "baseline_class": 3, "per_class": "1000"}]
    )
    manual = monthly({"codmn": "5"})
    automatic = monthly({"codmn": "3"}, source="hj212", count=2)
    too_few = [Summary(SECTION, "codmn", "2025-01", "mqtt-json", True, 1, Decimal(1))]
    invalid = [Summary(SECTION, "codmn", "2025-02", "hj212", False, 50, Decimal(500))]
    rows = run(deal, "2025", [*manual, *automatic[2:], *too_few, *invalid]).indicators[0].calculation
    assert (rows["2025-01"].source, rows["2025-01"].mean) == ("manual", Decimal(5))
    assert (rows["2025-02"].source, rows["2025-02"].invalid) == ("manual", 50)
    assert (rows["2025-03"].source, rows["2025-03"].mean) == ("automatic", Decimal(3))


def test_caps_per_period_and_per_term() -> None:
    step = {"type": "class_step", "baseline_class": 3, "per_class": "1000000"}
    deal = agreement(
        indicators=[{"code": "codmn"}], components=[step], caps={"per_period": "1500000", "per_term": "2000000"}
    )
    document = run(deal, "2025", monthly({"codmn": "1"}), term_total_before=Decimal("1000000"))
    assert document.adjustments is not None and document.term is not None
    caps = document.adjustments.caps
    assert (caps.before_caps, caps.after_period_cap, caps.after_term_cap) == (
        Decimal(2000000),
        Decimal(1500000),
        Decimal(1000000),
    )
    assert document.term.total_after == Decimal(2000000)


SHARE_RULES = {"min_valid": {"automatic": {"share": "0.75"}, "manual": {"count": 1}}}


@pytest.mark.parametrize(
    ("valid", "expected", "source"),
    [
        (135, 180, "automatic"),  # exactly 75 % of a 30-day month of 4-hourly values
        (134, 180, "manual"),  # one short: the laboratory sample is used instead
        (700, 720, "automatic"),  # an hourly station's month
        (50, 0, "manual"),  # not in the station's programme: automatic values cannot count
    ],
)
def test_the_automatic_minimum_is_a_share_of_what_the_programme_expects(valid: int, expected: int, source: str) -> None:
    deal = agreement(
        indicators=[{"code": "codmn"}],
        data_rules=SHARE_RULES,
        components=[{"type": "class_step", "baseline_class": 3, "per_class": "1000"}],
        assessment_period={"kind": "month"},
    )
    summaries = [
        Summary(SECTION, "codmn", "2025-06", "hj212", True, valid, Decimal(3) * valid),
        *monthly({"codmn": "5"}, ["2025-06"]),
    ]
    document = run(deal, "2025-06", summaries, expected={(SECTION, "codmn", "2025-06"): expected})
    cell = document.indicators[0].calculation["2025-06"]
    assert (cell.source, cell.expected) == (source, expected)
    if expected:
        assert cell.required[Tier.AUTOMATIC] == 135 * expected // 180


@pytest.mark.parametrize(
    ("class_basis", "expected_class", "amount"),
    [
        (None, 4, "-1000000"),  # absent: the exact mean 0.2004 is Ⅳ, as statements were always computed
        ("exact", 4, "-1000000"),
        ("published", 3, "0"),  # the mean as published, 0.20, meets the Class Ⅲ limit
    ],
)
def test_class_basis_is_a_data_rule_of_the_agreement(class_basis: str | None, expected_class: int, amount: str) -> None:
    rules = {"min_valid": {"manual": {"count": 1}}} | ({"class_basis": class_basis} if class_basis else {})
    step = {"type": "class_step", "baseline_class": 3, "per_class": "1000000"}
    deal = agreement(indicators=[{"code": "tp"}, {"code": "codmn"}], components=[step], data_rules=rules)
    document = run(deal, "2025", monthly({"tp": "0.2004", "codmn": "3"}))
    assert component(document).water_class == expected_class
    assert [row.water_class for row in document.indicators if row.indicator == "tp"] == [expected_class]
    assert document.result is not None and document.result.amount == Decimal(amount)
    # absent, the rule is left out of the canonical bytes: agreements and statements from before it hash the same
    assert ("class_basis" in agreement_document(deal)["data_rules"]) is (class_basis is not None)
    assert (b'"class_basis"' in document.canonical()) is (class_basis is not None)
