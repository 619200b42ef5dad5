"""Dependencies of the routes (FastAPI template style): the engine, the settings, the publisher, the actor."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine

from services.alerts.api.params import NAME_LENGTH, NO_CONTROL, ExactParam
from services.alerts.api.presentation import Publisher
from services.alerts.context import Clock
from services.alerts.settings import AlertsSettings
from services.standards.local_time import local_date


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> AlertsSettings:
    settings: AlertsSettings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[AlertsSettings, Depends(get_settings)]


def get_publisher(settings: SettingsDep, exact: ExactParam = False) -> Publisher:
    return Publisher(settings.precision_table, exact)


PublisherDep = Annotated[Publisher, Depends(get_publisher)]


def get_now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


NowDep = Annotated[datetime, Depends(get_now)]


def get_today(now: NowDep) -> date:
    """Today as a Beijing local day (before 08:00 in Shanghai the UTC date is still yesterday)."""
    return local_date(now)


TodayDep = Annotated[date, Depends(get_today)]


def identity(request: Request, settings: SettingsDep) -> str | None:
    """The user an authenticating proxy vouches for (``ALERTS_IDENTITY_HEADER``), or None when none is configured."""
    header = settings.alerts_identity_header
    if header is None:
        return None
    value = request.headers.get(header)
    if not value or len(value) > NAME_LENGTH or not re.fullmatch(NO_CONTROL, value):
        raise HTTPException(401, f"the {header} header with the acknowledging user is required")
    return value


IdentityDep = Annotated[str | None, Depends(identity)]
