"""Agreements as versioned data: the model, its validation, and its canonical form and hash.

Every number of an agreement is data (see ``../shared/reference/compensation.md`` §2); nothing is
inferred from the city or the station registry. Money amounts are in 元, prices in 元 per tonne,
concentrations in mg/L. Sign convention of every amount: positive = downstream pays upstream.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from services.compensation.canonical import canonical_json
from services.standards.numbers import to_decimal
from services.standards.water import GB3838_2002

AGREEMENTS_DIR = Path(__file__).parent / "agreements"
ONE = Decimal(1)


def _exact(value: Any) -> Decimal:
    # YAML floats arrive as binary floats; their repr is the number the author wrote.
    return to_decimal(value)


Exact = Annotated[Decimal, BeforeValidator(_exact)]


class Tier(StrEnum):
    """Source tiers in the order the MEE 2020 statistics rule prefers them."""

    AUTOMATIC = "automatic"
    JOINT_MANUAL = "joint-manual"
    MANUAL = "manual"


# readings.source → tier; mqtt-json, hj212 and backfill all come from the automatic stations.
SOURCE_TIERS = {
    "mqtt-json": Tier.AUTOMATIC,
    "hj212": Tier.AUTOMATIC,
    "backfill": Tier.AUTOMATIC,
    "joint-manual": Tier.JOINT_MANUAL,
    "manual": Tier.MANUAL,
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Model):
    name: str
    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,31}$")


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
    code: str
    role: Literal["assessment", "inbound"]
    weight: Exact = ONE


class Indicator(_Model):
    code: str
    baseline: Exact | None = None  # Ci0, e.g. the mean of the 3–5 years before signing
    target: Exact | None = None  # target concentration; defaults to the target class limit

    @model_validator(mode="after")
    def _known(self) -> Indicator:
        if self.code not in GB3838_2002.codes:
            raise ValueError(f"unknown indicator {self.code!r}")
        return self


class DataRules(_Model):
    source_priority: tuple[Tier, ...] = (Tier.AUTOMATIC, Tier.JOINT_MANUAL, Tier.MANUAL)
    # minimum valid samples of a tier in one calculation period before that tier may be used
    min_valid: dict[Tier, int] = {Tier.AUTOMATIC: 360, Tier.JOINT_MANUAL: 1, Tier.MANUAL: 1}
    expected_interval_minutes: int = Field(default=60, ge=1)  # the automatic stations' cycle
    concentration_places: int | None = Field(default=None, ge=0, le=6)  # round period means; None = exact


class Band(_Model):
    upper: Exact | None = None  # inclusive upper bound of P; None = no bound (the last band)
    amount: Exact


class IndexThreshold(_Model):
    """Xin'an: P = K0 · Σ Ki · Ci / Ci0 over the assessment period, then a band lookup."""

    type: Literal["index_threshold"]
    k0: Exact
    weights: dict[str, Exact]
    bands: tuple[Band, ...]

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
    per_class: Exact
    cap: Exact | None = None


class ChangeIndex(_Model):
    """豫鲁 change part: year-on-year change of mean(C / class limit), paid per whole point, capped."""

    type: Literal["change_index"]
    indicators: tuple[str, ...]
    limit_class: int = Field(default=3, ge=1, le=5)
    basis: Literal["relative_pct", "absolute_points"]
    per_point: Exact
    cap: Exact


class Flux(_Model):
    """Jiangsu: (C − target) × monthly volume × price per tonne, per calculation period."""

    type: Literal["flux"]
    prices: dict[str, Exact]  # 元 per tonne
    credit_below_target: bool = False
    volume_source: Literal["flow_readings", "declared"] = "flow_readings"


class AttainmentRate(_Model):
    """九洲江 / Anji: share of calculation periods whose class meets the target class."""

    type: Literal["attainment_rate"]
    target_class: int = Field(ge=1, le=5)
    target_rate: Exact = Field(ge=0, le=1)
    amount: Exact
    prorate: bool = True


Component = Annotated[IndexThreshold | ClassStep | ChangeIndex | Flux | AttainmentRate, Field(discriminator="type")]


class Exclusion(_Model):
    """An approved exclusion (force majeure, incident); applied only when listed, never decided here."""

    start: date
    end: date  # inclusive
    reason: str = Field(min_length=1)
    approval_document: str = Field(min_length=1)


class Adjustments(_Model):
    exclusions: tuple[Exclusion, ...] = ()
    inbound_deduction: bool = False  # Jinhua/Henan: inbound flux exceedance reduces the upstream payment


class Caps(_Model):
    per_period: Exact | None = None
    per_term: Exact | None = None


class Settlement(_Model):
    channel: str = "年终结算（经共同上级财政部门）"
    deadline_days: int = 15
    budget_line: str = "生态保护补偿转移性收入/支出（科目编码待核实）"
    permitted_use: str = "流域生态保护修复、环境治理和民生改善"


class Agreement(_Model):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]{2,63}$")
    name: str
    river: str
    round: int = Field(default=1, ge=1)
    illustrative: bool = True
    illustrative_note: str | None = None
    parties: Parties
    term: Term
    assessment_period: AssessmentPeriod
    calculation_granularity: Literal["month", "quarter", "period"] = "month"
    target_class: int = Field(default=3, ge=1, le=5)
    sections: tuple[Section, ...]
    indicators: tuple[Indicator, ...]
    data_rules: DataRules = DataRules()
    components: tuple[Component, ...]
    adjustments: Adjustments = Adjustments()
    caps: Caps = Caps()
    money_quantum: Exact = Decimal("0.01")  # 元; round money to this step only
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
        return self

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
