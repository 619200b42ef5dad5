"""Alert rules as data: loaded from YAML and checked, so a bad rule file fails at start-up with its name."""

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


RULE_KEYS = {"name", "metric", "when", "enter", "exit", "severity", "for_seconds", "summary", "labels"}


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
        )
    except KeyError as missing:
        raise ValueError(f"rule {name}: missing key {missing}") from None


def load_rules(path: Path) -> tuple[Rule, ...]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise ValueError(f"{path}: expected a mapping with a 'rules' list")
    rules = tuple(rule_from_mapping(entry) for entry in document["rules"])
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate rule names {duplicates}")
    return rules
