"""Alert rules as data: loaded from YAML and checked, so a bad rule file fails at start-up with its name.

A rule file holds the ``rules`` and the province's heavy-pollution scheme (``heavy_pollution``): the
AQI that makes a day or an hour heavily polluted, the window of the observed-episode alert, and the
forecast warning levels (docs/alerts.md, "Heavy-pollution episodes").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from services.standards.numbers import to_decimal


class Direction(StrEnum):
    ABOVE = "above"  # enter when value > enter, leave when value ≤ exit (exit ≤ enter)
    BELOW = "below"  # enter when value < enter, leave when value ≥ exit (exit ≥ enter)


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Evidence:
    """The Grafana panel that shows why a rule fires (CONTRACTS.md, "Grafana links")."""

    board: str
    panel: int


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    when: Direction
    enter: Decimal
    exit: Decimal
    severity: Severity
    for_duration: timedelta = timedelta(0)
    summary: str = ""
    labels: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    dashboard: Evidence | None = None
    runbook: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        widening = self.exit <= self.enter if self.when is Direction.ABOVE else self.exit >= self.enter
        if not widening:
            raise ValueError(
                f"rule {self.name}: exit {self.exit} must not be past enter {self.enter} "
                f"for a rule that fires {self.when.value} its threshold"
            )

    def entered(self, value: Decimal) -> bool:
        return value > self.enter if self.when is Direction.ABOVE else value < self.enter

    def exited(self, value: Decimal) -> bool:
        return value <= self.exit if self.when is Direction.ABOVE else value >= self.exit


@dataclass(frozen=True, slots=True)
class WarningCondition:
    """At least ``days`` forecast days of one episode with a daily AQI above ``aqi_above``."""

    aqi_above: int
    days: int


@dataclass(frozen=True, slots=True)
class WarningLevel:
    """A forecast warning level (1 = the lowest); it applies when all its conditions hold."""

    level: int
    name: str
    conditions: tuple[WarningCondition, ...]


@dataclass(frozen=True, slots=True)
class HeavyPollution:
    """重污染天气: the AQI above which an hour or a day counts, and the forecast warning levels."""

    aqi_above: int = 200
    window_hours: int = 24
    forecast_levels: tuple[WarningLevel, ...] = ()

    def level_of(self, forecast: list[int]) -> WarningLevel | None:
        """The highest level whose conditions all hold within one episode of consecutive forecast days
        with AQI above ``aqi_above`` (``forecast``: daily AQIs of consecutive days)."""
        episodes: list[list[int]] = [[]]
        for value in forecast:
            if value > self.aqi_above:
                episodes[-1].append(value)
            elif episodes[-1]:
                episodes.append([])
        met = [
            level
            for level in self.forecast_levels
            for episode in episodes
            if all(sum(v > c.aqi_above for v in episode) >= c.days for c in level.conditions)
        ]
        return max(met, key=lambda level: level.level, default=None)


# The defaults of HJ 633's 重度污染 (AQI > 200) for 24 hours, with no forecast levels.
DEFAULT_HEAVY_POLLUTION = HeavyPollution()


@dataclass(frozen=True)
class RuleBook:
    rules: tuple[Rule, ...]
    heavy_pollution: HeavyPollution = DEFAULT_HEAVY_POLLUTION


RULE_KEYS = {
    "name",
    "metric",
    "when",
    "enter",
    "exit",
    "severity",
    "for_seconds",
    "summary",
    "labels",
    "dashboard",
    "runbook",
}


def _evidence(name: str, entry: Any) -> Evidence | None:
    if entry is None:
        return None
    if not isinstance(entry, dict) or set(entry) != {"board", "panel"}:
        raise ValueError(f"rule {name}: dashboard must be a mapping {{board: <uid>, panel: <id>}}")
    if not isinstance(entry["panel"], int) or isinstance(entry["panel"], bool) or entry["panel"] < 1:
        raise ValueError(f"rule {name}: dashboard panel must be a positive integer, not {entry['panel']!r}")
    return Evidence(str(entry["board"]), entry["panel"])


def _runbook(name: str, entry: Any) -> tuple[str, ...]:
    if entry is None:
        return ()
    if not isinstance(entry, list) or not all(isinstance(step, str) for step in entry):
        raise ValueError(f"rule {name}: runbook must be a list of steps (text)")
    return tuple(entry)


def rule_from_mapping(entry: dict[str, Any]) -> Rule:
    name = entry.get("name", "<unnamed>")
    unknown = set(entry) - RULE_KEYS
    if unknown:
        raise ValueError(f"rule {name}: unknown keys {sorted(unknown)}")
    try:
        enter = to_decimal(entry["enter"])
        return Rule(
            name=str(entry["name"]),
            metric=str(entry["metric"]),
            when=Direction(entry["when"]),
            enter=enter,
            exit=to_decimal(entry.get("exit", enter)),
            severity=Severity(entry["severity"]),
            for_duration=timedelta(seconds=float(entry.get("for_seconds", 0))),
            summary=str(entry.get("summary", "")),
            labels=MappingProxyType({str(k): str(v) for k, v in (entry.get("labels") or {}).items()}),
            dashboard=_evidence(str(name), entry.get("dashboard")),
            runbook=_runbook(str(name), entry.get("runbook")),
        )
    except KeyError as missing:
        raise ValueError(f"rule {name}: missing key {missing}") from None


def _positive(where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{where} must be a positive integer, not {value!r}")
    return value


def heavy_pollution_from_mapping(entry: Any) -> HeavyPollution:
    if entry is None:
        return DEFAULT_HEAVY_POLLUTION
    if not isinstance(entry, dict) or set(entry) - {"aqi_above", "window_hours", "forecast_levels"}:
        raise ValueError("heavy_pollution takes aqi_above, window_hours and forecast_levels")
    levels = []
    for index, level in enumerate(entry.get("forecast_levels") or []):
        where = f"heavy_pollution.forecast_levels[{index}]"
        if not isinstance(level, dict) or set(level) != {"level", "name", "conditions"}:
            raise ValueError(f"{where} needs exactly level, name and conditions")
        conditions = level["conditions"]
        if not isinstance(conditions, list) or not conditions:
            raise ValueError(f"{where}.conditions must be a non-empty list")
        parsed = []
        for condition in conditions:
            if not isinstance(condition, dict) or set(condition) != {"aqi_above", "days"}:
                raise ValueError(f"{where}: each condition is {{aqi_above: <AQI>, days: <n>}}")
            aqi_above = _positive(f"{where} aqi_above", condition["aqi_above"])
            parsed.append(WarningCondition(aqi_above, _positive(f"{where} days", condition["days"])))
        levels.append(WarningLevel(_positive(f"{where}.level", level["level"]), str(level["name"]), tuple(parsed)))
    heavy = HeavyPollution(
        aqi_above=_positive("heavy_pollution.aqi_above", entry.get("aqi_above", 200)),
        window_hours=_positive("heavy_pollution.window_hours", entry.get("window_hours", 24)),
        forecast_levels=tuple(levels),
    )
    low = [c.aqi_above for level in levels for c in level.conditions if c.aqi_above < heavy.aqi_above]
    if low:
        raise ValueError(f"heavy_pollution: a forecast condition's aqi_above {low[0]} is below {heavy.aqi_above}")
    return heavy


def load_rules(path: Path) -> RuleBook:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise ValueError(f"{path}: expected a mapping with a 'rules' list")
    unknown = set(document) - {"rules", "heavy_pollution"}
    if unknown:
        raise ValueError(f"{path}: unknown top-level keys {sorted(unknown)}")
    rules = tuple(rule_from_mapping(entry) for entry in document["rules"])
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate rule names {duplicates}")
    return RuleBook(rules, heavy_pollution_from_mapping(document.get("heavy_pollution")))
