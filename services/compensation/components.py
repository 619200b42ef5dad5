"""The five rule families as pure functions: means in, a signed amount with its full working out.

Positive amounts mean downstream pays upstream. Each result lists its inputs and intermediate values
so the statement shows the arithmetic; money is rounded only to the agreement's quantum, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

from services.compensation.agreements import (
    Agreement,
    AttainmentRate,
    ChangeIndex,
    ClassStep,
    Flux,
    IndexThreshold,
)
from services.compensation.document import (
    AttainmentRateWorking,
    ChangeIndexWorking,
    ClassStepWorking,
    FluxLine,
    FluxPeriod,
    FluxWorking,
    IndexTerm,
    IndexThresholdWorking,
)
from services.standards.water import GB3838_2002, Basis, Waterbody, classify_section

# Quotients (means, ratios, indices) keep 28 significant digits, rounded half-even.
DIVISION = Context(prec=28, rounding=ROUND_HALF_EVEN)
GRAMS_PER_TONNE = Decimal(10) ** 6  # 1 mg/L = 1 g/m³, so t = ΔC × V / 10⁶
PERCENT = Decimal(100)

Working = IndexThresholdWorking | ClassStepWorking | ChangeIndexWorking | FluxWorking | AttainmentRateWorking
AnyComponent = IndexThreshold | ClassStep | ChangeIndex | Flux | AttainmentRate


@dataclass(frozen=True)
class Means:
    """Weighted assessment-section means (mg/L) that the components read."""

    period: Mapping[str, Decimal]
    by_calculation: Mapping[str, Mapping[str, Decimal]]  # calculation period → indicator → mean
    year_before: Mapping[str, Decimal]
    volumes: Mapping[str, Decimal]  # calculation period → m³
    waterbody: Waterbody


def divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    return DIVISION.divide(numerator, denominator)


def class_limit(code: str, water_class: int, waterbody: Waterbody) -> Decimal:
    limits, _minimum = GB3838_2002.limits_of(code, waterbody)
    return limits[water_class - 1]


def target_of(agreement: Agreement, code: str, waterbody: Waterbody) -> Decimal:
    indicator = agreement.indicator(code)
    if indicator.target is not None:
        return indicator.target
    return class_limit(code, agreement.target_class, waterbody)


def section_class(means: Mapping[str, Decimal], waterbody: Waterbody, basis: Basis) -> int:
    values = {c: v for c, v in means.items() if c in GB3838_2002.codes}
    return classify_section(values, waterbody, basis=basis).water_class


def clamp(amount: Decimal, cap: Decimal | None) -> Decimal:
    if cap is None:
        return amount
    return max(-cap, min(cap, amount))


def money(agreement: Agreement, amount: Decimal) -> Decimal:
    return amount.quantize(agreement.money_quantum, rounding=ROUND_HALF_UP)


def index_threshold(
    component: IndexThreshold, agreement: Agreement, means: Means, rule_version: str
) -> IndexThresholdWorking:
    terms = {}
    for code, weight in component.weights.items():
        baseline = agreement.indicator(code).baseline
        assert baseline is not None  # the agreement validator requires it
        ratio = divide(means.period[code], baseline)
        terms[code] = IndexTerm(
            mean=means.period[code], baseline=baseline, ratio=ratio, weight=weight, weighted_ratio=weight * ratio
        )
    weighted = sum((t.weighted_ratio for t in terms.values()), Decimal(0))
    p_value = component.k0 * weighted
    band = next(b for b in component.bands if b.upper is None or p_value <= b.upper)
    return IndexThresholdWorking(
        rule_version=rule_version,
        k0=component.k0,
        terms=terms,
        bands=component.bands,
        sum_weighted_ratio=weighted,
        p_value=p_value,
        band_upper=band.upper,
        amount_unrounded=band.amount,
        amount=money(agreement, band.amount),
    )


def class_step(component: ClassStep, agreement: Agreement, means: Means, rule_version: str) -> ClassStepWorking:
    water_class = section_class(means.period, means.waterbody, agreement.data_rules.basis)
    steps = component.baseline_class - water_class
    raw = steps * component.per_class
    amount = clamp(raw, component.cap)
    return ClassStepWorking(
        rule_version=rule_version,
        means=dict(means.period),
        baseline_class=component.baseline_class,
        per_class=component.per_class,
        cap=component.cap,
        water_class=water_class,
        steps=steps,
        uncapped=raw,
        amount_unrounded=amount,
        amount=money(agreement, amount),
    )


def _pollution_index(
    component: ChangeIndex, values: Mapping[str, Decimal], waterbody: Waterbody
) -> tuple[Decimal, dict[str, Decimal]]:
    ratios = {c: divide(values[c], class_limit(c, component.limit_class, waterbody)) for c in component.indicators}
    return divide(sum(ratios.values(), Decimal(0)), Decimal(len(ratios))), ratios


def change_index(component: ChangeIndex, agreement: Agreement, means: Means, rule_version: str) -> ChangeIndexWorking:
    current, current_ratios = _pollution_index(component, means.period, means.waterbody)
    before, before_ratios = _pollution_index(component, means.year_before, means.waterbody)
    if component.basis == "relative_pct":
        change = divide((before - current) * PERCENT, before)
    else:
        change = (before - current) * PERCENT
    # only whole points are paid: 1.9 points pay 1, −1.9 pay −1
    points = change.to_integral_value(rounding=ROUND_DOWN)
    raw = points * component.per_point
    amount = clamp(raw, component.cap)
    return ChangeIndexWorking(
        rule_version=rule_version,
        indicators=list(component.indicators),
        limit_class=component.limit_class,
        basis=component.basis,
        per_point=component.per_point,
        cap=component.cap,
        means={c: means.period[c] for c in component.indicators},
        means_year_before={c: means.year_before[c] for c in component.indicators},
        ratios=current_ratios,
        ratios_year_before=before_ratios,
        index=current,
        index_year_before=before,
        change_points=change,
        whole_points=int(points),
        uncapped=raw,
        capped=amount != raw,
        amount_unrounded=amount,
        amount=money(agreement, amount),
    )


def flux_amount(component: Flux, agreement: Agreement, means: Means, rule_version: str) -> FluxWorking:
    periods = {}
    total = Decimal(0)
    for label, values in means.by_calculation.items():
        volume = means.volumes[label]
        lines = {}
        for code, price in component.prices.items():
            target = target_of(agreement, code, means.waterbody)
            excess = values[code] - target
            counted = excess if excess > 0 or component.credit_below_target else Decimal(0)
            tonnes = counted * volume / GRAMS_PER_TONNE
            amount = -tonnes * price  # pollution above target: upstream pays
            lines[code] = FluxLine(
                mean=values[code], target=target, excess=excess, tonnes=tonnes, price_per_t=price, amount=amount
            )
            total += amount
        periods[label] = FluxPeriod(volume_m3=volume, indicators=lines)
    return FluxWorking(
        rule_version=rule_version,
        prices=dict(component.prices),
        credit_below_target=component.credit_below_target,
        volume_source=component.volume_source,
        periods=periods,
        amount_unrounded=total,
        amount=money(agreement, total),
    )


def attainment_rate(
    component: AttainmentRate, agreement: Agreement, means: Means, rule_version: str
) -> AttainmentRateWorking:
    basis = agreement.data_rules.basis
    classes = {label: section_class(values, means.waterbody, basis) for label, values in means.by_calculation.items()}
    attained = sum(1 for c in classes.values() if c <= component.target_class)
    rate = divide(Decimal(attained), Decimal(len(classes)))
    met = rate >= component.target_rate
    earned = component.amount * rate if component.prorate else component.amount
    amount = earned if met else -component.amount
    return AttainmentRateWorking(
        rule_version=rule_version,
        target_class=component.target_class,
        target_rate=component.target_rate,
        agreed_amount=component.amount,
        prorate=component.prorate,
        classes=classes,
        attained=attained,
        periods=len(classes),
        rate=rate,
        met=met,
        amount_unrounded=amount,
        amount=money(agreement, amount),
    )


def evaluate(component: AnyComponent, agreement: Agreement, means: Means, rule_version: str) -> Working:
    if isinstance(component, IndexThreshold):
        return index_threshold(component, agreement, means, rule_version)
    if isinstance(component, ClassStep):
        return class_step(component, agreement, means, rule_version)
    if isinstance(component, ChangeIndex):
        return change_index(component, agreement, means, rule_version)
    if isinstance(component, Flux):
        return flux_amount(component, agreement, means, rule_version)
    return attainment_rate(component, agreement, means, rule_version)
