"""Period values of surface-water items by data source, each naming the rule that made it.

Sources:

- **环办〔2011〕22号《地表水环境质量评价办法（试行）》** — laboratory (manual and joint manual)
  samples: a week's, ten days' or month's value may rest on a single sample; with several samples the
  period value of an item is the arithmetic mean of the period's samples (never of daily means).
- **《地表水环境质量监测数据统计技术规定（试行）》 (MEE, 2020)** — automatic data: where automatic
  data exist for pH, DO, CODMn, NH3-N, TP and TN they take priority over manual data; a daily value is
  formed from the day's valid automatic (4-hourly) values, and a period value from the daily values.

Decisions and open points ([?] = not verified against the official text; every minimum is configurable
through :class:`Minimums`, and :data:`VERIFIED_MINIMUMS` lists the verified ones):

- Automatic daily value: the mean of the day's valid values, valid when they are at least
  :attr:`Minimums.daily_share` of the values the station programme expects that day (default 2/3,
  i.e. 4 of 6 four-hourly values [?]). The day's valid values are those the programme reports (hourly
  stations are not first folded into 4-hour values [I]).
- Automatic period value: the mean of the valid daily values; the minimum valid days per month,
  quarter and year are [?] (defaults 20, 60 and 240).
- Manual period value: the minimum samples are 1 a week, ten days or month (22号); a quarter's 2 and
  a year's 8 are [?].
- Source choice per item [I]: for the six automatic items automatic data first, then joint manual, then
  manual; for the other items the laboratory tiers first (automatic stations do not measure them for
  evaluation). The first tier whose value meets its minimum wins; when none does, the first tier with
  any data, its value marked as short of its minimum (so a month to date still has an early warning).
- pH is averaged arithmetically like every item ([?]: how the 2020 rule averages pH is open).
- Exact arithmetic: tallies are rationals; :attr:`PeriodValue.value` is the exact mean as a Decimal,
  rounded half-even to 28 significant digits only when it does not terminate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from services.standards.numbers import Number, fraction_to_decimal, to_decimal

SIGNIFICANT_DIGITS = 28


class Tier(StrEnum):
    """Source tiers in the order the MEE 2020 statistics rule prefers them."""

    AUTOMATIC = "automatic"
    JOINT_MANUAL = "joint-manual"
    MANUAL = "manual"


MIXED = "mixed"  # a figure whose items were made by different rules; each item names its own


class StatisticRule(StrEnum):
    """The rule a period value was made by; published beside every water period figure."""

    SAMPLE_MEAN = "sample-mean-2011"  # 环办〔2011〕22号: arithmetic mean of the period's samples
    DAILY_VALUES = "daily-values-2020"  # 2020 statistics rule: daily values, then the mean of daily values


RULE_OF_TIER: Mapping[Tier, StatisticRule] = MappingProxyType(
    {
        Tier.AUTOMATIC: StatisticRule.DAILY_VALUES,
        Tier.JOINT_MANUAL: StatisticRule.SAMPLE_MEAN,
        Tier.MANUAL: StatisticRule.SAMPLE_MEAN,
    }
)

RULE_TEXT_ZH: Mapping[StatisticRule, str] = MappingProxyType(
    {
        StatisticRule.SAMPLE_MEAN: "环办〔2011〕22号《地表水环境质量评价办法（试行）》：时段内手工监测样本的算术平均",
        StatisticRule.DAILY_VALUES: (
            "《地表水环境质量监测数据统计技术规定（试行）》（2020）：由当日有效自动监测值计日均值，再由日均值计时段均值"
        ),
    }
)

# Short labels for tables and boards; ``RULE_TEXT_ZH`` holds the documents.
RULE_LABEL_ZH: Mapping[str, str] = MappingProxyType(
    {
        StatisticRule.DAILY_VALUES: "自动监测（2020统计规定）",
        StatisticRule.SAMPLE_MEAN: "手工监测（环办〔2011〕22号）",
        MIXED: "分指标（自动/手工）",
    }
)

# 2020 statistics rule: automatic data, where they exist, take priority for these items.
AUTOMATIC_PREFERRED = frozenset({"ph", "do", "codmn", "nh3n", "tp", "tn"})
AUTOMATIC_FIRST = (Tier.AUTOMATIC, Tier.JOINT_MANUAL, Tier.MANUAL)
LABORATORY_FIRST = (Tier.JOINT_MANUAL, Tier.MANUAL, Tier.AUTOMATIC)


PeriodKind = Literal["week", "ten_days", "month", "quarter", "year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("week", "ten_days", "month", "quarter", "year")

# Minimums verified against 环办〔2011〕22号 (: one sample suffices for a week, ten days or month).
VERIFIED_MINIMUMS = frozenset({("manual", "week"), ("manual", "ten_days"), ("manual", "month")})


def _frozen(counts: Mapping[PeriodKind, int]) -> Mapping[PeriodKind, int]:
    return MappingProxyType(dict(counts))


@dataclass(frozen=True)
class Minimums:
    """Minimum data for a valid daily or period value; see the module notes for which are verified."""

    daily_share: Fraction = Fraction(2, 3)  # [?] of the values the programme expects in the day
    automatic_days: Mapping[PeriodKind, int] = field(
        default_factory=lambda: _frozen({"week": 5, "ten_days": 7, "month": 20, "quarter": 60, "year": 240})
    )  # [?] valid daily values per period
    manual_samples: Mapping[PeriodKind, int] = field(
        default_factory=lambda: _frozen({"week": 1, "ten_days": 1, "month": 1, "quarter": 2, "year": 8})
    )  # month and shorter: 22号; quarter and year [?]

    def __post_init__(self) -> None:
        if not 0 < self.daily_share <= 1:
            raise ValueError(f"daily_share must lie in (0, 1], got {self.daily_share}")
        for name, counts in (("automatic_days", self.automatic_days), ("manual_samples", self.manual_samples)):
            if set(counts) != set(PERIOD_KINDS):
                raise ValueError(f"{name} needs a count for each of {', '.join(PERIOD_KINDS)}")
            if any(isinstance(n, bool) or n < 1 for n in counts.values()):
                raise ValueError(f"{name}: every minimum is a whole number ≥ 1")

    def daily_required(self, expected: int) -> int:
        """Valid values a daily value needs when the programme expects ``expected`` that day (at least 1)."""
        share = self.daily_share  # integer ceiling of share × expected: this runs once per day and item
        return max(1, -(-share.numerator * expected // share.denominator))

    def period_required(self, tier: Tier, kind: PeriodKind) -> int:
        counts = self.automatic_days if tier is Tier.AUTOMATIC else self.manual_samples
        return counts[kind]


DEFAULT_MINIMUMS = Minimums()


@dataclass(frozen=True)
class Tally:
    """Count and exact sum of valid values; tallies of disjoint sets add up."""

    count: int = 0
    total: Fraction = Fraction(0)

    @classmethod
    def of(cls, values: Iterable[Number]) -> Tally:
        result = cls()
        for value in values:
            result += cls(1, Fraction(to_decimal(value)))
        return result

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.count + other.count, self.total + other.total)

    @property
    def mean(self) -> Fraction:
        if not self.count:
            raise ValueError("the mean of no values")
        return self.total / self.count


@dataclass(frozen=True)
class DailyValue:
    """An automatic daily value: the mean of the day's valid values, valid with enough of them."""

    day: date
    tally: Tally
    expected: int
    required: int

    @property
    def count(self) -> int:
        return self.tally.count

    @property
    def mean(self) -> Fraction | None:
        return self.tally.mean if self.tally.count else None

    @property
    def valid(self) -> bool:
        return self.tally.count > 0 and self.tally.count >= self.required


def daily_value(day: date, tally: Tally, expected: int, minimums: Minimums = DEFAULT_MINIMUMS) -> DailyValue:
    """The 2020 rule's daily value of one item from the day's valid automatic values."""
    if expected < 0:
        raise ValueError(f"expected values must be ≥ 0, got {expected}")
    return DailyValue(day=day, tally=tally, expected=expected, required=minimums.daily_required(expected))


def _decimal(value: Fraction) -> Decimal:
    return fraction_to_decimal(value, significant_digits=SIGNIFICANT_DIGITS)


@dataclass(frozen=True)
class PeriodValue:
    """One item's period value from one source tier, with the rule and the data it rests on.

    ``count`` is what the rule counts: valid daily values (automatic) or samples (manual tiers).
    """

    item: str
    tier: Tier
    exact: Fraction
    count: int
    required: int

    @property
    def rule(self) -> StatisticRule:
        return RULE_OF_TIER[self.tier]

    @property
    def value(self) -> Decimal:
        return _decimal(self.exact)

    @property
    def meets_minimum(self) -> bool:
        return self.count >= self.required

    def statistics(self) -> dict[str, str | int | bool]:
        """What a published figure says about how it was made (JSON-ready)."""
        return {
            "rule": self.rule.value,
            "tier": self.tier.value,
            "count": self.count,
            "required": self.required,
            "meets_minimum": self.meets_minimum,
        }


def automatic_period_value(
    item: str, days: Iterable[DailyValue], kind: PeriodKind, minimums: Minimums = DEFAULT_MINIMUMS
) -> PeriodValue | None:
    """2020 rule: the mean of the period's valid daily values; ``None`` without any valid day."""
    # Σ total/count over the valid days, summed per count first: one division per distinct count (speed).
    totals: dict[int, Fraction] = {}
    valid = 0
    for d in days:
        if d.valid:
            totals[d.count] = totals.get(d.count, Fraction(0)) + d.tally.total
            valid += 1
    if not valid:
        return None
    return PeriodValue(
        item=item,
        tier=Tier.AUTOMATIC,
        exact=sum((total / count for count, total in totals.items()), Fraction(0)) / valid,
        count=valid,
        required=minimums.period_required(Tier.AUTOMATIC, kind),
    )


def sample_period_value(
    item: str, tier: Tier, samples: Tally, kind: PeriodKind, minimums: Minimums = DEFAULT_MINIMUMS
) -> PeriodValue | None:
    """环办〔2011〕22号: the arithmetic mean of the period's samples; ``None`` without a sample."""
    if tier is Tier.AUTOMATIC:
        raise ValueError("automatic data follow the 2020 rule: use automatic_period_value")
    if not samples.count:
        return None
    return PeriodValue(
        item=item,
        tier=tier,
        exact=samples.mean,
        count=samples.count,
        required=minimums.period_required(tier, kind),
    )


def tier_order(item: str) -> tuple[Tier, ...]:
    return AUTOMATIC_FIRST if item in AUTOMATIC_PREFERRED else LABORATORY_FIRST


def preferred(item: str, candidates: Mapping[Tier, PeriodValue]) -> PeriodValue | None:
    """The value of the first tier (in the item's order) that meets its minimum, else the first with data."""
    ordered = [candidates[t] for t in tier_order(item) if t in candidates]
    return next((v for v in ordered if v.meets_minimum), ordered[0] if ordered else None)


# Valid values of one item from one tier, by local (Beijing) day.
DayTallies = Mapping[tuple[str, Tier], Mapping[date, Tally]]
# Values the station programme expects for an item on a day (automatic data only).
Expected = Callable[[str, date], int]


@dataclass(frozen=True)
class Observation:
    """One valid value of an item on a local (Beijing) day, from one source tier."""

    day: date
    item: str
    tier: Tier
    value: Number


def tally_observations(observations: Iterable[Observation]) -> dict[tuple[str, Tier], dict[date, Tally]]:
    """Day tallies of raw observations: what :func:`period_values` takes."""
    tallies: dict[tuple[str, Tier], dict[date, Tally]] = {}
    for o in observations:
        days = tallies.setdefault((o.item, o.tier), {})
        days[o.day] = days.get(o.day, Tally()) + Tally.of([o.value])
    return tallies


def candidates(
    tallies: DayTallies, kind: PeriodKind, expected: Expected, minimums: Minimums = DEFAULT_MINIMUMS
) -> dict[str, dict[Tier, PeriodValue]]:
    """Every tier's period value of every item, each by the rule of its tier."""
    result: dict[str, dict[Tier, PeriodValue]] = {}
    for (item, tier), days in tallies.items():
        if tier is Tier.AUTOMATIC:
            daily = [daily_value(day, tally, expected(item, day), minimums) for day, tally in days.items()]
            value = automatic_period_value(item, daily, kind, minimums)
        else:
            value = sample_period_value(item, tier, sum(days.values(), Tally()), kind, minimums)
        if value is not None:
            result.setdefault(item, {})[tier] = value
    return result


def period_values(
    tallies: DayTallies, kind: PeriodKind, expected: Expected, minimums: Minimums = DEFAULT_MINIMUMS
) -> dict[str, PeriodValue]:
    """Each item's period value from its preferred source, by that source's rule."""
    chosen = {item: preferred(item, values) for item, values in candidates(tallies, kind, expected, minimums).items()}
    return {item: value for item, value in chosen.items() if value is not None}


def combined_rule(rules: Iterable[str]) -> str:
    """The rule of a figure made of parts: the one rule they share, or ``mixed``."""
    distinct = set(rules)
    if not distinct:
        raise ValueError("a figure without period values has no rule")
    return distinct.pop() if len(distinct) == 1 else MIXED


def figure_rule(values: Iterable[PeriodValue]) -> str:
    """The rule of a figure made of several items' period values."""
    return combined_rule(v.rule.value for v in values)
