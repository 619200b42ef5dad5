"""``envmon sensorthings``: serve the partners' read-only SensorThings API with uvicorn."""

from __future__ import annotations

import uvicorn

from services.common.logging import configure_logging
from services.sensorthings.api import create_app
from services.sensorthings.settings import SensorThingsSettings
from services.storage.engine import make_engine, wait_for_database


def main() -> None:
    settings = SensorThingsSettings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    wait_for_database(engine)
    uvicorn.run(
        create_app(engine, settings),
        host=settings.sensorthings_http_host,
        port=settings.sensorthings_http_port,
        log_config=None,
    )
