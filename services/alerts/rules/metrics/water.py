"""Water metrics: the Class Ⅰ–Ⅲ share and the sections that pull it down, sections against their target
class (year to date, per month, and the months of the year that missed it), ecological flow."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, RowMapping, text

from services.alerts.rules.metrics import wording
from services.alerts.rules.metrics.model import Metric, MetricContext, Observation
from services.alerts.rules.windows import PeriodKind, RulePeriod
from services.standards import water
from services.standards.reporting import PrecisionTable, plain, round_exact

GOOD_CLASS = 3  # Class Ⅲ or better counts towards the share
CAUSE_ITEMS = 3  # at most this many determining items are named per section
MAX_EXTRA_PLACES = 4  # digits beyond reporting precision an alert shows to make an item's class visible

_SECTION_PERIODS = """
    select p.section, s.name, p.period, p.as_of, p.water_class, p.target_class, p.determining_items, p.means,
           s.waterbody, s.control_level
    from water_period p join stations s on s.code = p.section
"""


def _classes(connection: Connection, where: str, params: Mapping[str, Any]) -> list[RowMapping]:
    return list(connection.execute(text(_SECTION_PERIODS + where), dict(params)).mappings())


def _determining_item(basis: water.Basis, code: str, mean: Decimal, waterbody: water.Waterbody) -> str:
    """``TP 0.21 mg/L`` at reporting precision. Where that rounding hides the class the item has on the exact
    class basis (GB/T 8170's 全数值比较法: TP 0.2004 is Class Ⅳ but prints 0.20), also the digits that show it:
    ``TP 0.20 mg/L [全数值 0.2004]``. On the published basis the printed figure always shows its class."""
    lake = waterbody == "lake"
    table = basis.precision
    published = wording.concentration(table, code, mean, lake=lake)
    precision = table.of_concentration(code, lake=lake)
    decided = water.item_class(code, mean, waterbody, basis=basis)
    for places in range(precision.places, precision.places + MAX_EXTRA_PLACES + 1):
        shown = round_exact(mean, replace(precision, places=places))
        if water.item_class(code, shown, waterbody, basis=water.EXACT_BASIS) == decided:
            return published if places == precision.places else f"{published} [全数值 {plain(shown)}]"
    return f"{published} [全数值劣于{wording.water_class(decided - 1)}限值]"


def section_cause(basis: water.Basis, row: Mapping[Any, Any]) -> str:
    """``Ⅳ类 (TP 0.21 mg/L)``: a section's class and the items that decide it, with their period means."""
    waterbody: water.Waterbody = "lake" if row["waterbody"] == "lake" else "river"
    items = [
        _determining_item(basis, code, Decimal(row["means"][code]), waterbody)
        for code in row["determining_items"][:CAUSE_ITEMS]
        if code in row["means"]
    ]
    cause = wording.water_class(row["water_class"])
    return f"{cause} ({wording.listing(items)})" if items else cause


def _named(row: RowMapping) -> str:
    return f"{row['section']} {row['name']}"


def _classes_path(period: str, section: str | None = None) -> str:
    query = {"period": period} | ({"section": section} if section else {})
    return "/v1/water/classes?" + urlencode(query)


def _percent_threshold(table: PrecisionTable, value: Decimal) -> str:
    return wording.percent(table, value)


def _city_share(
    context: MetricContext,
    period: RulePeriod,
    row: RowMapping,
    counts: str,
    causes: tuple[str, list[str]],
    extra: Mapping[str, str] | None = None,
) -> Observation:
    """A city share of the year to date: its counts, and what keeps it below target (heading: items)."""
    shown = wording.percent(context.precision, row["share"])
    heading, items = causes
    description = f"{context.label(period, row['as_of'])} {counts} ({shown})"
    return Observation(
        subject=context.city,
        period=period.key,
        value=row["share"],
        shown=shown,
        description=f"{description}；{heading}：{wording.listing(items)}" if items else description,
        api_path="/v1/kpi/water?" + urlencode({"period": period.key}),
        as_of=row["as_of"],
        extra=extra or {},
    )


def class_i_iii_share(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period = context.period(PeriodKind.YEAR)
    share = (
        connection.execute(
            text(
                "select as_of, sections, sections_i_iii, share from water_share where period = :p and share is not null"
            ),
            {"p": period.key},
        )
        .mappings()
        .one_or_none()
    )
    if share is None:
        return
    failing = _classes(
        connection,
        "where p.period = :p and s.control_level = any(:levels) and p.water_class > :good "
        "order by p.water_class desc, p.section",
        {"p": period.key, "levels": list(context.share_control_levels), "good": GOOD_CLASS},
    )
    yield _city_share(
        context,
        period,
        share,
        f"考核断面 {share['sections']} 个，Ⅰ–Ⅲ类 {share['sections_i_iii']} 个",
        ("未达Ⅲ类", [f"{_named(row)} {section_cause(context.class_basis, row)}" for row in failing]),
        extra={"sections": ",".join(row["section"] for row in failing)},
    )


def _over_target(context: MetricContext, period: RulePeriod, row: RowMapping) -> Observation:
    counted = row["control_level"] in context.share_control_levels and row["water_class"] > GOOD_CLASS
    note = "；计入Ⅰ–Ⅲ类断面比例考核" if counted else ""
    return Observation(
        subject=row["section"],
        period=period.key,
        value=Decimal(row["water_class"] - row["target_class"]),
        shown=wording.water_class(row["water_class"]),
        target=wording.water_class(row["target_class"]),
        description=(
            f"{_named(row)} {context.label(period, row['as_of'])} {section_cause(context.class_basis, row)}，"
            f"目标 {wording.water_class(row['target_class'])}{note}"
        ),
        api_path=_classes_path(period.key, row["section"]),
        as_of=row["as_of"],
    )


def _sections_over_target(
    connection: Connection, context: MetricContext, periods: Sequence[RulePeriod]
) -> Iterator[Observation]:
    by_key = {p.key: p for p in periods}
    rows = _classes(
        connection, "where p.period = any(:periods) and p.target_class is not null", {"periods": list(by_key)}
    )
    for row in rows:
        yield _over_target(context, by_key[row["period"]], row)


def sections_over_target_ytd(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    return _sections_over_target(connection, context, context.periods(PeriodKind.YEAR))


def sections_over_target_month(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    return _sections_over_target(connection, context, context.periods(PeriodKind.MONTH))


def months_over_target(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    """Per section, the complete months of the year whose class is worse than its target (月度达标情况).

    The running month is not a month's assessment yet: it is named with its class so far but not counted
    (its own alert is ``section_worse_than_target_month``); a section with no complete month is not judged."""
    period = context.period(PeriodKind.YEAR)
    running = next(p for p in context.periods(PeriodKind.MONTH) if p.first_day == context.today.replace(day=1))
    rows = _classes(
        connection,
        "where p.period like :months and p.target_class is not null order by p.section, p.period",
        {"months": f"{period.key}-%"},
    )
    by_section: dict[str, list[RowMapping]] = defaultdict(list)
    for row in rows:
        by_section[row["section"]].append(row)
    table = context.precision
    for section, rows_of_section in by_section.items():
        months = [m for m in rows_of_section if m["period"] != running.key]
        if not months:
            continue
        missed = [m for m in months if m["water_class"] > m["target_class"]]
        last = rows_of_section[-1]
        target = wording.water_class(last["target_class"])
        listed = [f"{int(m['period'][5:])}月 {section_cause(context.class_basis, m)}" for m in missed]
        attained = Decimal(len(months) - len(missed)) / len(months)
        so_far = [
            f"；{context.label(running, m['as_of'])} {section_cause(context.class_basis, m)}，未满月不计入"
            for m in rows_of_section
            if m["period"] == running.key
        ]
        summary = (
            f"{_named(last)} {period.key}年 {len(months)} 个完整月中 {len(missed)} 个月劣于目标 {target}"
            f"{'：' + wording.listing(listed) if listed else ''}；月度达标率 {wording.percent(table, attained)}"
            f"{''.join(so_far)}"
        )
        yield Observation(
            subject=section,
            period=period.key,
            value=Decimal(len(missed)),
            shown=f"{len(missed)} 个月",
            target="0 个月",
            description=summary,
            api_path=_classes_path(period.key, section),
            as_of=last["as_of"],
        )


def eco_flow_share(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period = context.period(PeriodKind.YEAR)
    city = (
        connection.execute(
            text(
                "select as_of, days_with_data, days_attained, share from eco_flow_period "
                "where period = :p and subject = :city and share is not null"
            ),
            {"p": period.key, "city": context.city},
        )
        .mappings()
        .one_or_none()
    )
    if city is None:
        return
    short = connection.execute(
        text(
            "select e.subject, s.name, e.days_with_data - e.days_attained as missed from eco_flow_period e "
            "join stations s on s.code = e.subject where e.period = :p and e.days_attained < e.days_with_data "
            "order by missed desc, e.subject"
        ),
        {"p": period.key},
    ).mappings()
    yield _city_share(
        context,
        period,
        city,
        f"生态流量满足 {city['days_attained']}/{city['days_with_data']} 断面日",
        ("未满足天数", [f"{row['subject']} {row['name']} {wording.days(row['missed'])}" for row in short]),
    )


def eco_flow_ratio(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    period = context.period(PeriodKind.DAY)
    rows = connection.execute(
        text(
            "select d.section, s.name, d.mean_flow, d.eco_flow_min from eco_flow_daily d "
            "join stations s on s.code = d.section where d.day = :day and d.eco_flow_min > 0"
        ),
        {"day": period.first_day},
    ).mappings()
    table = context.precision
    for row in rows:
        flow, minimum = (wording.figure(table, "flow", row[c]) for c in ("mean_flow", "eco_flow_min"))
        yield Observation(
            subject=row["section"],
            period=period.key,
            value=row["mean_flow"] / row["eco_flow_min"],
            shown=flow,
            target=f"≥ {minimum}",
            description=f"{_named(row)} {context.label(period)} 日均流量 {flow}，生态流量 {minimum}",
            api_path="/v1/kpi/water?" + urlencode({"period": period.key[:7]}),
        )


METRICS = (
    Metric(
        "water.class_i_iii_share_ytd",
        PeriodKind.YEAR,
        "年累计Ⅰ–Ⅲ类断面比例(省控及以上)",
        class_i_iii_share,
        _percent_threshold,
    ),
    # Each section observation brings its own target (its target class, its minimum flow).
    Metric(
        "water.sections_over_target_ytd",
        PeriodKind.YEAR,
        "断面年累计类别与目标类别之差(级)",
        sections_over_target_ytd,
    ),
    Metric(
        "water.sections_over_target_month",
        PeriodKind.MONTH,
        "断面月度类别与目标类别之差(级；本月和上月)",
        sections_over_target_month,
    ),
    Metric(
        "water.months_over_target",
        PeriodKind.YEAR,
        "断面今年劣于目标类别的月数",
        months_over_target,
    ),
    Metric(
        "eco_flow.share_ytd",
        PeriodKind.YEAR,
        "年累计生态流量满足程度(断面日)",
        eco_flow_share,
        _percent_threshold,
    ),
    Metric(
        "eco_flow.ratio_latest",
        PeriodKind.DAY,
        "断面昨日日均流量与生态流量之比",
        eco_flow_ratio,
    ),
)
