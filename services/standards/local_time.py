"""Regulatory local time: Beijing time (北京时间), a fixed UTC+08:00.

The standards count their periods in Beijing time: the natural day of GB 3095 and HJ 633, the
hours of HJ 663, HJ 212's ``DataTime`` and ``QN``. That is a rule of the standards, not a
deployment setting, and it is a *fixed* offset: the IANA zone Asia/Shanghai also carries
historical rules (local mean time +08:05:43 before 1901, summer time 1986–1991) that no
monitoring standard applies.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

BEIJING_TIME = timezone(timedelta(hours=8), "UTC+08:00")
# PostgreSQL's name for the same fixed offset (POSIX-style names invert the sign: Etc/GMT-8 is UTC+08:00).
POSTGRES_ZONE = "Etc/GMT-8"


def local(moment: datetime) -> datetime:
    """``moment`` in Beijing time; a naive datetime is refused, never guessed."""
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give a timezone")
    return moment.astimezone(BEIJING_TIME)


def local_date(moment: datetime) -> date:
    """The Beijing-time calendar day ``moment`` falls on."""
    return local(moment).date()


def day_start(day: date) -> datetime:
    """00:00 Beijing time at the start of ``day``."""
    return datetime.combine(day, time.min, tzinfo=BEIJING_TIME)


def day_end(day: date) -> datetime:
    """00:00 Beijing time at the start of the day after ``day`` (the end of ``day``, exclusive)."""
    return day_start(day + timedelta(days=1))
