"""How far the default backfill goes: from 1 January of the previous Beijing year, and a year more for the
sections of agreements that compare a period with the year before."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from services.compensation.agreements import load_agreement_files
from services.standards.local_time import day_start
from simulators.cli import simulate_app
from simulators.history import Backfill, comparison_year_sections, default_backfill, previous_year_start
from simulators.stations import load_gateways, only_stations


def test_the_previous_year_is_counted_in_beijing_time() -> None:
    # 00:30 on 1 January 2027 in Shanghai is still 2026 in UTC.
    assert previous_year_start(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == date(2026, 1, 1)
    assert previous_year_start(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == date(2025, 1, 1)


def test_only_the_change_index_agreement_needs_the_year_before() -> None:
    agreements = load_agreement_files()
    assert comparison_year_sections(agreements) == {"HYJ-ZHUJI-FUYANG"}
    backfill = default_backfill(datetime(2026, 12, 3, 6, tzinfo=UTC), agreements)
    assert (backfill.start, backfill.earlier_start) == (day_start(date(2025, 1, 1)), day_start(date(2024, 1, 1)))
    assert Backfill(date(2026, 11, 1)).earlier_stations == frozenset()


def test_the_earlier_year_is_sent_for_those_sections_alone() -> None:
    # The Cao'e gateway serves four sections; only the one asked for is kept.
    kept = only_stations(load_gateways(), {"CEJ-SANJIE", "HYJ-ZHUJI-FUYANG"})
    assert {(g.id, tuple(s.code for s in g.stations)) for g in kept} == {
        ("gw-cej", ("CEJ-SANJIE",)),
        ("gw-hyj", ("HYJ-ZHUJI-FUYANG",)),
    }


@pytest.mark.parametrize("since", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_a_since_out_of_range_is_refused_before_anything_is_sent(since: str) -> None:
    args = ["--station", "gw-hyj", "backfill", "--since", since]
    result = CliRunner().invoke(simulate_app, args, env={"COLUMNS": "200"})  # one line, however long
    assert result.exit_code == 2
    assert "must be from 2000-01-01 and before today" in result.output
