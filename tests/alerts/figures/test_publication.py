"""Publishing figures computed in SQL: a published figure that changes keeps its previous values as a revision,
an unchanged one is not rewritten, a provisional one changes freely."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from services.alerts.figures.publication import publish_select
from services.alerts.tables import air_hourly

pytestmark = pytest.mark.integration

HOUR = datetime(2026, 6, 10, 1, tzinfo=UTC)
PUBLISHED = datetime(2026, 6, 10, 3, tzinfo=UTC)
# The columns of air_hourly in publish_select's order: key, values, published_at.
SELECT = (
    "select cast(:subject as varchar), cast(:hour as timestamptz), cast(:pm25 as numeric), null::numeric, "
    "null::numeric, null::numeric, null::numeric, null::numeric, cast(:aqi as integer), cast(:category as text), "
    "'{}'::text[], 'HJ 633—2026', cast(:published_at as timestamptz)"
)


def _publish(connection: Connection, subject: str, aqi: int, published_at: datetime | None) -> int:
    params: dict[str, Any] = {
        "subject": subject,
        "hour": HOUR,
        "pm25": aqi,
        "aqi": aqi,
        "category": "优",
        "published_at": published_at,
    }
    return publish_select(connection, air_hourly, SELECT, params)


def _stored(connection: Connection, subject: str) -> tuple[Any, ...]:
    row = connection.execute(
        text("select aqi, revision, revised_at is not null, published_at from air_hourly where subject = :s"),
        {"s": subject},
    ).one()
    return tuple(row)


def _revisions(connection: Connection, subject: str) -> list[tuple[Any, ...]]:
    rows = connection.execute(
        text(
            "select previous ->> 'aqi', current ->> 'aqi', revision from figure_revisions "
            "where table_name = 'air_hourly' and key ->> 'subject' = :s order by revision"
        ),
        {"s": subject},
    )
    return [tuple(row) for row in rows]


def test_a_published_figure_that_changes_keeps_its_previous_values(alerts_db: Engine) -> None:
    with alerts_db.connect() as connection:  # rolled back
        assert _publish(connection, "AIR-TEST", 40, PUBLISHED) == 1
        assert _publish(connection, "AIR-TEST", 40, PUBLISHED) == 0  # unchanged: not rewritten
        assert _publish(connection, "AIR-TEST", 45, PUBLISHED) == 1
        assert _stored(connection, "AIR-TEST") == (45, 1, True, PUBLISHED)
        assert _revisions(connection, "AIR-TEST") == [("40", "45", 1)]


def test_a_provisional_figure_changes_without_a_revision_until_it_is_published(alerts_db: Engine) -> None:
    with alerts_db.connect() as connection:  # rolled back
        _publish(connection, "AIR-TEST", 40, None)
        _publish(connection, "AIR-TEST", 45, None)
        assert _stored(connection, "AIR-TEST") == (45, 0, False, None)
        assert _publish(connection, "AIR-TEST", 45, PUBLISHED) == 1  # published now, same values
        assert _stored(connection, "AIR-TEST") == (45, 0, False, PUBLISHED)
        assert _revisions(connection, "AIR-TEST") == []
