"""Rule files: the built-in rules load, cover every target, and bad files fail with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.alerts.rules.definitions import load_rules
from services.alerts.rules.values import check_metric_names
from services.alerts.settings import BUILT_IN_RULES


def test_built_in_rules_load_and_use_known_metrics() -> None:
    rules = load_rules(BUILT_IN_RULES)
    check_metric_names(rule.metric for rule in rules)
    targets = {rule.labels["target"] for rule in rules if "target" in rule.labels}
    assert targets == {
        "class_i_iii_share_100",
        "good_days_90",
        "eco_flow_95",
        "pm25_falling",
        "o3_falling",
        "zero_landfill",
    }
    names = {rule.name for rule in rules}
    assert {
        "daily_aqi_above_100",
        "daily_aqi_above_200",
        "bad_day_budget_low",
        "section_worse_than_target",
        "eco_flow_below_minimum",
        "any_landfill",
        "station_silent",
        "low_completeness",
        "hj212_flag_t_or_d",
    } <= names


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("rules: [{name: x, metric: m, when: above, enter: 1, severity: loud}]", "'loud' is not a valid Severity"),
        ("rules: [{name: x, metric: m, when: above, severity: info}]", "rule x: missing key 'enter'"),
        ("rules: [{name: x, metric: m, when: above, enter: 1, severity: info, colour: red}]", "unknown keys"),
        ("rules: {}", "expected a mapping with a 'rules' list"),
        (
            "rules: [{name: x, metric: m, when: below, enter: 1, severity: info},"
            " {name: x, metric: m, when: below, enter: 1, severity: info}]",
            "duplicate rule names",
        ),
    ],
)
def test_bad_rule_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(body)
    with pytest.raises(ValueError, match=message):
        load_rules(path)


def test_unknown_metrics_are_named() -> None:
    with pytest.raises(ValueError, match=r"unknown metrics \['air.nonsense'\]"):
        check_metric_names(["air.nonsense"])
