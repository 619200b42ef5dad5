"""``envmon compensation``: load the shipped agreements, then serve the API and finance pages with uvicorn."""

from __future__ import annotations

import structlog
import uvicorn
from sqlalchemy import Engine

from services.common.logging import configure_logging
from services.compensation import auth, repository
from services.compensation.access import Role
from services.compensation.agreements import load_agreement_files
from services.compensation.api import create_app
from services.compensation.demo import DemoLoginsRefused, refuse_demo_logins
from services.compensation.settings import CompensationSettings
from services.storage.engine import make_engine, wait_for_database

SYSTEM_ACTOR = "system:agreement-files"
BOOTSTRAP_ADMIN = "bootstrap-admin"

log = structlog.get_logger(__name__)


def load_agreements(engine: Engine, settings: CompensationSettings) -> None:
    """Each shipped file becomes a version once; API edits (later versions) are never overwritten by a restart."""
    with engine.begin() as conn:
        for agreement in load_agreement_files(settings.compensation_agreements_dir):
            version, created = repository.add_agreement_version(
                conn, agreement, origin="file", actor=SYSTEM_ACTOR, unless="known"
            )
            if created:
                repository.record_audit(
                    conn,
                    SYSTEM_ACTOR,
                    "agreement.version",
                    f"agreement:{agreement.id}",
                    {"version": version, "origin": "file"},
                )
            log.info("agreement loaded", agreement=agreement.id, version=version, created=created)
        if settings.compensation_bootstrap_admin_key and not auth.has_admin(conn):
            auth.create_api_key(conn, BOOTSTRAP_ADMIN, Role.ADMIN, key=settings.compensation_bootstrap_admin_key)
            repository.record_audit(conn, SYSTEM_ACTOR, "principal.create", f"principal:{BOOTSTRAP_ADMIN}", {})


def main() -> None:
    settings = CompensationSettings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    wait_for_database(engine)
    if settings.is_production:
        with engine.connect() as connection:
            try:
                refuse_demo_logins(connection)
            except DemoLoginsRefused as refused:
                raise SystemExit(str(refused)) from None
    load_agreements(engine, settings)
    uvicorn.run(
        create_app(engine, settings),
        host=settings.compensation_http_host,
        port=settings.compensation_http_port,
        log_config=None,
    )
