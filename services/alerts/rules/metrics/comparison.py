"""Boundary sections: where two sources at one section disagree beyond the indicator's tolerance (比对).

One observation per section and month that has a comparison with a verdict: the number of indicator
and source pairs that disagree, a description naming each indicator with both sources' paired means,
and the parties concerned as a label (``parties``: behind the sources and of the agreements on the section),
so Alertmanager can notify both sides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import Connection, RowMapping, text

from services.alerts.figures.comparison import IN_ORDER, NAMED_COMPARISONS
from services.alerts.rules.metrics import wording
from services.alerts.rules.metrics.model import Metric, MetricContext, Observation
from services.alerts.rules.windows import PeriodKind
from services.standards.reporting import PrecisionTable

TIER_NAMES = {"joint-manual": "联合监测", "manual": "手工监测"}

_COMPARISONS = f"{NAMED_COMPARISONS} where period = any(:periods) and agrees is not null {IN_ORDER}"


def source_name(party: str | None, station: str, tier: str) -> str:
    """``萧山区自动站`` for an automatic station, ``联合监测`` / ``手工监测`` for laboratory results."""
    return TIER_NAMES.get(tier, f"{party or station}自动站")


def disagreement(table: PrecisionTable, row: RowMapping) -> str:
    """``NH3-N 柯桥区自动站 0.82 mg/L，萧山区自动站 0.55 mg/L (相对偏差 39.3 %，允许 ±20 %)``."""
    lake = row["waterbody"] == "lake"
    first, second = (
        f"{source_name(row[f'{side}_party_name'], row[f'{side}_station'], row[f'{side}_tier'])} "
        f"{wording.figure(table, row['parameter'], row[f'{side}_mean'], lake=lake)}"
        for side in ("first", "second")
    )
    deviation = row["relative_deviation"]
    shown = "" if deviation is None else f"相对偏差 {wording.percent(table, deviation)}，"
    return f"{wording.symbol(row['parameter'])} {first}，{second} ({shown}允许 {row['tolerance']})"


def comparison_disagreements(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    periods = {p.key: p for p in context.periods(PeriodKind.MONTH)}
    rows = connection.execute(text(_COMPARISONS), {"periods": list(periods)}).mappings()
    by_section: dict[tuple[str, str], list[RowMapping]] = defaultdict(list)
    for row in rows:
        by_section[(row["section"], row["period"])].append(row)
    for (section, key), compared in by_section.items():
        period, last = periods[key], compared[-1]
        failing = [row for row in compared if not row["agrees"]]
        parties = sorted({party for row in compared for party in row["parties"]})
        heading = f"{section} {last['name']} {context.label(period, last['as_of'])}"
        if failing:
            listed = wording.listing([disagreement(context.precision, row) for row in failing])
            description = f"{heading} 双方监测数据比对不一致：{listed}"
        else:
            description = f"{heading} 比对 {len(compared)} 项均在允许偏差内"
        yield Observation(
            subject=section,
            period=key,
            value=Decimal(len(failing)),
            shown=f"{len(failing)} 项不一致",
            target="0 项",
            description=description,
            api_path="/v1/water/comparisons?" + urlencode({"period": key, "section": section}),
            as_of=last["as_of"],
            labels={"parties": ",".join(parties)},
        )


METRICS = (
    Metric(
        "water.comparison_disagreements",
        PeriodKind.MONTH,
        "交界断面双方来源比对超出允许偏差的项目数(本月和上月)",
        comparison_disagreements,
    ),
)
