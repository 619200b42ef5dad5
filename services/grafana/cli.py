"""``envmon grafana build|push``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.grafana.files import DASHBOARD_DIR

grafana_app = typer.Typer(
    help="Grafana boards: regenerate the committed JSON, or push to an existing Grafana.", no_args_is_help=True
)


@grafana_app.command("build")
def build(out: Annotated[Path, typer.Option(help="Folder for the dashboard JSON.")] = DASHBOARD_DIR) -> None:
    """Write deploy/grafana/dashboards/*.json from the services/grafana/boards/ package."""
    from services.grafana.files import write_dashboards

    for path in write_dashboards(out):
        typer.echo(f"wrote {path}")


@grafana_app.command("push")
def push_command(
    url: Annotated[str, typer.Option(help="Grafana base URL, e.g. https://grafana.bureau.example")],
    token: Annotated[str, typer.Option(envvar="ENVMON_GRAFANA_TOKEN", help="Service-account token (Editor).")],
    pg_host: Annotated[str | None, typer.Option(help="Also create the TimescaleDB data source: host:port.")] = None,
    pg_database: Annotated[str, typer.Option()] = "envmon",
    pg_user: Annotated[str, typer.Option()] = "grafana",
    pg_password: Annotated[str, typer.Option(envvar="ENVMON_GRAFANA_PG_PASSWORD")] = "",
    prometheus_url: Annotated[str | None, typer.Option(help="Also create the Prometheus data source.")] = None,
    alertmanager_url: Annotated[str | None, typer.Option(help="Also create the Alertmanager data source.")] = None,
) -> None:
    """Create or update the envmon boards in an existing Grafana over its HTTP API."""
    from services.grafana.push import PostgresSource, push

    postgres = PostgresSource(pg_host, pg_database, pg_user, pg_password) if pg_host else None
    count = push(url, token, postgres=postgres, prometheus_url=prometheus_url, alertmanager_url=alertmanager_url)
    typer.echo(f"pushed {count} dashboards to {url} (folder envmon)")
