"""A migrated database with the shipped agreements loaded and one principal per role."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from services.compensation import auth
from services.compensation.access import Role
from services.compensation.api import create_app
from services.compensation.main import load_agreements
from services.compensation.settings import CompensationSettings
from tests.support.compensation import PASSWORD, Keys

SERVER_START_SECONDS = 30


@pytest.fixture
def compensation_db(db: Engine) -> Engine:
    with db.begin() as conn:
        conn.execute(
            text(
                "truncate compensation_month_confirmations, compensation_month_revisions, "
                "compensation_monitoring_results, compensation_monitoring_uploads, "
                "compensation_audit, compensation_tokens, compensation_principals, "
                "compensation_statement_events, compensation_statements, compensation_agreement_versions"
            )
        )
    return db


@pytest.fixture
def settings(compensation_db: Engine) -> CompensationSettings:
    return CompensationSettings(database_url=compensation_db.url.render_as_string(hide_password=False))


@pytest.fixture
def app(compensation_db: Engine, settings: CompensationSettings) -> FastAPI:
    load_agreements(compensation_db, settings)
    return create_app(compensation_db, settings)


@pytest.fixture
def keys(app: FastAPI, compensation_db: Engine) -> Keys:
    with compensation_db.begin() as conn:
        made = Keys(
            admin=auth.create_api_key(conn, "admin", Role.ADMIN),
            bureau=auth.create_api_key(conn, "bureau-sx", Role.BUREAU),
            finance=auth.create_api_key(conn, "finance-sx", Role.FINANCE),
            viewer=auth.create_api_key(conn, "viewer-sx", Role.VIEWER),
            keqiao_viewer=auth.create_api_key(conn, "viewer-keqiao", Role.VIEWER, ["keqiao"]),
        )
        auth.create_user(conn, "finance-user", PASSWORD, Role.FINANCE)
        auth.create_user(conn, "bureau-user", PASSWORD, Role.BUREAU)
    return made


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free port (for Chromium and for contract fuzzing over HTTP)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not instance.started:
        assert time.monotonic() < deadline, "the compensation app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
