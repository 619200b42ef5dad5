"""Rule files: the built-in rules load, cover every target, link their evidence, and bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.alerts.rules.definitions import Rule, load_rules
from services.alerts.rules.metrics import check_metric_names
from services.alerts.settings import BUILT_IN_RULES

BOARDS = {
    "envmon-overview",
    "envmon-air",
    "envmon-water",
    "envmon-waste",
    "envmon-compensation",
    "envmon-operations",
    "envmon-alerts",
    "envmon-boundary",
}
KINDS = {"target", "assessment", "threshold", "episode", "data_quality", "silence", "comparison"}
RULES = load_rules(BUILT_IN_RULES).rules


def test_built_in_rules_load_and_use_known_metrics() -> None:
    check_metric_names(rule.metric for rule in RULES)
    targets = {rule.labels["target"] for rule in RULES if "target" in rule.labels}
    assert targets == {
        "class_i_iii_share_100",
        "good_days_90",
        "eco_flow_95",
        "pm25_falling",
        "o3_falling",
        "zero_landfill",
    }
    assert {
        "daily_aqi_above_100",
        "daily_aqi_above_200",
        "bad_day_budget_low",
        "section_worse_than_target_ytd",
        "section_worse_than_target_month",
        "section_months_worse_than_target",
        "eco_flow_below_minimum",
        "any_landfill",
        "station_silent",
        "low_completeness",
        "hj212_flag_t_or_d",
    } <= {rule.name for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_names_its_evidence_route_and_runbook(rule: Rule) -> None:
    assert rule.dashboard is not None and rule.dashboard.board in BOARDS
    assert rule.labels["kind"] in KINDS and rule.labels["domain"] in {"air", "water", "waste", "data"}
    assert rule.runbook and rule.summary


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("rules: [{name: x, metric: m, when: above, enter: 1, severity: loud}]", "'loud' is not a valid Severity"),
        ("rules: [{name: x, metric: m, when: above, severity: info}]", "rule x: missing key 'enter'"),
        ("rules: [{name: x, metric: m, when: above, enter: 1, severity: info, colour: red}]", "unknown keys"),
        ("rules: {}", "expected a mapping with a 'rules' list"),
        ("rules: []\nextra: 1", r"unknown top-level keys \['extra'\]"),
        (
            "rules: [{name: x, metric: m, when: below, enter: 1, severity: info},"
            " {name: x, metric: m, when: below, enter: 1, severity: info}]",
            "duplicate rule names",
        ),
        (
            "rules: [{name: x, metric: m, when: above, enter: 1, severity: info, dashboard: {board: b}}]",
            r"rule x: dashboard must be a mapping \{board: <uid>, panel: <id>\}",
        ),
        (
            "rules: [{name: x, metric: m, when: above, enter: 1, severity: info, dashboard: {board: b, panel: 0}}]",
            "rule x: dashboard panel must be a positive integer, not 0",
        ),
        ("rules: [{name: x, metric: m, when: above, enter: 1, severity: info, runbook: do it}]", "list of steps"),
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
