"""``envmon compensation-admin create-key|create-user``: principals from a shell with database access.

For the first admin without ``ENVMON_COMPENSATION_BOOTSTRAP_ADMIN_KEY``: whoever may reach the database
may already grant anything, so this adds no new power; every principal made here is in the audit log.
"""

from __future__ import annotations

import getpass
import re
from typing import Annotated

import typer

from services.compensation.access import MIN_PASSWORD_LENGTH, PRINCIPAL_NAME, Role

compensation_admin_app = typer.Typer(
    help="Compensation principals: API keys and users (writes the audit log).", no_args_is_help=True
)

Name = Annotated[str, typer.Option(help="Principal name (2–64 of A–Z a–z 0–9 _ . @ -).")]
RoleOption = Annotated[Role, typer.Option(help="viewer, bureau, finance or admin.")]
Parties = Annotated[
    list[str] | None,
    typer.Option("--party", help="Party code to scope to (repeatable); none = every agreement."),
]


def _create(name: str, role: Role, parties: list[str], password: str | None) -> str | None:
    """Create the principal (an API key when no password is given); the new key, if any."""
    from services.compensation import auth, repository
    from services.compensation.settings import CompensationSettings
    from services.storage.engine import make_engine
    from services.storage.parties import unknown_parties

    if not re.fullmatch(PRINCIPAL_NAME, name):
        raise typer.BadParameter(f"{name!r} is not a principal name (2–64 of A–Z a–z 0–9 _ . @ -)", param_hint="--name")
    unknown = unknown_parties(parties)
    if unknown:
        raise typer.BadParameter(f"unknown party codes (see parties.yaml): {', '.join(unknown)}", param_hint="--party")
    engine = make_engine(CompensationSettings().database_url)
    try:
        with engine.begin() as conn:
            if auth.exists(conn, name):
                raise typer.BadParameter(f"a principal {name!r} already exists", param_hint="--name")
            key = None
            if password is None:
                key = auth.create_api_key(conn, name, role, parties)
            else:
                auth.create_user(conn, name, password, role, parties)
            repository.record_audit(
                conn,
                f"cli:{getpass.getuser()}",
                "principal.create",
                f"principal:{name}",
                {"role": role.value, "parties": sorted(parties), "kind": "user" if key is None else "api_key"},
            )
    finally:
        engine.dispose()
    return key


@compensation_admin_app.command("create-key")
def create_key(name: Name, role: RoleOption, party: Parties = None) -> None:
    """Create an API key principal and print the key once (only its SHA-256 is stored)."""
    key = _create(name, role, party or [], None)
    typer.echo(key)


@compensation_admin_app.command("create-user")
def create_user(
    name: Name,
    role: RoleOption,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    party: Parties = None,
) -> None:
    """Create a user who logs in with a password (finance page, ``POST /token``)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise typer.BadParameter(f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="--password")
    _create(name, role, party or [], password)
    typer.echo(f"user {name} ({role.value}) created")


@compensation_admin_app.command("demo-logins")
def demo_logins() -> None:
    """Create the demo logins (one per role and party; development only) and print them."""
    from services.compensation.demo import create_demo_logins, login_table
    from services.compensation.settings import CompensationSettings
    from services.storage.engine import make_engine

    settings = CompensationSettings()
    engine = make_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            logins = create_demo_logins(conn, production=settings.is_production)
    finally:
        engine.dispose()
    typer.echo(login_table(logins))
