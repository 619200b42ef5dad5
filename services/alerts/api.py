"""The KPI and alerts HTTP API (FastAPI; OpenAPI at /docs). Reads only the computed tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import Engine, text

from services.alerts.coverage import comparisons, without_comparison_columns
from services.alerts.queries import (
    MAX_ALERTS,
    AlertFilter,
    ColumnEquals,
    DayRange,
    PeriodQuery,
    QueryError,
    YearQuery,
    fetch,
)
from services.alerts.rules.store import acknowledge

PUBLICATION = "published_at, revision, revised_at"


class Acknowledgement(BaseModel):
    by: str = Field(min_length=1, max_length=200, description="Who acknowledges")
    comment: str | None = Field(default=None, max_length=2000)


def create_app(engine: Engine, *, city: str, metrics_registry: CollectorRegistry) -> FastAPI:
    """The API over the computed tables; /metrics serves ``metrics_registry`` (the service's own)."""
    app = FastAPI(
        title="envmon alerts",
        version="1",
        description="KPIs against the plan's targets, daily AQI and water classes, alert states.",
    )

    @app.exception_handler(QueryError)
    def query_error(_: Request, error: QueryError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"detail": [{"loc": ["query", error.parameter], "msg": str(error), "type": "value_error"}]},
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        return {"status": "ok"}

    @app.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(metrics_registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/kpi/water")
    def kpi_water(
        period: Annotated[str, Query(description="2026-10 (month) or 2026 (year to date)")],
    ) -> dict[str, Any]:
        """Class Ⅰ–Ⅲ share of national and provincial sections, section classes and ecological flow."""
        query = PeriodQuery.parse(period)
        with engine.connect() as connection:
            share = fetch(
                connection, f"select as_of, sections, sections_i_iii, share, {PUBLICATION} from water_share", [query]
            )
            sections = fetch(connection, _SECTIONS_SQL, [query], "order by section")
            eco = fetch(
                connection,
                f"select subject, as_of, days_with_data, days_attained, share, {PUBLICATION} from eco_flow_period",
                [query],
                "order by subject",
            )
        return {
            "period": query.period.key,
            "kind": "month" if query.period.month else "ytd",
            "class_i_iii": share[0] if share else None,
            "sections": sections,
            "eco_flow": {
                "city": next((e for e in eco if e["subject"] == city), None),
                "sections": [e for e in eco if e["subject"] != city],
            },
        }

    @app.get("/v1/kpi/air")
    def kpi_air(
        year: Annotated[int, Query(description="Calendar year")],
        subject: Annotated[str | None, Query(description="Station code; default the city")] = None,
    ) -> dict[str, Any]:
        """Good days, valid days, share, bad-day budget and projection; PM2.5 mean and O3 MDA8 90th percentile
        year to date against the same days of last year, each with its validity and coverage (expected,
        observed and required days, percent complete, short months); ``change`` only when both are valid."""
        query, who = YearQuery.parse(year), ColumnEquals("subject", subject or city)
        with engine.connect() as connection:
            rows = fetch(connection, "select * from air_year", [query, who])
            windows = fetch(
                connection,
                "select window_name, as_of, first_day, good_days, valid_days, share from air_good_days",
                [who],
                "and extract(year from as_of) = :year",
                {"year": year},
            )
        if not rows:
            raise HTTPException(404, f"no air figures for {who.value} in {year}")
        return {
            **without_comparison_columns(rows[0]),
            **comparisons(rows[0]),
            "windows": {w.pop("window_name"): w for w in windows},
        }

    @app.get("/v1/kpi/waste")
    def kpi_waste(
        period: Annotated[str, Query(description="2026-10 (month) or 2026 (year to date)")],
    ) -> dict[str, Any]:
        """Tonnes by route, landfill share of household waste and industrial utilisation over the period."""
        parsed = PeriodQuery.parse(period).period
        with engine.connect() as connection:
            rows = fetch(connection, _WASTE_SQL, [DayRange(parsed.first_day, parsed.last_day)])
        return {"period": parsed.key, **rows[0]}

    @app.get("/v1/air/daily")
    def air_daily_series(
        subject: Annotated[str | None, Query(description="Station code; default the city")] = None,
        start: Annotated[date | None, Query(alias="from", description="First local day")] = None,
        end: Annotated[date | None, Query(alias="to", description="Last local day")] = None,
    ) -> list[dict[str, Any]]:
        """Daily AQI, category, primary pollutants and concentrations, with revision marks."""
        today = datetime.now(UTC).date()
        days = DayRange.parse(start or today.replace(day=1), end or today)
        with engine.connect() as connection:
            return fetch(
                connection, "select * from air_daily", [ColumnEquals("subject", subject or city), days], "order by day"
            )

    @app.get("/v1/water/classes")
    def water_classes(
        period: Annotated[str, Query(description="2026-10 or 2026")],
        section: Annotated[str | None, Query(description="Section code")] = None,
    ) -> list[dict[str, Any]]:
        """Each section's class, main pollutants and period means."""
        with engine.connect() as connection:
            return fetch(
                connection,
                _SECTIONS_SQL,
                [PeriodQuery.parse(period), ColumnEquals("section", section)],
                "order by section",
            )

    @app.get("/v1/alerts")
    def alerts_list(
        state: str | None = None,
        severity: str | None = None,
        rule: str | None = None,
        subject: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ALERTS)] = 100,
    ) -> list[dict[str, Any]]:
        """Alert states, newest first, filtered by state, severity, rule and subject."""
        query = AlertFilter.parse(state, severity, rule, subject)
        with engine.connect() as connection:
            return fetch(
                connection,
                "select * from alert_states",
                [query],
                "order by updated_at desc limit :limit",
                {"limit": limit},
            )

    @app.get("/v1/alerts/{fingerprint}")
    def alert_detail(fingerprint: str) -> dict[str, Any]:
        """One alert state with its full history."""
        key = ColumnEquals("fingerprint", fingerprint)
        with engine.connect() as connection:
            rows = fetch(connection, "select * from alert_states", [key])
            history = fetch(
                connection,
                "select at, event, from_state, to_state, value, actor, comment from alert_history",
                [key],
                "order by id",
            )
        if not rows:
            raise HTTPException(404, f"no alert {fingerprint}")
        return {**rows[0], "history": history}

    @app.post("/v1/alerts/{fingerprint}/acknowledge")
    def alert_acknowledge(fingerprint: str, body: Acknowledgement) -> dict[str, Any]:
        """Acknowledge an alert: who, when and a comment go into its state and history."""
        with engine.begin() as connection:
            if not acknowledge(connection, fingerprint, body.by, body.comment, datetime.now(UTC)):
                raise HTTPException(404, f"no alert {fingerprint}")
        return alert_detail(fingerprint)

    return app


_SECTIONS_SQL = f"""
    select section, stations.name, stations.control_level, as_of, days, water_class, label, water_period.target_class,
           meets_target, main_pollutants, determining_items, means, {PUBLICATION}
    from water_period join stations on stations.code = water_period.section
"""

_WASTE_SQL = """
    select count(*) as days, sum(incinerated) as incinerated, sum(food_waste) as food_waste,
           sum(recycled) as recycled, sum(landfilled) as landfilled, sum(household_total) as household_total,
           sum(landfilled) / nullif(sum(household_total), 0) as landfill_share,
           sum(industrial_generated) as industrial_generated, sum(industrial_utilized) as industrial_utilized,
           sum(industrial_utilized) / nullif(sum(industrial_generated), 0) as utilization_rate,
           max(revision) as max_revision
    from waste_daily
"""
