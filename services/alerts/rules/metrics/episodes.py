"""Heavy-pollution episodes (重污染天气) of the city: the episode its hourly AQI shows, and the warning level of
the latest forecast the bureau supplied.

- Observed: the run of consecutive hours, up to the latest complete hour, in which the city's hourly AQI
  (``air_hourly``, HJ 633's real-time report, as the figures pipeline publishes it) is above
  ``heavy_pollution.aqi_above``. The metric is 1 once the run has lasted ``window_hours``, else 0. An hour
  without an AQI ends the run: an episode is only reported on evidence.
- Forecast: the newest forecast of daily AQIs (``air_forecasts``, POST /v1/air/forecasts), from today on,
  rated by the province's warning levels in ``rules.yaml`` (``HeavyPollution.level_of``). The metric is the
  level (0: no warning), so a forecast that falls below every level, or runs out, resolves the alert.

Both are statuses as of now (period ``current``). docs/alerts.md, "Heavy-pollution episodes", gives the
thresholds and which of them are unverified.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import Connection, text

from services.alerts.rules.definitions import HeavyPollution, WarningLevel
from services.alerts.rules.metrics import wording
from services.alerts.rules.metrics.model import Metric, MetricContext, Observation
from services.alerts.rules.windows import PeriodKind
from services.standards.local_time import local_date

HOUR = timedelta(hours=1)
# HJ 633 publishes each hour's AQI within the next hour; later than this the city's hourly figure is missing
# (the stations' silence alerts say why) and the episode state is held rather than judged.
REPORT_DELAY = timedelta(hours=3)
# How far back the start of a running episode is looked for.
LOOKBACK = timedelta(days=31)
NO_WARNING = "未达预警条件"


@dataclass(frozen=True, slots=True)
class Episode:
    first_hour: datetime  # the start of the run's first hour
    last_hour: datetime  # the start of its latest hour
    hours: int
    peak: int


def current_episode(aqi_by_hour: Mapping[datetime, int], last_hour: datetime, aqi_above: int) -> Episode | None:
    """The run of consecutive hours ending with ``last_hour`` whose AQI is above ``aqi_above``; None when
    ``last_hour`` itself is not above it."""
    values = []
    hour = last_hour
    while (value := aqi_by_hour.get(hour)) is not None and value > aqi_above:
        values.append(value)
        hour -= HOUR
    if not values:
        return None
    return Episode(hour + HOUR, last_hour, len(values), max(values))


def _city_hours(connection: Connection, context: MetricContext) -> dict[datetime, int]:
    rows = connection.execute(
        text(
            "select hour, aqi from air_hourly where subject = :city and aqi is not null "
            "and hour >= :since and hour + interval '1 hour' <= :now"
        ),
        {"city": context.city, "since": context.now - LOOKBACK, "now": context.now},
    ).all()
    return {row.hour: row.aqi for row in rows}


def _daily_path(subject: str, first: date, last: date) -> str:
    return "/v1/air/daily?" + urlencode({"subject": subject, "from": first.isoformat(), "to": last.isoformat()})


def _recent_city_hours(connection: Connection, context: MetricContext) -> tuple[dict[datetime, int], datetime] | None:
    """The city's hourly AQIs and the latest hour among them, when that hour is recent enough to judge by."""
    aqi_by_hour = _city_hours(connection, context)
    if not aqi_by_hour or (last_hour := max(aqi_by_hour)) < context.now - REPORT_DELAY:
        return None
    return aqi_by_hour, last_hour


def observed_episode(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    heavy, period = context.heavy_pollution, context.period(PeriodKind.CURRENT)
    recent = _recent_city_hours(connection, context)
    if recent is None:
        return
    aqi_by_hour, last_hour = recent
    episode = current_episode(aqi_by_hour, last_hour, heavy.aqi_above)
    latest = f"{wording.local_time(last_hour)} 时段小时AQI {aqi_by_hour[last_hour]}"
    if episode is None:
        description, shown, first = f"{context.city} {latest}，不高于 {heavy.aqi_above}", "无", last_hour
    else:
        first, shown = episode.first_hour, f"{episode.hours} 小时"
        description = (
            f"{context.city} 自 {wording.local_time(episode.first_hour)} 起小时AQI连续 {episode.hours} 小时"
            f"高于 {heavy.aqi_above}(重度污染及以上)，最高 {episode.peak}；最近 {latest}"
        )
    lasting = episode is not None and episode.hours >= heavy.window_hours
    yield Observation(
        subject=context.city,
        period=period.key,
        value=Decimal(1 if lasting else 0),
        shown=shown,
        target=f"小时AQI > {heavy.aqi_above} 不足 {heavy.window_hours} 小时",
        description=description,
        api_path=_daily_path(context.city, local_date(first), context.today),
    )


@dataclass(frozen=True, slots=True)
class Forecast:
    submitted_at: datetime
    submitted_by: str
    first_day: date
    aqi: tuple[int, ...]

    def from_day(self, day: date) -> list[tuple[date, int]]:
        """The forecast days from ``day`` on."""
        days = [(self.first_day + timedelta(days=i), value) for i, value in enumerate(self.aqi)]
        return [(d, value) for d, value in days if d >= day]


def _newest_forecast(connection: Connection, subject: str) -> Forecast | None:
    row = connection.execute(
        text(
            "select submitted_at, submitted_by, first_day, aqi from air_forecasts "
            "where subject = :subject order by id desc limit 1"
        ),
        {"subject": subject},
    ).one_or_none()
    return None if row is None else Forecast(row[0], row[1], row[2], tuple(row[3]))


def forecast_level(heavy: HeavyPollution, days: Sequence[tuple[date, int]]) -> WarningLevel | None:
    """The warning level of consecutive forecast days (the API accepts only consecutive days)."""
    return heavy.level_of([value for _, value in days])


def _day_list(days: Sequence[tuple[date, int]]) -> str:
    return wording.listing(f"{d.month}月{d.day}日 {value}" for d, value in days)


def forecast_warning(connection: Connection, context: MetricContext) -> Iterator[Observation]:
    heavy, period = context.heavy_pollution, context.period(PeriodKind.CURRENT)
    forecast = _newest_forecast(connection, context.city)
    if forecast is None:
        return
    days = forecast.from_day(context.today)
    level = forecast_level(heavy, days)
    source = f"{context.city} {forecast.submitted_by} {wording.local_time(forecast.submitted_at)} 报送的日AQI预报"
    if not days:
        description = f"{source}已过期(最后一天 {forecast.first_day + timedelta(days=len(forecast.aqi) - 1)})"
    else:
        heavy_days = sum(value > heavy.aqi_above for _, value in days)
        rating = f"达到{level.name}条件" if level is not None else NO_WARNING
        description = f"{source}：{_day_list(days)}；AQI > {heavy.aqi_above} 共 {wording.days(heavy_days)}，{rating}"
        recent = _recent_city_hours(connection, context)
        episode = None if recent is None else current_episode(*recent, heavy.aqi_above)
        if episode:
            description += f"；当前小时AQI已连续 {episode.hours} 小时高于 {heavy.aqi_above}"
    last = days[-1][0] if days else context.today
    yield Observation(
        subject=context.city,
        period=period.key,
        value=Decimal(level.level if level is not None else 0),
        shown=level.name if level is not None else NO_WARNING,
        target=NO_WARNING,
        description=description,
        api_path=_daily_path(context.city, context.today - timedelta(days=1), last),
        extra={"warning_level": level.name} if level is not None else {},
    )


METRICS = (
    Metric(
        "air.heavy_pollution_episode",
        PeriodKind.CURRENT,
        "全市小时AQI高于重度污染限值是否已持续规定的小时数(是为 1，否为 0)；"
        "限值和小时数见本页“重污染天气判定与预警级别”",
        observed_episode,
    ),
    Metric(
        "air.heavy_pollution_forecast_level",
        PeriodKind.CURRENT,
        "最新报送的日AQI预报(POST /v1/air/forecasts)达到的预警级别：0 未达预警，1 为最低级，逐级升高；"
        "各级条件见本页“重污染天气判定与预警级别”",
        forecast_warning,
    ),
)
