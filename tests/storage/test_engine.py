"""Settings for one statement: in force inside the block, back to the defaults after it."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, text

from services.storage.engine import statement_settings

pytestmark = pytest.mark.integration


def _show(connection: Connection, name: str) -> str:
    value: str = connection.execute(text(f"show {name}")).scalar_one()
    return value


def test_statement_settings_hold_inside_the_block_only(engine: Engine) -> None:
    with engine.begin() as connection:
        before = (_show(connection, "work_mem"), _show(connection, "jit"))
        with statement_settings(connection, work_mem="64MB", jit="off"):
            assert (_show(connection, "work_mem"), _show(connection, "jit")) == ("64MB", "off")
        assert (_show(connection, "work_mem"), _show(connection, "jit")) == before
