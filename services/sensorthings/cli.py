"""``envmon sensorthings-key create``: a partner's API key for the SensorThings API, printed once."""

from __future__ import annotations

import re
from typing import Annotated

import typer

sensorthings_key_app = typer.Typer(help="Partner API keys of the SensorThings API.", no_args_is_help=True)
KEY_NAME = r"^[A-Za-z0-9_.@-]{2,64}$"


@sensorthings_key_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Key name (2–64 of A–Z a–z 0–9 _ . @ -), e.g. xiaoshan-bureau.")],
    party: Annotated[str, typer.Option(help="The partner's party code (parties.yaml), e.g. xiaoshan.")],
) -> None:
    """Create a key for ``party`` and print it once (only its SHA-256 is stored)."""
    from services.sensorthings import keys
    from services.sensorthings.settings import SensorThingsSettings
    from services.storage.engine import make_engine
    from services.storage.parties import unknown_parties

    if not re.fullmatch(KEY_NAME, name):
        raise typer.BadParameter(f"{name!r} is not a key name (2–64 of A–Z a–z 0–9 _ . @ -)", param_hint="--name")
    if unknown_parties([party]):
        raise typer.BadParameter(f"unknown party {party!r} (see parties.yaml)", param_hint="--party")
    engine = make_engine(SensorThingsSettings().database_url)
    try:
        with engine.begin() as connection:
            if keys.key_exists(connection, name):
                raise typer.BadParameter(f"a key {name!r} already exists", param_hint="--name")
            key = keys.create_key(connection, name, party)
    finally:
        engine.dispose()
    typer.echo(key)
