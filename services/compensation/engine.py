"""The pure compensation engine: agreement + period + sample summaries in, the statement working out.

No I/O. The data rules come first (approved exclusions, valid flags, source priority, minimum valid
samples); if any cell the components need lacks data, the statement is blocked as
``insufficient data`` and no amount is computed — nothing is interpolated or substituted silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.compensation.agreements import PERIOD_MEANS, SOURCE_TIERS, Agreement, Flux, Tier
from services.compensation.capital import capital_amount
from services.compensation.components import (
    Means,
    clamp,
    divide,
    evaluate,
    flux_amount,
    section_class,
    target_of,
)
from services.compensation.document import (
    Adjustments,
    AgreementRef,
    CapsWorking,
    Cell,
    Gap,
    InboundDeduction,
    IndicatorRow,
    Inputs,
    JointConfirmation,
    PeriodInfo,
    Result,
    SectionRow,
    StatementDocument,
    Statistics,
    TermTotals,
)
from services.compensation.periods import Month, StatementPeriod, calculation_periods
from services.compensation.samples import INPUT_HASH_FORMAT, Summary
from services.standards.water import Waterbody, item_class

STATUS_COMPUTED = "computed"
STATUS_INSUFFICIENT = "insufficient data"
FLOW = "flow"  # m³/s
SECONDS_PER_DAY = 24 * 60 * 60
YUAN_PER_WAN = Decimal(10000)
NATIONAL_RULE_ZH = (
    "《地表水环境质量监测数据统计技术规定（试行）》（2020）要求自动监测数据先由有效值计日均值，再由日均值计月、年均值；"
    "手工监测数据按环办〔2011〕22号取时段内样本的算术平均"
)

Cells = dict[str, dict[Tier, list[Any]]]  # month → tier → [valid count, valid total, invalid count]


@dataclass(frozen=True)
class SectionInfo:
    code: str
    name: str
    control_level: str
    waterbody: Waterbody
    county: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass(frozen=True)
class EngineInput:
    agreement: Agreement
    agreement_version: int
    rule_sha256: str
    period: StatementPeriod
    summaries: tuple[Summary, ...]
    input_sha256: str
    sections: Mapping[str, SectionInfo]
    # automatic samples the station programme expects per (station, parameter, month) on the open days
    expected: Mapping[tuple[str, str, str], int] = field(default_factory=dict)
    declared_volumes: Mapping[str, Decimal] = field(default_factory=dict)
    term_total_before: Decimal = Decimal(0)
    joint_confirmation: JointConfirmation | None = None


def _index(summaries: tuple[Summary, ...]) -> dict[tuple[str, str], Cells]:
    index: dict[tuple[str, str], Cells] = {}
    for s in summaries:
        tiers = index.setdefault((s.station, s.parameter), {}).setdefault(s.month, {})
        slot = tiers.setdefault(SOURCE_TIERS[s.source], [0, Decimal(0), 0])
        if s.valid:
            slot[0] += s.count
            slot[1] += s.total
        else:
            slot[2] += s.count
    return index


def _days(months: tuple[Month, ...]) -> list[date]:
    first, end = months[0].first_day, months[-1].shifted(1).first_day
    return [first + timedelta(days=i) for i in range((end - first).days)]


def _open_days(agreement: Agreement, months: tuple[Month, ...]) -> int:
    spans = agreement.adjustments.exclusions
    return sum(1 for day in _days(months) if not any(e.start <= day <= e.end for e in spans))


def _cell(agreement: Agreement, cells: Cells, months: tuple[Month, ...], expected: Mapping[str, int]) -> Cell:
    rules = agreement.data_rules
    if _open_days(agreement, months) == 0:
        return Cell(status="excluded")
    totals: dict[Tier, list[Any]] = {}
    for month in months:
        for tier, (valid, total, invalid) in cells.get(month.label, {}).items():
            slot = totals.setdefault(tier, [0, Decimal(0), 0])
            slot[0], slot[1], slot[2] = slot[0] + valid, slot[1] + total, slot[2] + invalid
    expected_automatic = sum(expected.get(m.label, 0) for m in months)
    # a share-based minimum needs a programme: a tier the station does not report automatically is unusable
    required = {
        tier: rules.minimum(tier).required(expected_automatic)
        for tier in rules.source_priority
        if rules.minimum(tier).count is not None or expected_automatic > 0
    }
    base = {
        "valid_by_source": {tier: totals[tier][0] for tier in rules.source_priority if tier in totals},
        "invalid": sum(t[2] for t in totals.values()),
        "expected": expected_automatic,
        "required": required,
    }
    for tier in rules.source_priority:
        valid, total, _ = totals.get(tier, (0, Decimal(0), 0))
        if tier in required and valid >= required[tier]:
            mean = divide(total, Decimal(valid))
            if rules.concentration_places is not None:
                mean = mean.quantize(Decimal(1).scaleb(-rules.concentration_places), rounding=ROUND_HALF_UP)
            return Cell(status="ok", source=tier, valid=valid, mean=mean, **base)
    return Cell(status="insufficient", **base)


@dataclass
class _Series:
    """One station and parameter over a period: its calculation cells and period mean."""

    cells: dict[str, Cell]
    mean: Decimal | None


def _period_mean(agreement: Agreement, used: list[Cell]) -> Decimal:
    if agreement.data_rules.period_mean == "mean_of_samples":
        count = sum(c.valid for c in used)
        return divide(sum((c.mean * c.valid for c in used if c.mean is not None), Decimal(0)), Decimal(count))
    return divide(sum((c.mean for c in used if c.mean is not None), Decimal(0)), Decimal(len(used)))


def _series(
    data: EngineInput,
    index: dict[tuple[str, str], Cells],
    station: str,
    parameter: str,
    calc: tuple[tuple[str, tuple[Month, ...]], ...],
) -> _Series:
    expected = {label: n for (s, p, label), n in data.expected.items() if (s, p) == (station, parameter)}
    cells = {
        label: _cell(data.agreement, index.get((station, parameter), {}), months, expected) for label, months in calc
    }
    used = [c for c in cells.values() if c.status != "excluded"]
    complete = bool(used) and all(c.status == "ok" for c in used)
    return _Series(cells, _period_mean(data.agreement, used) if complete else None)


def _weighted(values: list[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    if any(v is None for _, v in values):
        return None
    return sum((w * v for w, v in values if v is not None), Decimal(0))


class _Computation:
    def __init__(self, data: EngineInput) -> None:
        self.data = data
        self.agreement = data.agreement
        self.index = _index(data.summaries)
        self.calc = calculation_periods(self.agreement, data.period)
        self.gaps: list[Gap] = []
        self.waterbody: Waterbody = data.sections[self.agreement.assessment_sections[0].code].waterbody

    def parameters(self) -> list[str]:
        codes = [i.code for i in self.agreement.indicators]
        return [*codes, FLOW] if self.agreement.needs_flow() else codes

    def section_series(
        self, station: str, period_calc: tuple[tuple[str, tuple[Month, ...]], ...], what: str
    ) -> dict[str, _Series]:
        series = {p: _series(self.data, self.index, station, p, period_calc) for p in self.parameters()}
        for parameter, s in series.items():
            for label, cell in s.cells.items():
                if cell.status == "insufficient":
                    self.gaps.append(
                        Gap(
                            section=station,
                            indicator=parameter,
                            period=label,
                            scope=what,
                            valid_by_source=cell.valid_by_source,
                            expected=cell.expected,
                            required=cell.required,
                        )
                    )
        return series

    def combined(self, per_section: dict[str, dict[str, _Series]], weights: dict[str, Decimal]) -> Means | None:
        """Weighted means over the sections, or None when any needed value is missing."""
        parameters = self.parameters()
        period = {p: _weighted([(w, per_section[s][p].mean) for s, w in weights.items()]) for p in parameters}
        by_calc: dict[str, dict[str, Decimal | None]] = {}
        for label, months in self.calc:
            cells = {p: [(w, per_section[s][p].cells[label]) for s, w in weights.items()] for p in parameters}
            if all(c.status == "excluded" for pairs in cells.values() for _, c in pairs):
                continue
            by_calc[label] = {p: _weighted([(w, c.mean) for w, c in pairs]) for p, pairs in cells.items()}
            by_calc[label]["_days"] = Decimal(_open_days(self.agreement, months))
        if any(v is None for v in period.values()) or any(v is None for m in by_calc.values() for v in m.values()):
            return None
        return Means(
            period={p: v for p, v in period.items() if v is not None and p != FLOW},
            by_calculation={
                label: {p: v for p, v in m.items() if v is not None and p not in (FLOW, "_days")}
                for label, m in by_calc.items()
            },
            year_before={},
            volumes=self.volumes(by_calc),
            waterbody=self.waterbody,
        )

    def volumes(self, by_calc: Mapping[str, Mapping[str, Decimal | None]]) -> dict[str, Decimal]:
        if not self.agreement.needs_flow():
            volumes = {}
            for label in by_calc:
                if label in self.data.declared_volumes:
                    volumes[label] = self.data.declared_volumes[label]
                elif any(isinstance(c, Flux) for c in self.agreement.components):
                    self.gaps.append(
                        Gap(section=None, indicator="volume", period=label, scope="declared volume missing")
                    )
            return volumes
        result = {}
        for label, values in by_calc.items():
            flow, days = values[FLOW], values["_days"]
            assert flow is not None and days is not None
            result[label] = flow * days * SECONDS_PER_DAY
        return result


def _indicator_rows(comp: _Computation, series: dict[str, dict[str, _Series]]) -> list[IndicatorRow]:
    rows = []
    for section in comp.agreement.sections:
        if section.code not in series:
            continue
        waterbody = comp.data.sections[section.code].waterbody
        for parameter, s in series[section.code].items():
            used = [c for c in s.cells.values() if c.status != "excluded"]
            extra: dict[str, Any] = {}
            if parameter != FLOW:
                indicator = comp.agreement.indicator(parameter)
                extra = {
                    "baseline": indicator.baseline,
                    "target": target_of(comp.agreement, parameter, waterbody),
                    "ratio": divide(s.mean, indicator.baseline) if s.mean is not None and indicator.baseline else None,
                    "water_class": (
                        item_class(parameter, s.mean, waterbody, basis=comp.agreement.data_rules.basis)
                        if s.mean is not None
                        else None
                    ),
                }
            rows.append(
                IndicatorRow(
                    section=section.code,
                    indicator=parameter,
                    sources=sorted({c.source for c in used if c.source}),
                    valid=sum(c.valid for c in used),
                    invalid=sum(c.invalid for c in used),
                    expected=sum(c.expected for c in used),
                    mean=s.mean,
                    complete=s.mean is not None,
                    calculation=s.cells,
                    **extra,
                )
            )
    return rows


def _result(agreement: Agreement, amount: Decimal) -> Result:
    up, down = agreement.parties.upstream, agreement.parties.downstream
    payer, receiver = (down, up) if amount > 0 else (up, down)
    magnitude = abs(amount)
    return Result(
        amount=amount,
        direction="downstream pays upstream" if amount > 0 else "upstream pays downstream" if amount < 0 else "none",
        payer=payer if amount else None,
        receiver=receiver if amount else None,
        amount_yuan=magnitude,
        amount_wan_yuan=magnitude / YUAN_PER_WAN,
        amount_capital=capital_amount(magnitude.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
    )


def _settle(comp: _Computation, means: Means, inbound: Means | None) -> dict[str, Any]:
    agreement, data = comp.agreement, comp.data
    components = [
        evaluate(component, agreement, means, f"{agreement.id}@v{data.agreement_version}/component-{number}")
        for number, component in enumerate(agreement.components, start=1)
    ]
    subtotal = sum((c.amount for c in components), Decimal(0))
    total = subtotal
    deduction = None
    if inbound is not None:
        deduction = _inbound_deduction(comp, subtotal_of_flux(components), inbound)
        total += deduction.amount
    per_period = clamp(total, agreement.caps.per_period)
    before = data.term_total_before
    per_term = (
        per_period if agreement.caps.per_term is None else clamp(before + per_period, agreement.caps.per_term) - before
    )
    caps = CapsWorking(
        per_period=agreement.caps.per_period,
        per_term=agreement.caps.per_term,
        before_caps=total,
        after_period_cap=per_period,
        after_term_cap=per_term,
    )
    return {
        "components": components,
        "subtotal": subtotal,
        "adjustments": Adjustments(exclusions=agreement.adjustments.exclusions, inbound_deduction=deduction, caps=caps),
        "result": _result(agreement, per_term),
        "term": TermTotals(total_before=before, total_after=before + per_term),
    }


def subtotal_of_flux(components: list[Any]) -> Decimal:
    return sum((c.amount for c in components if c.type == "flux"), Decimal(0))


def _inbound_deduction(comp: _Computation, charged: Decimal, inbound: Means) -> InboundDeduction:
    """Jinhua/Henan: pollution arriving above target from further upstream is not the upstream party's."""
    flux = next((c for c in comp.agreement.components if isinstance(c, Flux)), None)
    if flux is None:
        return InboundDeduction(applies_to=None, amount=Decimal(0))
    arriving = flux_amount(flux, comp.agreement, inbound, "inbound").amount
    # only a charge to the upstream party shrinks, and never below zero
    amount = min(-charged, -arriving) if charged < 0 and arriving < 0 else Decimal(0)
    return InboundDeduction(
        applies_to="flux",
        inbound_flux_amount=arriving,
        assessment_flux_amount=charged,
        amount=amount,
        inbound_means=dict(inbound.period),
    )


def _statistics(agreement: Agreement) -> Statistics:
    rules = agreement.data_rules
    note = (
        f"本协议约定：计算期（月）均值为该期全部有效样本的算术平均；{PERIOD_MEANS[rules.period_mean]}。"
        f"与国家统计规定不同：{NATIONAL_RULE_ZH}。"
    )
    if rules.statistics_note:
        note += rules.statistics_note
    return Statistics(
        calculation_mean="mean_of_samples",
        period_mean=rules.period_mean,
        # the 2020 statistics rule forms automatic data into daily values first; this engine never does
        differs_from_national_rule=True,
        note=note,
    )


def compute(data: EngineInput) -> StatementDocument:
    """The statement document; byte-stable under :meth:`StatementDocument.canonical`."""
    comp = _Computation(data)
    agreement, period = comp.agreement, data.period
    sections = [
        *agreement.assessment_sections,
        *(agreement.inbound_sections if agreement.adjustments.inbound_deduction else ()),
    ]
    series = {s.code: comp.section_series(s.code, comp.calc, "assessment period") for s in sections}
    weights = {s.code: s.weight for s in agreement.assessment_sections}
    means = comp.combined(series, weights)
    inbound = None
    if agreement.adjustments.inbound_deduction and agreement.inbound_sections:
        share = 1 / Decimal(len(agreement.inbound_sections))
        inbound = comp.combined(series, {s.code: share for s in agreement.inbound_sections})
    if agreement.needs_comparison_year():
        before = period.year_before()
        before_calc = calculation_periods(agreement, before)
        before_series = {
            s.code: comp.section_series(s.code, before_calc, "year before") for s in agreement.assessment_sections
        }
        before_means = _weighted_period(before_series, weights, comp.parameters())
        if means is not None and before_means is not None:
            means = Means(means.period, means.by_calculation, before_means, means.volumes, means.waterbody)
    blocked = bool(comp.gaps) or means is None
    document = StatementDocument(
        agreement=AgreementRef(
            id=agreement.id,
            name=agreement.name,
            river=agreement.river,
            round=agreement.round,
            version=data.agreement_version,
            effective_from=agreement.in_force_from,
            rule_sha256=data.rule_sha256,
            illustrative=agreement.illustrative,
            illustrative_note=agreement.illustrative_note,
            parties=agreement.parties,
            term=agreement.term,
        ),
        period=PeriodInfo(
            label=period.label,
            kind=agreement.assessment_period.kind,
            first_day=period.first_day,
            last_day=period.last_day,
            fiscal_year=period.fiscal_year,
            calculation_granularity=agreement.calculation_granularity,
            calculation_periods=[label for label, _ in comp.calc],
        ),
        sections=[_section_row(data.sections[s.code], s.role, s.weight) for s in agreement.sections],
        data_rules=agreement.data_rules,
        statistics=_statistics(agreement),
        indicators=_indicator_rows(comp, series),
        inputs=Inputs(
            sha256=data.input_sha256,
            sha256_format=INPUT_HASH_FORMAT,
            declared_volumes=dict(data.declared_volumes),
            term_total_before=data.term_total_before,
        ),
        payment=agreement.settlement,
        status=STATUS_INSUFFICIENT if blocked else STATUS_COMPUTED,
        gaps=comp.gaps,
        joint_confirmation=data.joint_confirmation,
    )
    if blocked or means is None:
        return document
    return document.model_copy(
        update={
            "assessment_class": section_class(means.period, comp.waterbody, comp.agreement.data_rules.basis),
            **_settle(comp, means, inbound),
        }
    )


def _weighted_period(
    series: dict[str, dict[str, _Series]], weights: dict[str, Decimal], parameters: list[str]
) -> dict[str, Decimal] | None:
    values = {p: _weighted([(w, series[s][p].mean) for s, w in weights.items()]) for p in parameters if p != FLOW}
    if any(v is None for v in values.values()):
        return None
    return {p: v for p, v in values.items() if v is not None}


def _section_row(info: SectionInfo, role: str, weight: Decimal) -> SectionRow:
    return SectionRow(
        code=info.code,
        name=info.name,
        role="assessment" if role == "assessment" else "inbound",
        weight=weight,
        control_level=info.control_level,
        county=info.county,
        waterbody=info.waterbody,
        latitude=info.latitude,
        longitude=info.longitude,
    )
