"""``envmon``: the one command-line entry point for everything a person runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.common.credentials import hash_password
from services.common.logging import configure_logging
from services.common.settings import CommonSettings
from services.compensation.cli import compensation_admin_app
from services.grafana.cli import grafana_app
from services.sensorthings.cli import sensorthings_key_app
from simulators.cli import simulate_app

app = typer.Typer(help="envmon: Shaoxing–Hangzhou environmental monitoring platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and registry.", no_args_is_help=True)
gateway_app = typer.Typer(help="Gateway accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(gateway_app, name="gateway")
app.add_typer(simulate_app, name="simulate")
app.add_typer(grafana_app, name="grafana")
app.add_typer(compensation_admin_app, name="compensation-admin")
app.add_typer(sensorthings_key_app, name="sensorthings-key")


def _settings() -> CommonSettings:
    settings = CommonSettings()
    configure_logging(settings.log_level)
    return settings


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Wait for the database, then apply the Alembic migrations."""
    from services.storage.engine import upgrade

    upgrade(_settings().database_url, revision)


@db_app.command("seed")
def db_seed(
    registry: Annotated[
        Path | None, typer.Option(help="Folder with stations.yaml, programmes.yaml and gateways.yaml.")
    ] = None,
) -> None:
    """Load the station, programme and gateway registry (idempotent); a programme change queues its days for
    recompute."""
    from services.storage.engine import make_engine
    from services.storage.programmes import ProgrammeError
    from services.storage.seed import REGISTRY_DIR, SeedError, seed

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as connection:
            counts = seed(connection, registry or REGISTRY_DIR, production=settings.is_production)
    except (SeedError, ProgrammeError) as error:
        typer.echo(f"envmon db seed: nothing loaded: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"seeded {counts['parties']} parties, {counts['stations']} stations, {counts['programmes']} programme periods "
        f"and {counts['accounts']} broker accounts"
    )


@app.command("mosquitto-config")
def mosquitto_config(
    out: Annotated[Path, typer.Option(help="Folder for the passwd and acl files.")] = Path("deploy/mosquitto"),
) -> None:
    """Generate Mosquitto's password file and ACL from the gateways registry."""
    from services.broker.accounts import write_broker_files
    from services.storage.engine import make_engine

    engine = make_engine(_settings().database_url)
    with engine.connect() as connection:
        passwords, acl = write_broker_files(connection, out)
    typer.echo(f"wrote {passwords} and {acl}; reload Mosquitto (SIGHUP) to apply")


@gateway_app.command("passwd")
def gateway_passwd(
    gateway_id: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a broker account's password (stored as a hash only)."""
    from sqlalchemy import update

    from services.storage.engine import make_engine
    from services.storage.schema import gateways

    engine = make_engine(_settings().database_url)
    with engine.begin() as connection:
        changed = connection.execute(
            update(gateways).where(gateways.c.id == gateway_id).values(password_hash=hash_password(password))
        ).rowcount
    if not changed:
        raise typer.BadParameter(f"no gateway {gateway_id!r}")
    typer.echo(f"password of {gateway_id} updated; run `envmon mosquitto-config` and reload Mosquitto")


@app.command("ingest")
def ingest() -> None:
    """Run the MQTT → TimescaleDB ingest service."""
    from services.ingest.main import main

    main()


@app.command("alerts")
def alerts() -> None:
    """Run the KPI and alerts service."""
    from services.alerts.main import main

    main()


@app.command("compensation")
def compensation() -> None:
    """Run the eco-compensation service (API and finance pages)."""
    from services.compensation.main import main

    main()


@app.command("sensorthings")
def sensorthings() -> None:
    """Run the partners' read-only SensorThings API."""
    from services.sensorthings.main import main

    main()


@app.command("hj212-gateway")
def hj212_gateway() -> None:
    """Run the HJ 212 TCP gateway for data loggers."""
    from services.hj212_gateway.main import main

    main()


if __name__ == "__main__":
    app()
