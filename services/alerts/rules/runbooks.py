"""The runbook page (``/runbooks``): for every rule, what it watches, when it fires and resolves, the period
it looks at, the board that shows it, and what the duty officer does. Each alert's ``runbook_url`` points
at its rule's section. Rendered once from the rule file at start-up (rules do not change while running).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.alerts.rules.definitions import Direction, Rule, RuleBook
from services.alerts.rules.metrics import METRICS
from services.alerts.rules.windows import PeriodKind
from services.standards.reporting import PrecisionTable

TEMPLATES = Path(__file__).parent / "templates"
PERIODS = {
    PeriodKind.YEAR: "本年累计(年初至今)",
    PeriodKind.MONTH: "本月(截至当日，预警)和上月(已公布)",
    PeriodKind.DAY: "昨日(最近一个完整自然日)",
    PeriodKind.CURRENT: "当前状态",
}
SEVERITIES = {"critical": "严重", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class RunbookEntry:
    rule: Rule
    meaning: str
    period: str
    fires: str
    resolves: str
    dashboard: str | None


def _value(rule: Rule, value: Decimal, precision: PrecisionTable) -> str:
    threshold = METRICS[rule.metric].threshold
    return str(value) if threshold is None else threshold(precision, value)


def entry(rule: Rule, precision: PrecisionTable, grafana_url: str) -> RunbookEntry:
    metric = METRICS[rule.metric]
    enter, leave = (_value(rule, v, precision) for v in (rule.enter, rule.exit))
    above = rule.when is Direction.ABOVE
    held = f" 并持续 {int(rule.for_duration.total_seconds() // 60)} 分钟" if rule.for_duration else ""
    dashboard = None
    if rule.dashboard is not None:
        dashboard = f"{grafana_url.rstrip('/')}/d/{rule.dashboard.board}?viewPanel={rule.dashboard.panel}"
    return RunbookEntry(
        rule=rule,
        meaning=metric.meaning,
        period=PERIODS[metric.period_kind],
        fires=f"值 {'>' if above else '<'} {enter}{held} 时触发",
        resolves=f"值 {'≤' if above else '≥'} {leave} 时恢复",
        dashboard=dashboard,
    )


def render(book: RuleBook, precision: PrecisionTable, grafana_url: str) -> str:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    entries = [entry(rule, precision, grafana_url) for rule in book.rules]
    return environment.get_template("runbooks.html").render(
        entries=entries, heavy=book.heavy_pollution, severities=SEVERITIES
    )
