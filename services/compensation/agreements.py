"""Agreements as versioned data: the model, its validation, and its canonical form and hash.

Every number of an agreement is data, as the signed text fixes it (《生态保护补偿条例》 2024 Art. 17: targets,
indicators, method, term; 财建〔2016〕928号: the cross-boundary section and its baseline); nothing is
inferred from the city or the station registry. Money amounts are in 元, prices in 元 per tonne,
concentrations in mg/L. Sign convention of every amount: positive = downstream pays upstream.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from services.compensation.canonical import canonical_json
from services.standards.numbers import to_decimal
from services.standards.water import EXACT_BASIS, GB3838_2002, Basis, ClassBasis
from services.standards.water_statistics import Tier as Tier  # the agreements' tiers are the statistics rule's
from services.storage.parties import PARTY_CODE, registry_parties
from services.storage.schema import SOURCE_TIERS as SOURCE_TIERS

AGREEMENTS_DIR = Path(__file__).parent / "agreements"
ONE = Decimal(1)
MAX_YUAN = Decimal(10) ** 12  # 1万亿元: far above any agreement, and sums of a few stay within numeric(18, 2)
MAX_CONCENTRATION = Decimal(10) ** 4  # mg/L
MAX_PRICE = Decimal(10) ** 9  # 元 per tonne
NAME_LENGTH = 200
FIRST_YEAR, LAST_YEAR = 2000, 2200  # terms (and so periods) stay far from datetime's year 1 and 9999
TEXT_LENGTH = 500


def _exact(value: Any) -> Decimal:
    # YAML floats arrive as binary floats; their repr is the number the author wrote.
    return to_decimal(value)


# plain notation in JSON ("20000000", never "2E+7"), so canonical bytes and API output never carry exponents
Exact = Annotated[
    Decimal,
    BeforeValidator(_exact),
    PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json"),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Yuan = Annotated[Exact, Field(ge=-MAX_YUAN, le=MAX_YUAN)]
PositiveYuan = Annotated[Exact, Field(gt=0, le=MAX_YUAN)]
Concentration = Annotated[Exact, Field(ge=0, le=MAX_CONCENTRATION)]
Share = Annotated[Exact, Field(ge=0, le=1)]
Name = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH, pattern=r"^[^\x00-\x1f\x7f]+$")]
Text = Annotated[str, Field(min_length=1, max_length=TEXT_LENGTH, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+$")]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class Party(_Model):
    name: Name
    code: str = Field(pattern=PARTY_CODE)

    @model_validator(mode="after")
    def _registered(self) -> Party:
        registered = registry_parties().get(self.code)
        if registered is None:
            raise ValueError(f"party {self.code!r} is not in the party registry (parties.yaml)")
        if registered.name != self.name:
            raise ValueError(f"party {self.code!r} is named {registered.name!r} in the party registry")
        return self


class Parties(_Model):
    upstream: Party
    downstream: Party

    @model_validator(mode="after")
    def _distinct(self) -> Parties:
        if self.upstream.code == self.downstream.code:
            raise ValueError("upstream and downstream must be different parties")
        return self


class Term(_Model):
    start: date
    end: date  # inclusive

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if not (self.start.year >= FIRST_YEAR and self.end.year <= LAST_YEAR):
            raise ValueError(f"a term lies within the years {FIRST_YEAR}–{LAST_YEAR}")
        if self.end < self.start:
            raise ValueError(f"term ends ({self.end}) before it starts ({self.start})")
        return self


class AssessmentPeriod(_Model):
    kind: Literal["year", "quarter", "month", "custom"]
    # custom spans, e.g. October–September: start_month 10, months 12
    start_month: int = Field(default=1, ge=1, le=12)
    months: int = Field(default=12, ge=1, le=36)

    @property
    def span_months(self) -> int:
        return {"year": 12, "quarter": 3, "month": 1}.get(self.kind, self.months)

    @property
    def first_month(self) -> int:
        return self.start_month if self.kind == "custom" else 1


class Section(_Model):
    code: Code
    role: Literal["assessment", "inbound"]
    weight: Share = ONE


class Indicator(_Model):
    code: Code
    baseline: Annotated[Exact, Field(gt=0, le=MAX_CONCENTRATION)] | None = None  # Ci0, e.g. the prior 3–5-year mean
    target: Concentration | None = None  # target concentration; defaults to the target class limit

    @model_validator(mode="after")
    def _known(self) -> Indicator:
        if self.code not in GB3838_2002.codes:
            raise ValueError(f"unknown indicator {self.code!r}")
        return self


class Minimum(_Model):
    """The valid samples a tier needs in one calculation period: a share of what the station programme
    expects (automatic data, e.g. 0.75 = 75 % of the month's 4-hourly values) or a count (laboratory samples)."""

    share: Exact | None = Field(default=None, gt=0, le=1)
    count: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _one(self) -> Minimum:
        if (self.share is None) == (self.count is None):
            raise ValueError("a minimum is either a share of the expected samples or a count, not both or neither")
        return self

    def required(self, expected: int) -> int:
        """Valid samples needed when the programme expects ``expected``; at least one."""
        if self.count is not None:
            return self.count
        assert self.share is not None
        return max(1, int((self.share * expected).to_integral_value(rounding=ROUND_CEILING)))


PERIOD_MEANS = {
    "mean_of_calculation_means": "考核期均值为各计算期（月）均值的算术平均",
    "mean_of_samples": "考核期均值为考核期内全部有效样本的算术平均",
}


class DataRules(_Model):
    source_priority: tuple[Tier, ...] = Field(
        default=(Tier.AUTOMATIC, Tier.JOINT_MANUAL, Tier.MANUAL), min_length=1, max_length=3
    )
    # minimum valid samples of a tier in one calculation period before that tier may be used
    min_valid: dict[Tier, Minimum] = {
        Tier.AUTOMATIC: Minimum(share=Decimal("0.75")),
        Tier.JOINT_MANUAL: Minimum(count=1),
        Tier.MANUAL: Minimum(count=1),
    }
    # a calculation period's mean is the mean of its valid samples; the period mean is formed as named here
    period_mean: Literal["mean_of_calculation_means", "mean_of_samples"] = "mean_of_calculation_means"
    # the agreement's own statistics rule in words, where it differs from the national rule
    statistics_note: str | None = Field(default=None, max_length=500)
    concentration_places: int | None = Field(default=None, ge=0, le=6)  # round period means; None = exact
    # 数据互认: the statement can be confirmed only when every party confirmed every month of its sections
    require_joint_confirmation: bool = False
    # What a class (class_step, each indicator's class) is decided on: "published" (each mean rounded once by
    # GB/T 8170 to the platform's default reporting precision) or "exact". Absent means exact, as every statement
    # computed before this rule existed, and is left out of the canonical form so their bytes still verify.
    class_basis: ClassBasis | None = Field(default=None, exclude_if=lambda basis: basis is None)

    @model_validator(mode="after")
    def _distinct(self) -> DataRules:
        if len(set(self.source_priority)) != len(self.source_priority):
            raise ValueError("source_priority lists a tier twice")
        return self

    def minimum(self, tier: Tier) -> Minimum:
        return self.min_valid.get(tier, Minimum(count=1))

    @property
    def basis(self) -> Basis:
        return EXACT_BASIS if self.class_basis in (None, ClassBasis.EXACT) else Basis(ClassBasis.PUBLISHED)


class Band(_Model):
    upper: Annotated[Exact, Field(ge=0, le=1000)] | None = None  # inclusive upper bound of P; None = the last band
    amount: Yuan


class IndexThreshold(_Model):
    """Xin'an: P = K0 · Σ Ki · Ci / Ci0 over the assessment period, then a band lookup."""

    type: Literal["index_threshold"]
    k0: Annotated[Exact, Field(gt=0, le=10)]
    weights: dict[Code, Share] = Field(max_length=30)
    bands: tuple[Band, ...] = Field(max_length=20)

    @model_validator(mode="after")
    def _valid(self) -> IndexThreshold:
        total = sum(self.weights.values(), Decimal(0))
        if total != ONE:
            raise ValueError(f"index_threshold weights sum to {total}, not 1")
        uppers = [band.upper for band in self.bands]
        if not uppers or uppers[-1] is not None or None in uppers[:-1]:
            raise ValueError("index_threshold bands need bounds, and the last band none")
        bounded = [u for u in uppers if u is not None]
        if bounded != sorted(set(bounded)):
            raise ValueError("index_threshold band bounds must increase")
        return self


class ClassStep(_Model):
    """豫鲁 base part: (baseline class − class) × amount per class."""

    type: Literal["class_step"]
    baseline_class: int = Field(ge=1, le=6)
    per_class: Yuan
    cap: PositiveYuan | None = None


class ChangeIndex(_Model):
    """豫鲁 change part: year-on-year change of mean(C / class limit), paid per whole point, capped."""

    type: Literal["change_index"]
    indicators: tuple[Code, ...] = Field(min_length=1, max_length=30)
    limit_class: int = Field(default=3, ge=1, le=5)
    basis: Literal["relative_pct", "absolute_points"]
    per_point: Yuan
    cap: PositiveYuan


class Flux(_Model):
    """Jiangsu: (C − target) × monthly volume × price per tonne, per calculation period."""

    type: Literal["flux"]
    prices: dict[Code, Annotated[Exact, Field(ge=0, le=MAX_PRICE)]] = Field(max_length=30)  # 元 per tonne
    credit_below_target: bool = False
    volume_source: Literal["flow_readings", "declared"] = "flow_readings"


class AttainmentRate(_Model):
    """九洲江 / Anji: share of calculation periods whose class meets the target class."""

    type: Literal["attainment_rate"]
    target_class: int = Field(ge=1, le=5)
    target_rate: Share
    amount: Yuan
    prorate: bool = True


Component = Annotated[IndexThreshold | ClassStep | ChangeIndex | Flux | AttainmentRate, Field(discriminator="type")]


class Exclusion(_Model):
    """An approved exclusion (force majeure, incident); applied only when listed, never decided here."""

    start: date
    end: date  # inclusive
    reason: Text
    approval_document: Name


class Adjustments(_Model):
    exclusions: tuple[Exclusion, ...] = Field(default=(), max_length=100)
    inbound_deduction: bool = False  # Jinhua/Henan: inbound flux exceedance reduces the upstream payment


class Caps(_Model):
    per_period: PositiveYuan | None = None
    per_term: PositiveYuan | None = None


class Settlement(_Model):
    channel: Name = "年终结算（经共同上级财政部门）"
    deadline_days: int = Field(default=15, ge=1, le=366)
    budget_line: Name = "生态保护补偿转移性收入/支出（科目编码待核实）"
    permitted_use: Text = "流域生态保护修复、环境治理和民生改善"


class Agreement(_Model):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]{2,63}$")
    name: Name
    river: Name
    round: int = Field(default=1, ge=1, le=1000)
    illustrative: bool = True
    illustrative_note: Text | None = None
    parties: Parties
    term: Term
    # the first day this content is in force; later-effective versions take over from their own date
    effective_from: date | None = None  # None: the term's start
    assessment_period: AssessmentPeriod
    calculation_granularity: Literal["month", "quarter", "period"] = "month"
    target_class: int = Field(default=3, ge=1, le=5)
    sections: tuple[Section, ...] = Field(max_length=20)
    indicators: tuple[Indicator, ...] = Field(max_length=30)
    data_rules: DataRules = DataRules()
    components: tuple[Component, ...] = Field(max_length=10)
    adjustments: Adjustments = Adjustments()
    caps: Caps = Caps()
    money_quantum: Annotated[Exact, Field(ge=Decimal("0.01"), le=10000)] = Decimal("0.01")  # 元; money steps
    settlement: Settlement = Settlement()

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        assessed = self.assessment_sections
        if not assessed:
            raise ValueError("an agreement needs at least one assessment section")
        total = sum((s.weight for s in assessed), Decimal(0))
        if total != ONE:
            raise ValueError(f"assessment section weights sum to {total}, not 1")
        known = {i.code for i in self.indicators}
        for component in self.components:
            used = _indicators_of(component)
            if missing := sorted(set(used) - known):
                raise ValueError(f"{component.type} uses indicators not listed in the agreement: {missing}")
            if isinstance(component, IndexThreshold) and (
                unbased := sorted(c for c in component.weights if self.indicator(c).baseline is None)
            ):
                raise ValueError(f"index_threshold needs a baseline for {unbased}")
        if not self.components:
            raise ValueError("an agreement needs at least one component")
        if not self.term.start <= self.in_force_from <= self.term.end:
            raise ValueError(f"effective_from {self.in_force_from} is outside the term")
        if len({s.code for s in self.sections}) != len(self.sections):
            raise ValueError("a section is listed twice")
        return self

    @property
    def in_force_from(self) -> date:
        return self.effective_from or self.term.start

    @property
    def assessment_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.role == "assessment")

    @property
    def inbound_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.role == "inbound")

    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)

    @property
    def party_codes(self) -> frozenset[str]:
        return frozenset({self.parties.upstream.code, self.parties.downstream.code})

    def needs_comparison_year(self) -> bool:
        return any(isinstance(c, ChangeIndex) for c in self.components)

    def needs_flow(self) -> bool:
        return any(isinstance(c, Flux) and c.volume_source == "flow_readings" for c in self.components)


def _indicators_of(component: IndexThreshold | ClassStep | ChangeIndex | Flux | AttainmentRate) -> list[str]:
    if isinstance(component, IndexThreshold):
        return list(component.weights)
    if isinstance(component, ChangeIndex):
        return list(component.indicators)
    if isinstance(component, Flux):
        return list(component.prices)
    return []


def agreement_document(agreement: Agreement) -> dict[str, Any]:
    return agreement.model_dump(mode="json", exclude_none=False)


def agreement_sha256(agreement: Agreement) -> str:
    return hashlib.sha256(canonical_json(agreement_document(agreement))).hexdigest()


def parse_agreement(data: Any) -> Agreement:
    """Validate a mapping (YAML or JSON body); raises pydantic's ``ValidationError``."""
    return Agreement.model_validate(data)


def load_agreement_files(directory: Path = AGREEMENTS_DIR) -> list[Agreement]:
    return [
        parse_agreement(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in sorted(directory.glob("*.yaml"))
    ]
