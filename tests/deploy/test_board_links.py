"""Every link into a board lands on something that exists: each alert rule's dashboard_url (rendered by the
alerts service for every kind of period) and every panel and data link of the provisioned boards."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from services.alerts.rules.definitions import Rule, load_rules
from services.alerts.rules.presentation import Links
from services.alerts.rules.windows import PeriodKind, evaluated
from services.alerts.settings import BUILT_IN_RULES
from tests.support.grafana import panels, provisioned_boards

GRAFANA = "https://grafana.bureau.example"
REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 15, 4, tzinfo=UTC)
BOARDS = provisioned_boards()
RULES = load_rules(BUILT_IN_RULES).rules


def _lands(url: str) -> None:
    """``url`` opens a provisioned board, a panel on it and only variables it has."""
    parts = urlsplit(url)
    uid = parts.path.removeprefix("/d/")
    assert uid in BOARDS, f"{url}: no board {uid}"
    query = parse_qs(parts.query)
    if "viewPanel" in query:
        ids = {panel["id"] for panel in panels(BOARDS[uid])}
        assert int(query["viewPanel"][0]) in ids, f"{url}: {uid} has no panel {query['viewPanel'][0]}"
    names = {variable["name"] for variable in BOARDS[uid]["templating"].get("list", [])}
    for key in query:
        if key.startswith("var-"):
            assert key.removeprefix("var-") in names, f"{url}: {uid} has no variable {key}"


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_each_rules_dashboard_url_opens_an_existing_panel(rule: Rule) -> None:
    assert rule.dashboard is not None, f"{rule.name} names no evidence panel"
    links = Links(GRAFANA, "https://alerts.bureau.example")
    for kind in PeriodKind:
        for period in evaluated(kind, date(2026, 3, 15)):
            url = links.dashboard(rule, "CEJ-SANJIE", period, NOW)
            assert url is not None and url.startswith(f"{GRAFANA}/d/")
            _lands(url.removeprefix(GRAFANA))


def _links(panel: dict[str, Any]) -> list[str]:
    """The URLs of a panel's links and of the data links in its field overrides."""
    urls = [link["url"] for link in panel.get("links", [])]
    for override in panel.get("fieldConfig", {}).get("overrides", []):
        for prop in override["properties"]:
            if prop["id"] == "links":
                urls.extend(link["url"] for link in prop["value"])
    return urls


def test_every_board_link_targets_an_existing_board_panel_and_variable() -> None:
    checked = 0
    for model in BOARDS.values():
        for panel in panels(model):
            for url in _links(panel):
                if url.startswith("/d/"):
                    _lands(url.split("&${")[0].split("?${")[0])
                    checked += 1
    assert checked >= 8


def test_the_overview_is_the_home_board_and_each_target_row_links_to_its_domain_board() -> None:
    overview = BOARDS["envmon-overview"]
    assert overview["title"] == "融杭发展生态环境目标"
    rows = [panel for panel in overview["panels"] if panel["type"] == "row"]
    first_panels = {panel["id"]: panel for panel in overview["panels"]}
    for row in rows[:5]:
        targets = {urlsplit(url).path for url in _links(first_panels[row["id"] + 1])}
        assert targets and all(path.startswith("/d/envmon-") for path in targets), row["title"]


def test_the_overview_layout_in_the_docs_names_every_panel() -> None:
    """docs/grafana.md's overview table lists every panel of the board by id."""
    table = (REPO / "docs" / "grafana.md").read_text(encoding="utf-8").split("## The overview")[1].split("\n## ")[0]
    documented = {int(n) for n in re.findall(r"\((\d+)\) \|", table)}
    assert documented == {panel["id"] for panel in panels(BOARDS["envmon-overview"])}
