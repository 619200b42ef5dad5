"""Surface-water classes (GB 3838-2002) and section / basin evaluation (环办〔2011〕22号).

Sources:

- **GB 3838-2002 Table 1** gives the limits in :data:`GB3838_2002`. Every limit is "≤" except DO ("≥").
  A value at a limit takes that (better) class; where classes share a limit the best one wins
  (COD 15 → Ⅰ, Cu 0.5 → Ⅱ). pH inside [6, 9] puts no constraint (class Ⅰ), outside it is 劣Ⅴ.
  Water temperature is item 1 of the table but not a class item: it is accepted and ignored.
  Class Ⅰ DO is 7.5 mg/L; the standard's alternative "90 % saturation" needs temperature and
  salinity and is not implemented (a caller holding a saturation figure can judge Class Ⅰ itself).
- **环办〔2011〕22号** gives the section rules: the class is the worst class of the 21 evaluation items;
  TN and fecal coliform are reference items (TN not assessed at all for rivers, reported separately
  for lakes/reservoirs; fecal coliform reported separately for both); status labels and colours;
  main pollutants; the basin mean method (< 5 sections) and class-proportion method.
- **地表水环境质量监测数据统计技术规定(试行) (2020)**: the period class is the class of the period means.

Decisions and open points ([?] = not verified against the official text):

- Main pollutants: items worse than Ⅲ, cyanide and heavy metals (:data:`PRIORITY_POLLUTANTS`: Hg, Cd,
  Cr(VI), Pb, As, Cu, Zn, Se, plus cyanide) first, then by class (worst first), then by exceedance
  multiple (largest first). pH and DO have no multiple; within a class they follow the items that have
  one, in Table 1 order. At most three are listed.
- Exceedance multiples are reported rounded half-even to 2 decimals; ranking uses the exact value.
- Basins: the proportion method starts at 5 sections ([?] the Shenzhen MEEB page on river evaluation says
  "大于5个"; we read it as "5 or more", see :data:`PROPORTION_METHOD_MIN_SECTIONS`).
- Period means: the arithmetic mean of every item, including pH ([?] how the 2020 rule averages pH is
  open). :func:`period_means` returns Decimals rounded to 28 significant digits only when the mean does
  not terminate.
- Class basis ([?] whether the 2020 statistics rule rounds a period value before classifying it is not
  verified): :class:`ClassBasis`. By default (:data:`DEFAULT_CLASS_BASIS`) an item is classed on its value
  as published — rounded once, by GB/T 8170, to its reporting precision with the function that publishes
  it (:mod:`services.standards.reporting`) — so a published figure and its class never contradict (TP
  0.2004 mg/L is published "0.20" and is Class Ⅲ), as monitoring stations class the values they report.
  ``ClassBasis.EXACT`` classes the exact value (0.2004 → Ⅳ). Exceedance multiples and the ranking of main
  pollutants use the same values as the class.
- Period values by source (automatic data by the 2020 rule, samples by 22号) with their minimum counts:
  :mod:`services.standards.water_statistics`.
- A mapping may contain only Table 1 codes (plus ``temp``); anything else raises ``ValueError`` so a
  typo cannot silently drop an item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Literal

from services.standards.numbers import Number, fraction_to_decimal, to_decimal
from services.standards.reporting import DEFAULT_TABLE, PrecisionTable

Waterbody = Literal["river", "lake"]
Exact = Decimal | Fraction

WORSE_THAN_V = 6
LABELS = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ")
STATUSES = ("优", "优", "良好", "轻度污染", "中度污染", "重度污染")
COLOURS = ("蓝", "蓝", "绿", "黄", "橙", "红")

# 环办〔2011〕22号: cyanide and heavy metals that exceed Class Ⅲ are listed first among main pollutants.
# As and Se are metalloids but are grouped with the heavy metals in Chinese monitoring practice.
PRIORITY_POLLUTANTS = frozenset({"cn", "hg", "cd", "cr6", "pb", "as", "cu", "zn", "se"})
NO_MULTIPLE = frozenset({"ph", "do"})
REFERENCE_ITEMS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"river": frozenset({"fecal_coliform"}), "lake": frozenset({"tn", "fecal_coliform"})}
)
# Never part of the class: which of them is reported as a reference item depends on the waterbody.
SEPARATE_ITEMS = frozenset({"tn", "fecal_coliform"})
NOT_CLASS_ITEMS = frozenset({"temp"})

PROPORTION_METHOD_MIN_SECTIONS = 5


class ClassBasis(StrEnum):
    """Which value of an item decides its class ([?] pending the 2020 statistics rule's text)."""

    PUBLISHED = "published"  # rounded once (GB/T 8170) to the item's reporting precision, as it is published
    EXACT = "exact"  # the exact value


DEFAULT_CLASS_BASIS = ClassBasis.PUBLISHED


@dataclass(frozen=True)
class Basis:
    """The class basis with the precisions in force, which say what "as published" is."""

    kind: ClassBasis = DEFAULT_CLASS_BASIS
    precision: PrecisionTable = DEFAULT_TABLE


DEFAULT_BASIS = Basis()
EXACT_BASIS = Basis(ClassBasis.EXACT)

# Significant digits of a mean or share that does not terminate.
SHARE_DIGITS = 28


@dataclass(frozen=True)
class Standard:
    """A versioned limit table: Class Ⅰ..Ⅴ limits per item, river values with lake overrides."""

    name: str
    upper_limits: Mapping[str, tuple[Decimal, ...]]
    lower_limits: Mapping[str, tuple[Decimal, ...]]
    lake_upper_limits: Mapping[str, tuple[Decimal, ...]]
    ph_range: tuple[Decimal, Decimal]

    @property
    def codes(self) -> tuple[str, ...]:
        return ("ph", *self.lower_limits, *self.upper_limits)

    def limits_of(self, code: str, waterbody: Waterbody) -> tuple[tuple[Decimal, ...], bool]:
        """The Class Ⅰ..Ⅴ limits of ``code`` and whether they are minimums (DO)."""
        if code in self.lower_limits:
            return self.lower_limits[code], True
        if waterbody == "lake" and code in self.lake_upper_limits:
            return self.lake_upper_limits[code], False
        return self.upper_limits[code], False


def _table(rows: Mapping[str, tuple[str, str, str, str, str]]) -> Mapping[str, tuple[Decimal, ...]]:
    return MappingProxyType({code: tuple(Decimal(v) for v in limits) for code, limits in rows.items()})


GB3838_2002 = Standard(
    name="GB 3838-2002",
    upper_limits=_table(
        {
            "codmn": ("2", "4", "6", "10", "15"),
            "cod": ("15", "15", "20", "30", "40"),
            "bod5": ("3", "3", "4", "6", "10"),
            "nh3n": ("0.15", "0.5", "1.0", "1.5", "2.0"),
            "tp": ("0.02", "0.1", "0.2", "0.3", "0.4"),
            "tn": ("0.2", "0.5", "1.0", "1.5", "2.0"),
            "cu": ("0.01", "1.0", "1.0", "1.0", "1.0"),
            "zn": ("0.05", "1.0", "1.0", "2.0", "2.0"),
            "f": ("1.0", "1.0", "1.0", "1.5", "1.5"),
            "se": ("0.01", "0.01", "0.01", "0.02", "0.02"),
            "as": ("0.05", "0.05", "0.05", "0.1", "0.1"),
            "hg": ("0.00005", "0.00005", "0.0001", "0.001", "0.001"),
            "cd": ("0.001", "0.005", "0.005", "0.005", "0.01"),
            "cr6": ("0.01", "0.05", "0.05", "0.05", "0.1"),
            "pb": ("0.01", "0.01", "0.05", "0.05", "0.1"),
            "cn": ("0.005", "0.05", "0.2", "0.2", "0.2"),
            "phenol": ("0.002", "0.002", "0.005", "0.01", "0.1"),
            "petroleum": ("0.05", "0.05", "0.05", "0.5", "1.0"),
            "las": ("0.2", "0.2", "0.2", "0.3", "0.3"),
            "sulfide": ("0.05", "0.1", "0.2", "0.5", "1.0"),
            "fecal_coliform": ("200", "2000", "10000", "20000", "40000"),
        }
    ),
    lower_limits=_table({"do": ("7.5", "6", "5", "3", "2")}),
    lake_upper_limits=_table({"tp": ("0.01", "0.025", "0.05", "0.1", "0.2")}),
    ph_range=(Decimal(6), Decimal(9)),
)


@dataclass(frozen=True)
class SectionResult:
    water_class: int
    label: str
    status: str
    colour: str
    item_classes: dict[str, int]
    determining_items: tuple[str, ...]
    main_pollutants: tuple[str, ...]
    exceedance_multiples: dict[str, Decimal]
    reference_items: dict[str, int]
    not_assessed: tuple[str, ...]
    waterbody: Waterbody
    standard: str
    basis: ClassBasis


@dataclass(frozen=True)
class BasinResult:
    method: Literal["mean", "proportion"]
    section_count: int
    count_1_3: int
    count_worse_than_5: int
    share_1_3: Decimal
    share_worse_than_5: Decimal
    status: str
    colour: str
    mean_section: SectionResult | None  # the averaged section, mean method only


def _check_class(water_class: int) -> None:
    if isinstance(water_class, bool) or not 1 <= water_class <= WORSE_THAN_V:
        raise ValueError(f"water class must be 1..6, got {water_class!r}")


def class_label(water_class: int) -> str:
    """Ⅰ … Ⅴ, or 劣Ⅴ for 6."""
    _check_class(water_class)
    return LABELS[water_class - 1]


def section_status(water_class: int) -> str:
    """优 / 良好 / 轻度污染 / 中度污染 / 重度污染 for one section (环办〔2011〕22号)."""
    _check_class(water_class)
    return STATUSES[water_class - 1]


def class_colour(water_class: int) -> str:
    _check_class(water_class)
    return COLOURS[water_class - 1]


def meets(water_class: int, target_class: int) -> bool:
    """Whether a section of ``water_class`` meets a target such as "Ⅲ类" (lower numbers are better)."""
    _check_class(water_class)
    _check_class(target_class)
    return water_class <= target_class


def _check_waterbody(waterbody: str) -> None:
    if waterbody not in REFERENCE_ITEMS:
        raise ValueError(f"waterbody must be 'river' or 'lake', got {waterbody!r}")


def _exact(code: str, value: Number | Fraction) -> Exact:
    result = value if isinstance(value, Fraction) else to_decimal(value)
    if result < 0 and code not in NOT_CLASS_ITEMS:  # water temperature may be below zero
        raise ValueError(f"{code}: negative value {value!r}")
    return result


def _check_code(code: str, standard: Standard) -> None:
    if code not in standard.codes and code not in NOT_CLASS_ITEMS:
        raise ValueError(f"unknown water quality item {code!r}; expected one of {', '.join(standard.codes)}")


def _class_of(code: str, value: Exact, waterbody: Waterbody, standard: Standard) -> int:
    if code == "ph":
        low, high = standard.ph_range
        return 1 if low <= value <= high else WORSE_THAN_V
    limits, minimum = standard.limits_of(code, waterbody)
    # Limits are monotonic, so the first class passed is the best class; shared limits resolve to it.
    for water_class, limit in enumerate(limits, start=1):
        if (value >= limit) if minimum else (value <= limit):
            return water_class
    return WORSE_THAN_V


def _on_basis(code: str, value: Exact, waterbody: Waterbody, basis: Basis) -> Exact:
    if basis.kind is ClassBasis.EXACT:
        return value
    return basis.precision.concentration_value(code, value, lake=waterbody == "lake")


def item_class(
    code: str,
    value: Number | Fraction,
    waterbody: Waterbody = "river",
    *,
    standard: Standard = GB3838_2002,
    basis: Basis = DEFAULT_BASIS,
) -> int:
    """The GB 3838 class (1..6) of one item's value; TN and fecal coliform are classed by their rows too."""
    _check_waterbody(waterbody)
    if code in NOT_CLASS_ITEMS or code not in standard.codes:
        raise ValueError(f"{code!r} is not a GB 3838 class item")
    return _class_of(code, _on_basis(code, _exact(code, value), waterbody, basis), waterbody, standard)


def _multiple(code: str, value: Exact, waterbody: Waterbody, standard: Standard) -> Fraction:
    limit = Fraction(standard.limits_of(code, waterbody)[0][2])
    return (Fraction(value) - limit) / limit


def _fraction_to_decimal(value: Fraction) -> Decimal:
    return fraction_to_decimal(value, significant_digits=SHARE_DIGITS)


def _classify(
    values: Mapping[str, Number | Fraction], waterbody: Waterbody, standard: Standard, basis: Basis
) -> SectionResult:
    _check_waterbody(waterbody)
    exact: dict[str, Exact] = {}
    for code, value in values.items():
        _check_code(code, standard)
        exact[code] = _on_basis(code, _exact(code, value), waterbody, basis)
    reference = REFERENCE_ITEMS[waterbody]
    assessed = [c for c in standard.codes if c in exact and c not in SEPARATE_ITEMS]
    if not assessed:
        raise ValueError(f"no assessed item among {sorted(values)}; a class needs at least one")
    item_classes = {c: _class_of(c, exact[c], waterbody, standard) for c in assessed}
    water_class = max(item_classes.values())
    multiples = {
        c: _multiple(c, exact[c], waterbody, standard) for c in assessed if item_classes[c] > 3 and c not in NO_MULTIPLE
    }
    # Sorting is stable over Table 1 order, which settles the remaining ties (pH, DO).
    ranked = sorted(
        (c for c in assessed if item_classes[c] > 3),
        key=lambda c: (
            c not in PRIORITY_POLLUTANTS,
            -item_classes[c],
            c not in multiples,
            -multiples.get(c, 0),
        ),
    )
    return SectionResult(
        water_class=water_class,
        label=class_label(water_class),
        status=section_status(water_class),
        colour=class_colour(water_class),
        item_classes=item_classes,
        determining_items=tuple(c for c in assessed if item_classes[c] == water_class),
        main_pollutants=tuple(ranked[:3]),
        exceedance_multiples={c: _fraction_to_decimal(round(m, 2)) for c, m in multiples.items()},
        reference_items={
            c: _class_of(c, exact[c], waterbody, standard) for c in standard.codes if c in exact and c in reference
        },
        not_assessed=tuple(c for c in exact if c not in assessed and c not in reference),
        waterbody=waterbody,
        standard=standard.name,
        basis=basis.kind,
    )


def classify_section(
    values: Mapping[str, Number | Fraction],
    waterbody: Waterbody = "river",
    *,
    standard: Standard = GB3838_2002,
    basis: Basis = DEFAULT_BASIS,
) -> SectionResult:
    """Single-factor evaluation of one section from one set of item values (mg/L; pH; 个/L)."""
    return _classify(values, waterbody, standard, basis)


def _mean_fractions(samples: Iterable[Mapping[str, Number]]) -> dict[str, Fraction]:
    totals: dict[str, Fraction] = {}
    counts: dict[str, int] = {}
    for sample in samples:
        for code, value in sample.items():
            totals[code] = totals.get(code, Fraction(0)) + Fraction(_exact(code, value))
            counts[code] = counts.get(code, 0) + 1
    return {code: total / counts[code] for code, total in totals.items()}


def period_means(samples: Iterable[Mapping[str, Number]]) -> dict[str, Decimal]:
    """Arithmetic mean of each item over the samples that contain it."""
    return {code: _fraction_to_decimal(mean) for code, mean in _mean_fractions(samples).items()}


def classify_period(
    samples: Iterable[Mapping[str, Number]],
    waterbody: Waterbody = "river",
    *,
    standard: Standard = GB3838_2002,
    basis: Basis = DEFAULT_BASIS,
) -> SectionResult:
    """A period's class is the class of its period means, never of the worst sample."""
    return _classify(_mean_fractions(samples), waterbody, standard, basis)


def _share(count: int, total: int) -> Decimal:
    return _fraction_to_decimal(Fraction(count, total))


def class_i_iii_share(classes: Iterable[int | None]) -> Decimal | None:
    """Share of sections in Ⅰ–Ⅲ among those with a class for the period; ``None`` if none has one."""
    valid = [c for c in classes if c is not None]
    for c in valid:
        _check_class(c)
    return _share(sum(1 for c in valid if c <= 3), len(valid)) if valid else None


def _proportion_status(p13: Fraction, p6: Fraction) -> str:
    if p13 >= Fraction(9, 10):
        return "优"
    if p13 >= Fraction(3, 4):
        return "良好"
    if p6 < Fraction(1, 5):
        return "轻度污染"
    if p6 < Fraction(2, 5):
        return "中度污染"
    return "重度污染"


_STATUS_COLOURS = dict(zip(STATUSES, COLOURS, strict=True))


def evaluate_basin(
    sections: Sequence[int | Mapping[str, Number]],
    waterbody: Waterbody = "river",
    *,
    standard: Standard = GB3838_2002,
    basis: Basis = DEFAULT_BASIS,
) -> BasinResult:
    """Evaluate a river or basin from its sections' classes, or their item values.

    With fewer than :data:`PROPORTION_METHOD_MIN_SECTIONS` sections the mean method applies, which
    needs item values (a mapping per section); otherwise the class-proportion method.
    """
    if not sections:
        raise ValueError("a basin needs at least one section")
    classes = [s if isinstance(s, int) else _classify(s, waterbody, standard, basis).water_class for s in sections]
    for c in classes:
        _check_class(c)
    count, good, bad = len(classes), sum(1 for c in classes if c <= 3), classes.count(WORSE_THAN_V)
    mean_section = None
    if count < PROPORTION_METHOD_MIN_SECTIONS:
        item_values = [s for s in sections if not isinstance(s, int)]
        if len(item_values) != count:
            raise ValueError(f"{count} sections use the mean method, which needs item values for every section")
        mean_section = _classify(_mean_fractions(item_values), waterbody, standard, basis)
        status = mean_section.status
    else:
        status = _proportion_status(Fraction(good, count), Fraction(bad, count))
    return BasinResult(
        method="proportion" if mean_section is None else "mean",
        section_count=count,
        count_1_3=good,
        count_worse_than_5=bad,
        share_1_3=_share(good, count),
        share_worse_than_5=_share(bad, count),
        status=status,
        colour=_STATUS_COLOURS[status],
        mean_section=mean_section,
    )
