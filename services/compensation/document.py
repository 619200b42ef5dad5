"""The statement document: one typed model that the engine writes and the API, pages and exports read.

Stored as canonical JSON (``document.canonical()``) and never updated; ``verify`` recomputes it, renders the
recomputation in the schema the statement was stored under (:func:`in_schema`) and compares bytes. Figures are
exact here (quotients keep 28 significant digits); :func:`services.compensation.publish.published` rounds a copy
to reporting precision. Decimals serialise in plain notation (``"20000000"``, never ``"2E+7"``). Positive amounts
mean downstream pays upstream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, ValidationError

from services.compensation.agreements import Band, DataRules, Exclusion, Parties, Party, Settlement, Term, Tier
from services.compensation.canonical import canonical_json


@dataclass(frozen=True)
class Addition:
    """A field a schema added, as a dotted path into the document. ``term``: a rule of the agreement that
    earlier schemas could not express, so a statement of an earlier schema can only have it at its default."""

    path: str
    meaning: str
    term: bool = False


# What each schema added to the one before. 3 is the typed document (plain decimals, effective-dated
# versions, programme-based minimums), the oldest this code reads; the pre-typed ones (1, 2) named their
# version "schema" and cannot be recomputed in their own form.
SCHEMA_ADDITIONS: dict[int, tuple[Addition, ...]] = {
    3: (),
    4: (
        Addition("joint_confirmation", "数据互认: whether every party confirmed each month of the assessment sections"),
        Addition(
            "data_rules.require_joint_confirmation",
            "whether the agreement requires 数据互认 before the statement is confirmed",
            term=True,
        ),
    ),
}
SCHEMA_VERSION = max(SCHEMA_ADDITIONS)
KNOWN_SCHEMAS = f"{min(SCHEMA_ADDITIONS)}–{SCHEMA_VERSION}"


class UnreadableDocument(ValueError):
    """A stored document no schema this code knows reads, so it cannot be recomputed in its own schema."""


Num = Annotated[Decimal, PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json")]
CellStatus = Literal["ok", "insufficient", "excluded"]
Direction = Literal["downstream pays upstream", "upstream pays downstream", "none"]
DocumentStatus = Literal["computed", "insufficient data"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgreementRef(_Doc):
    id: str
    name: str
    river: str
    round: int
    version: int
    effective_from: date
    rule_sha256: str
    illustrative: bool
    illustrative_note: str | None
    parties: Parties
    term: Term


class PeriodInfo(_Doc):
    label: str
    kind: str
    first_day: date
    last_day: date
    fiscal_year: int
    calculation_granularity: str
    calculation_periods: list[str]


class SectionRow(_Doc):
    code: str
    name: str
    role: Literal["assessment", "inbound"]
    weight: Num
    control_level: str
    county: str | None
    waterbody: str
    latitude: Num | None
    longitude: Num | None


class Cell(_Doc):
    """One station, parameter and calculation period: what the data rules found and used."""

    status: CellStatus
    source: Tier | None = None
    valid: int = 0
    valid_by_source: dict[Tier, int] = {}
    invalid: int = 0
    expected: int = 0  # automatic samples the station programme expects in the open days
    required: dict[Tier, int] = {}  # minimum valid samples per tier
    mean: Num | None = None


class IndicatorRow(_Doc):
    section: str
    indicator: str
    sources: list[Tier]
    valid: int
    invalid: int
    expected: int
    mean: Num | None
    complete: bool
    calculation: dict[str, Cell]
    baseline: Num | None = None
    target: Num | None = None
    ratio: Num | None = None
    water_class: int | None = None


class Gap(_Doc):
    section: str | None
    indicator: str
    period: str
    scope: str
    valid_by_source: dict[Tier, int] = {}
    expected: int | None = None
    required: dict[Tier, int] = {}


class Statistics(_Doc):
    """How the period value was formed, and whether that is the agreement's own rule or the national one."""

    calculation_mean: Literal["mean_of_samples"]
    period_mean: Literal["mean_of_calculation_means", "mean_of_samples"]
    differs_from_national_rule: bool
    note: str


class Inputs(_Doc):
    sha256: str
    sha256_format: str
    declared_volumes: dict[str, Num]
    term_total_before: Num


class _Working(_Doc):
    rule_version: str
    amount_unrounded: Num
    amount: Num  # rounded to the agreement's money quantum


class IndexTerm(_Doc):
    mean: Num
    baseline: Num
    ratio: Num
    weight: Num
    weighted_ratio: Num


class IndexThresholdWorking(_Working):
    type: Literal["index_threshold"] = "index_threshold"
    k0: Num
    terms: dict[str, IndexTerm]
    bands: tuple[Band, ...]
    sum_weighted_ratio: Num
    p_value: Num
    band_upper: Num | None


class ClassStepWorking(_Working):
    type: Literal["class_step"] = "class_step"
    means: dict[str, Num]
    baseline_class: int
    per_class: Num
    cap: Num | None
    water_class: int
    steps: int
    uncapped: Num


class ChangeIndexWorking(_Working):
    type: Literal["change_index"] = "change_index"
    indicators: list[str]
    limit_class: int
    basis: Literal["relative_pct", "absolute_points"]
    per_point: Num
    cap: Num
    means: dict[str, Num]
    means_year_before: dict[str, Num]
    ratios: dict[str, Num]
    ratios_year_before: dict[str, Num]
    index: Num
    index_year_before: Num
    change_points: Num
    whole_points: int
    uncapped: Num
    capped: bool


class FluxLine(_Doc):
    mean: Num
    target: Num
    excess: Num
    tonnes: Num
    price_per_t: Num
    amount: Num


class FluxPeriod(_Doc):
    volume_m3: Num
    indicators: dict[str, FluxLine]


class FluxWorking(_Working):
    type: Literal["flux"] = "flux"
    prices: dict[str, Num]
    credit_below_target: bool
    volume_source: Literal["flow_readings", "declared"]
    periods: dict[str, FluxPeriod]


class AttainmentRateWorking(_Working):
    type: Literal["attainment_rate"] = "attainment_rate"
    target_class: int
    target_rate: Num
    agreed_amount: Num
    prorate: bool
    classes: dict[str, int]
    attained: int
    periods: int
    rate: Num
    met: bool


ComponentWorking = Annotated[
    IndexThresholdWorking | ClassStepWorking | ChangeIndexWorking | FluxWorking | AttainmentRateWorking,
    Field(discriminator="type"),
]


class InboundDeduction(_Doc):
    applies_to: Literal["flux"] | None
    inbound_flux_amount: Num | None = None
    assessment_flux_amount: Num | None = None
    amount: Num
    inbound_means: dict[str, Num] = {}


class CapsWorking(_Doc):
    per_period: Num | None
    per_term: Num | None
    before_caps: Num
    after_period_cap: Num
    after_term_cap: Num


class Adjustments(_Doc):
    exclusions: tuple[Exclusion, ...]
    inbound_deduction: InboundDeduction | None = None
    caps: CapsWorking


class Result(_Doc):
    amount: Num  # signed: positive = downstream pays upstream
    direction: Direction
    payer: Party | None
    receiver: Party | None
    amount_yuan: Num
    amount_wan_yuan: Num
    amount_capital: str


class TermTotals(_Doc):
    total_before: Num
    total_after: Num


class ConfirmedMonth(_Doc):
    """One month of one assessment section as the statement read it, and who confirmed it (数据互认)."""

    section: str
    month: str
    readings_sha256: str  # the month's rows of the section and the partner stations at it
    revision: int | None  # the latest confirmation revision; None when nobody confirmed
    confirmed_by: list[str]  # parties that confirmed that revision
    missing: list[str]  # parties still to confirm (all of them when data changed after the revision)
    confirmed: bool


class JointConfirmation(_Doc):
    required: bool  # the agreement requires jointly confirmed inputs before the statement is confirmed
    confirmed: bool  # every month of every assessment section is confirmed by every party
    months: list[ConfirmedMonth]


class StatementDocument(_Doc):
    schema_version: int = SCHEMA_VERSION
    agreement: AgreementRef
    period: PeriodInfo
    sections: list[SectionRow]
    data_rules: DataRules
    statistics: Statistics
    indicators: list[IndicatorRow]
    inputs: Inputs
    payment: Settlement
    status: DocumentStatus
    gaps: list[Gap]
    assessment_class: int | None = None
    components: list[ComponentWorking] = []
    subtotal: Num | None = None
    adjustments: Adjustments | None = None
    result: Result | None = None
    term: TermTotals | None = None
    joint_confirmation: JointConfirmation | None = None  # None in documents of schema 3 (SCHEMA_ADDITIONS)

    @property
    def settled(self) -> bool:
        return self.result is not None

    def canonical(self) -> bytes:
        """The stored byte form: canonical JSON (sorted keys, no spaces, UTF-8) of the fields its schema has."""
        return canonical_json(self.model_dump(mode="json", exclude=_exclusion(added_after(self.schema_version))))


def added_after(schema: int) -> tuple[Addition, ...]:
    """What the schemas after ``schema`` added, oldest first."""
    if schema not in SCHEMA_ADDITIONS:
        raise UnreadableDocument(f"schema {schema} is not one this version reads ({KNOWN_SCHEMAS})")
    return tuple(addition for version, added in SCHEMA_ADDITIONS.items() if version > schema for addition in added)


def in_schema(document: StatementDocument, schema: int) -> StatementDocument:
    """The document as ``schema`` rendered it: what later schemas added is at its default and, being absent
    from that schema, left out of ``canonical()``."""
    projected = document
    for addition in added_after(schema):
        projected = _reset(projected, addition.path.split("."))
    return projected.model_copy(update={"schema_version": schema})


def inexpressible(document: StatementDocument, schema: int) -> list[Addition]:
    """The agreement terms ``document`` sets that ``schema`` could not express (so it cannot be of ``schema``)."""
    defaults = in_schema(document, schema)
    return [
        addition
        for addition in added_after(schema)
        if addition.term and _value(document, addition.path) != _value(defaults, addition.path)
    ]


def read_stored(text: str | bytes) -> StatementDocument:
    """A stored document in the schema it was stored under; :class:`UnreadableDocument` says why not."""
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise UnreadableDocument(f"the stored document is not JSON ({error})") from None
    if not isinstance(raw, dict):
        raise UnreadableDocument("the stored document is not a JSON object")
    schema = raw.get("schema_version", raw.get("schema"))  # "schema": the pre-typed documents
    if type(schema) is not int:
        raise UnreadableDocument(f"the stored document names no schema version ({schema!r})")
    if schema not in SCHEMA_ADDITIONS:
        raise UnreadableDocument(
            f"the stored document is of schema {schema}; this version reads schemas {KNOWN_SCHEMAS}"
        )
    try:
        return StatementDocument.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UnreadableDocument(
            f"the stored document does not read as schema {schema}: {where}: {first['msg']}"
            f" ({error.error_count()} error(s))"
        ) from None


Model = TypeVar("Model", bound=BaseModel)


def _reset(model: Model, path: list[str]) -> Model:
    head, *rest = path
    if rest:
        value = _reset(getattr(model, head), rest)
    else:
        value = type(model).model_fields[head].get_default(call_default_factory=True)
    return model.model_copy(update={head: value})


def _value(model: BaseModel, path: str) -> Any:
    value: Any = model
    for name in path.split("."):
        value = getattr(value, name)
    return value


def _exclusion(additions: tuple[Addition, ...]) -> dict[str, Any]:
    """Pydantic's nested ``exclude`` for the additions' paths."""
    tree: dict[str, Any] = {}
    for addition in additions:
        *parents, leaf = addition.path.split(".")
        node = tree
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = True
    return tree
