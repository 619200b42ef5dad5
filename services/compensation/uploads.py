"""Joint and manual monitoring results (联合监测 / 手工监测) uploaded by a bureau: validated, audited, stored.

A result is one laboratory value for a section, indicator and sampling time, with the party or parties
that sampled it (joint: at least two). An upload is all or nothing: any invalid row, any row that
contradicts a stored result (one result per section, indicator and Beijing-time day) or an automatic
reading at the same instant, refuses the whole upload with every reason, row by row. A row identical
to a stored result is accepted and changes nothing, so a file can be uploaded twice.

The values go into ``readings`` with the source ``joint-manual`` or ``manual`` (the engine's tiers,
in the statement's input hash like any reading); ``compensation_monitoring_results`` keeps who sampled,
the laboratory, the report number and the upload; the days go to the recompute queue for the KPIs.
A wrong upload is withdrawn as a whole, with its reason (``upload_log``); a withdrawn result no longer
conflicts with a new one.
Files: CSV (UTF-8, with or without BOM) or XLSX, headers in Chinese or English (:data:`COLUMNS`).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeAlias

from openpyxl import load_workbook
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from sqlalchemy import Connection, and_, func, insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as upsert

from services.compensation import repository
from services.compensation.access import Principal, Role
from services.compensation.agreements import FIRST_YEAR, Agreement
from services.compensation.tables import monitoring_results, monitoring_uploads
from services.standards.local_time import BEIJING_TIME, local_date
from services.standards.parameters import PARAMETERS, Kind
from services.standards.water import GB3838_2002
from services.storage.parties import PartyCode
from services.storage.schema import readings, recompute_queue, stations

MAX_RESULTS = 5000
MAX_FILE_BYTES = 2 * 1024 * 1024
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
STATION_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Tier = Literal["joint-manual", "manual"]
UPLOAD_ROLES = frozenset({Role.BUREAU})  # who uploads, and withdraws a wrong upload (upload_log)
# the field types under other names, because the fields are called date and time
Day: TypeAlias = date
ClockTime: TypeAlias = time
# file header → field; Chinese as on a laboratory report, English as in the JSON API
COLUMNS = {
    "断面编码": "section",
    "section": "section",
    "采样日期": "date",
    "date": "date",
    "采样时间": "time",
    "time": "time",
    "指标": "indicator",
    "indicator": "indicator",
    "浓度": "value",
    "浓度(mg/L)": "value",
    "浓度（mg/L）": "value",
    "value": "value",
    "监测类型": "tier",
    "tier": "tier",
    "采样单位": "sampling_parties",
    "sampling_parties": "sampling_parties",
    "分析实验室": "laboratory",
    "laboratory": "laboratory",
    "报告编号": "report_no",
    "report_no": "report_no",
}
TIER_WORDS = {"联合监测": "joint-manual", "手工监测": "manual"}
TEMPLATE_HEADER = [
    "断面编码",
    "采样日期",
    "采样时间",
    "指标",
    "浓度（mg/L）",
    "监测类型",
    "采样单位",
    "分析实验室",
    "报告编号",
]
TEMPLATE_EXAMPLE = [
    "XXJ-YANGXUN",
    "2025-03-10",
    "09:30",
    "nh3n",
    "0.52",
    "联合监测",
    "xiaoshan;keqiao",
    "示例实验室",
    "2025-JC-031",
]


class UploadRefused(ValueError):
    """An upload with invalid or conflicting rows; nothing of it was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("upload refused, nothing stored: " + "; ".join(problems))
        self.problems = problems


class MonitoringResult(BaseModel):
    """One laboratory result: section, sampling time (Beijing time), indicator, value and who sampled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    section: Annotated[str, StringConstraints(pattern=STATION_CODE)]
    date: Day
    time: ClockTime = Field(description="sampling time, Beijing time (HH:MM)")
    indicator: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]
    value: Annotated[Decimal, Field(ge=0, le=10**6, max_digits=20, decimal_places=6)] = Field(
        description="mg/L (pH: dimensionless)"
    )
    tier: Tier
    sampling_parties: Annotated[list[PartyCode], Field(min_length=1, max_length=5)]
    laboratory: Annotated[str, StringConstraints(max_length=100, pattern=NO_CONTROL)] | None = None
    report_no: Annotated[str, StringConstraints(max_length=64, pattern=NO_CONTROL)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> MonitoringResult:
        parties = set(self.sampling_parties)
        if len(parties) != len(self.sampling_parties):
            raise ValueError("a sampling party is listed twice")
        if self.tier == "joint-manual" and len(parties) < 2:
            raise ValueError("a joint result (联合监测) names at least two sampling parties")
        if self.tier == "manual" and len(parties) != 1:
            raise ValueError("a manual result (手工监测) names the one party that sampled")
        parameter = PARAMETERS.get(self.indicator)
        if parameter is None or parameter.kind is not Kind.WATER or self.indicator not in GB3838_2002.codes:
            raise ValueError(f"indicator {self.indicator!r} is not a GB 3838-2002 water item")
        if not parameter.in_physical_range(self.value):
            raise ValueError(
                f"value {self.value} {parameter.unit} is outside {parameter.name_zh}'s physical range "
                f"{parameter.physical_min}–{parameter.physical_max}"
            )
        if not self.date.year >= FIRST_YEAR:
            raise ValueError(f"sampling date {self.date} is before {FIRST_YEAR}")
        if self.sampled_at > datetime.now(UTC):
            raise ValueError(f"sampling time {self.sampled_at.isoformat()} is in the future")
        return self

    @property
    def sampled_at(self) -> datetime:
        return datetime.combine(self.date, self.time.replace(second=0, microsecond=0), tzinfo=BEIJING_TIME)


class ResultsBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "section": "XXJ-YANGXUN",
                            "date": "2025-03-10",
                            "time": "09:30",
                            "indicator": "nh3n",
                            "value": "0.52",
                            "tier": "joint-manual",
                            "sampling_parties": ["xiaoshan", "keqiao"],
                            "laboratory": "示例实验室",
                            "report_no": "2025-JC-031",
                        }
                    ]
                }
            ]
        },
    )

    results: Annotated[list[MonitoringResult], Field(min_length=1, max_length=MAX_RESULTS)]


@dataclass(frozen=True)
class Stored:
    upload_id: int | None  # None when every row was already stored
    stored: int
    unchanged: int


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _rows_of(content: bytes, filename: str) -> list[list[str]]:
    if len(content) > MAX_FILE_BYTES:
        raise UploadRefused([f"file: larger than {MAX_FILE_BYTES} bytes"])
    if filename.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as unreadable:  # openpyxl raises many kinds for a damaged file
            raise UploadRefused([f"file: not a readable XLSX workbook ({type(unreadable).__name__})"]) from None
        return [[_cell(v) for v in row] for row in sheet.iter_rows(max_row=MAX_RESULTS + 2, values_only=True)]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRefused(["file: a CSV file must be UTF-8"]) from None
    return list(csv.reader(io.StringIO(text)))


def parse_file(content: bytes, filename: str) -> list[MonitoringResult]:
    """The results of a CSV or XLSX file; every bad row refused with its row number and field."""
    rows = [row for row in _rows_of(content, filename) if any(cell.strip() for cell in row)]
    if not rows:
        raise UploadRefused(["file: empty"])
    header = [cell.strip() for cell in rows[0]]
    fields = [COLUMNS.get(name) for name in header]
    unknown = [name for name, field in zip(header, fields, strict=True) if field is None and name]
    required = {"section", "date", "time", "indicator", "value", "tier", "sampling_parties"}
    problems = []
    if unknown:
        problems.append(f"header: unknown columns {unknown}; known: {sorted(set(COLUMNS))}")
    if missing := sorted(required - set(fields)):
        problems.append(f"header: missing columns {missing}")
    if len(rows) - 1 > MAX_RESULTS:
        problems.append(f"file: more than {MAX_RESULTS} results")
    if problems:
        raise UploadRefused(problems)
    results = []
    for number, row in enumerate(rows[1:], start=2):
        data: dict[str, Any] = {f: cell.strip() for f, cell in zip(fields, row, strict=False) if f and cell.strip()}
        data["tier"] = TIER_WORDS.get(data.get("tier", ""), data.get("tier"))
        data["sampling_parties"] = [
            p.strip() for p in data.get("sampling_parties", "").replace("；", ";").split(";") if p.strip()
        ]
        try:
            results.append(MonitoringResult.model_validate(data))
        except ValidationError as invalid:
            problems += [f"row {number}: {'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in invalid.errors()]
    if problems:
        raise UploadRefused(problems)
    return results


def _checked(
    connection: Connection, principal: Principal, results: Sequence[MonitoringResult], agreements: Iterable[Agreement]
) -> list[str]:
    """Why each result may not be stored (empty: all may)."""
    parties_of: dict[str, set[str]] = {}
    for agreement in agreements:
        for section in agreement.sections:
            parties_of.setdefault(section.code, set()).update(agreement.party_codes)
    water = set(connection.execute(select(stations.c.code).where(stations.c.kind == "water")).scalars())
    problems: list[str] = []
    seen: dict[tuple[str, str, date], int] = {}
    for number, result in enumerate(results, start=1):
        where = f"result {number} ({result.section} {result.indicator} {result.date})"
        key = (result.section, result.indicator, result.date)
        if key in seen:
            problems.append(f"{where}: the same section, indicator and day as result {seen[key]}")
        seen[key] = number
        if result.section not in water:
            problems.append(f"{where}: section: unknown water section {result.section!r}")
        elif result.section not in parties_of:
            problems.append(f"{where}: section: {result.section} is not a section of an agreement you may see")
        elif unknown := sorted(set(result.sampling_parties) - parties_of[result.section]):
            problems.append(
                f"{where}: sampling_parties: {unknown} are not parties of an agreement at {result.section} "
                f"({sorted(parties_of[result.section])})"
            )
        elif principal.parties and not principal.parties & set(result.sampling_parties):
            problems.append(f"{where}: sampling_parties: none of them is your party ({sorted(principal.parties)})")
    return problems


def _conflicts(connection: Connection, results: Sequence[MonitoringResult]) -> tuple[list[str], set[int]]:
    """Results contradicting a stored one or an automatic reading; and the positions of exact repeats."""
    keys = [(r.section, r.indicator, r.date) for r in results]
    stored = {
        (row.station, row.parameter, row.sampled_on): row
        for row in connection.execute(
            select(monitoring_results, monitoring_uploads.c.uploaded_by, monitoring_uploads.c.uploaded_at)
            .join(monitoring_uploads, monitoring_uploads.c.id == monitoring_results.c.upload_id)
            .where(
                tuple_(
                    monitoring_results.c.station, monitoring_results.c.parameter, monitoring_results.c.sampled_on
                ).in_(keys),
                ~monitoring_results.c.withdrawn,
            )
        )
    }
    times = [(r.section, r.indicator, r.sampled_at) for r in results]
    occupied = {
        (row.station, row.parameter, row.time): row.source
        for row in connection.execute(
            select(readings.c.station, readings.c.parameter, readings.c.time, readings.c.source).where(
                tuple_(readings.c.station, readings.c.parameter, readings.c.time).in_(times)
            )
        )
    }
    problems, repeats = [], set()
    for number, result in enumerate(results, start=1):
        where = f"result {number} ({result.section} {result.indicator} {result.date})"
        existing = stored.get((result.section, result.indicator, result.date))
        if existing is not None:
            same = (
                existing.value == result.value
                and existing.tier == result.tier
                and existing.time == result.sampled_at
                and sorted(existing.sampling_parties) == sorted(result.sampling_parties)
            )
            if same:
                repeats.add(number)
                continue
            problems.append(
                f"{where}: conflicts with upload #{existing.upload_id} by {existing.uploaded_by} "
                f"({local_date(existing.uploaded_at)}): {existing.tier} {existing.value} at "
                f"{existing.time.astimezone(BEIJING_TIME):%H:%M}, sampled by {'、'.join(existing.sampling_parties)}; "
                "a disputed result is settled by re-analysing the retained sample, then corrected by the bureau"
            )
        elif (source := occupied.get((result.section, result.indicator, result.sampled_at))) is not None:
            problems.append(
                f"{where}: time: a {source} reading exists at {result.sampled_at:%H:%M}; give the sampling time "
                "to the minute from the laboratory report"
            )
    return problems, repeats


def store(
    connection: Connection,
    principal: Principal,
    results: Sequence[MonitoringResult],
    agreements: Iterable[Agreement],
    *,
    filename: str | None,
    content: bytes,
) -> Stored:
    """Validate against the registry, the agreements and what is stored; store all or refuse all."""
    repository.lock_monitoring(connection)
    problems = _checked(connection, principal, results, agreements)
    conflicts, repeats = _conflicts(connection, results)
    if problems or conflicts:
        raise UploadRefused(problems + conflicts)
    new = [r for number, r in enumerate(results, start=1) if number not in repeats]
    if not new:
        return Stored(None, 0, len(repeats))
    upload_id = int(
        connection.execute(
            insert(monitoring_uploads)
            .values(
                uploaded_by=principal.name,
                filename=filename,
                sha256=hashlib.sha256(content).hexdigest(),
                results=len(new),
            )
            .returning(monitoring_uploads.c.id)
        ).scalar_one()
    )
    connection.execute(
        insert(monitoring_results),
        [
            {
                "station": r.section,
                "parameter": r.indicator,
                "sampled_on": r.date,
                "time": r.sampled_at,
                "tier": r.tier,
                "value": r.value,
                "sampling_parties": sorted(r.sampling_parties),
                "laboratory": r.laboratory,
                "report_no": r.report_no,
                "upload_id": upload_id,
            }
            for r in new
        ],
    )
    connection.execute(
        insert(readings),
        [
            {
                "time": r.sampled_at,
                "station": r.section,
                "parameter": r.indicator,
                "value": float(r.value),
                "flag": "N",
                "source": r.tier,
            }
            for r in new
        ],
    )
    queue_days(connection, {(r.section, r.date) for r in new})
    repository.record_audit(
        connection,
        principal.name,
        "monitoring.upload",
        f"upload:{upload_id}",
        {"results": len(new), "unchanged": len(repeats), "filename": filename, "tiers": sorted({r.tier for r in new})},
    )
    return Stored(upload_id, len(new), len(repeats))


def queue_days(connection: Connection, days: Iterable[tuple[str, date]]) -> None:
    """Queue the stations' Beijing-time days for the KPIs' recompute: their readings changed."""
    queued = upsert(recompute_queue).values([{"station": s, "day": d, "readings": 1} for s, d in sorted(days)])
    connection.execute(
        queued.on_conflict_do_update(
            index_elements=[recompute_queue.c.station, recompute_queue.c.day],
            set_={
                "modified_at": func.greatest(func.clock_timestamp(), recompute_queue.c.modified_at),
                "readings": recompute_queue.c.readings + 1,
            },
        )
    )


def stored_results(
    connection: Connection, sections: Iterable[str], year: int | None, limit: int, *, include_withdrawn: bool = False
) -> list[dict[str, Any]]:
    query = (
        select(monitoring_results, monitoring_uploads.c.uploaded_by, monitoring_uploads.c.uploaded_at)
        .join(monitoring_uploads, monitoring_uploads.c.id == monitoring_results.c.upload_id)
        .where(monitoring_results.c.station.in_(list(sections)))
        .order_by(monitoring_results.c.sampled_on.desc(), monitoring_results.c.station, monitoring_results.c.parameter)
        .limit(limit)
    )
    if not include_withdrawn:
        query = query.where(~monitoring_results.c.withdrawn)
    if year is not None:
        query = query.where(
            and_(
                monitoring_results.c.sampled_on >= date(year, 1, 1),
                monitoring_results.c.sampled_on <= date(year, 12, 31),
            )
        )
    return [dict(row) for row in connection.execute(query).mappings()]


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    return ("\ufeff" + buffer.getvalue()).encode()
