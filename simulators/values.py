"""Pure, deterministic generation of realistic station values: same seed, station and time, same sample.

Every random draw is a hash of (seed, what, period[, station]), so samples do not depend on the order
they are generated in: a replay, a real-time run and a test agree on any given hour. Weather is
regional: a day's stagnation, sunshine and rain are drawn once for the whole city, so its stations
move together as real ones do.

Levels are ILLUSTRATIVE, shaped after Shaoxing's published yearly figures (docs/simulators.md, "A
simulated year"), not calibrated on station data:

- Air: PM2.5 about 28 µg/m³ a year, higher in winter, with stagnation episodes (November–February,
  blocks of three days) of light to moderate pollution and a slow fall year on year; O3 follows the
  sun, peaks in late spring and early autumn (the plum rains of June–July cut it), so summer
  afternoons give most non-good days. With the default seed a year has 85–92 % good days.
- Water: each section has a profile (its usual levels and how much the rain washes into it). In the
  flood season (汛期, 15 April – 15 October) rain flushes TP and NH3-N off the fields: the plain
  rivers' sections (西小江 above all) run in Class Ⅳ in the wettest months; the hill rivers stay in
  their class. One-day pollution incidents happen on about 2 % of days.
- Waste: daily tonnes near each facility's usual load, a little higher in summer and lower around the
  Spring Festival, with weekday rhythm for industry; nothing is landfilled (原生垃圾零填埋).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from services.standards import local_time
from services.standards.local_time import BEIJING_TIME
from services.standards.parameters import Kind
from simulators.stations import StationSpec

NORMAL = "N"
DEFAULT_SEED = 212

DRIFT_PERIOD = timedelta(days=7)
NOISE = 0.08  # relative spread of hour-to-hour noise in water
EPOCH = datetime(2000, 1, 3, tzinfo=BEIJING_TIME)
# Draws shared by many samples (a day's weather, the anchors of smooth series, a site's level) are cached.
DAYS_CACHED = 4096

# Decimal places each parameter is reported with (instruments report fixed precision).
PLACES: Mapping[str, int] = MappingProxyType(
    {
        "ph": 2,
        "do": 2,
        "codmn": 2,
        "nh3n": 3,
        "tp": 3,
        "tn": 2,
        "temp": 1,
        "conductivity": 0,
        "turbidity": 1,
        "flow": 2,
        "pm25": 0,
        "pm10": 0,
        "so2": 0,
        "no2": 0,
        "co": 1,
        "o3": 0,
    }
)
WASTE_PLACES = 1


@dataclass(frozen=True, slots=True)
class Sample:
    """One station's values at one time, as its gateway reports them."""

    station: str
    kind: Kind
    time: datetime
    values: Mapping[str, Decimal]
    flags: Mapping[str, str] = field(default_factory=dict)


def unit(seed: int, *keys: object) -> float:
    """A uniform draw in [0, 1) fixed by the seed and the keys."""
    digest = hashlib.blake2b(repr((seed, *keys)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def centred(seed: int, *keys: object) -> float:
    """A draw in [-1, 1) (sum of two uniforms from one hash, so values near 0 are likelier)."""
    digest = hashlib.blake2b(repr((seed, *keys)).encode(), digest_size=16).digest()
    return (int.from_bytes(digest[:8], "big") + int.from_bytes(digest[8:], "big")) / 2**64 - 1.0


@functools.lru_cache(maxsize=DAYS_CACHED)
def _anchored(seed: int, keys: tuple[object, ...], anchor: int) -> float:
    """A centred draw at one anchor of a smooth series (shared by every hour between two anchors)."""
    return centred(seed, *keys, anchor)


def between(seed: int, low: float, high: float, *keys: object) -> float:
    return low + (high - low) * unit(seed, *keys)


def _decimal(value: float, places: int) -> Decimal:
    return Decimal(f"{max(value, 0.0):.{places}f}")


def _season(moment: datetime) -> float:
    """+1 at the end of July (warmest), -1 at the end of January."""
    return math.sin(2 * math.pi * (moment.timetuple().tm_yday - 120) / 365.25)


def _smooth(seed: int, period: timedelta, spread: float, moment: datetime, *keys: object) -> float:
    """A multiplier in [1 - spread, 1 + spread] drawn at anchors ``period`` apart and interpolated between
    them, so it wanders without jumping (weather over days, a station's drift over weeks)."""
    steps = (moment - EPOCH) / period
    step, into = math.floor(steps), steps - math.floor(steps)
    before, after = (1 + spread * _anchored(seed, keys, anchor) for anchor in (step, step + 1))
    return before + (after - before) * into


def _drift(seed: int, station: str, moment: datetime) -> float:
    """A station's slow drift in [0.85, 1.15] (weekly anchors)."""
    return _smooth(seed, DRIFT_PERIOD, 0.15, moment, station, "drift")


# --- air ------------------------------------------------------------------------------------------

PM25_ANNUAL = 25.0  # µg/m³ before the winter episodes (which add about 2)
PM25_SEASONAL = 11.0  # amplitude of the seasonal swing (winter higher)
PM25_TREND_PER_YEAR = 0.03  # PM2.5 falls 3 % a year (双控双减)
TREND_BASE_YEAR = 2025
STAGNATION_PERIOD = timedelta(days=2)
STAGNATION_SPREAD = 0.45
PM_EPISODE_BLOCK_DAYS = 3
PM_EPISODE_BLOCK_CHANCE = 0.3
PM_EPISODE_MONTHS = frozenset({11, 12, 1, 2})
PM_EPISODE_STRENGTH = (1.7, 2.8)
# Mean O3 daily maximum 8-hour value by month (µg/m³): late spring and early autumn peaks, the plum-rain
# dip in July, low in winter (the shape of Zhejiang's cities' monthly O3-8h).
O3_MDA8_BY_MONTH = (71, 87, 104, 126, 143, 135, 113, 126, 139, 120, 92, 72)
O3_NIGHT = 30.0  # µg/m³ at night, before sunrise
# The photochemical weather: spells of a few days (sunny highs, rainy lows) plus each day's own draw.
O3_SPELL_PERIOD = timedelta(days=3)
O3_SPELL_SPREAD = 0.3
O3_DAY_SPREAD = 0.3
# The mean of sunshine^1.5 over the day's best 8 hours (10:00–18:00): O3 MDA8 ≈ night + this × amplitude.
O3_BEST_8H = 0.757
# A station's own level (urban, suburban, hill county) as a multiplier, drawn once per station.
SITE_SPREAD = 0.08


@functools.lru_cache(maxsize=DAYS_CACHED)
def _site(seed: int, station: str, pollutant: str) -> float:
    """A station's own level of a pollutant relative to the city (urban, suburban, hill county)."""
    return centred(seed, station, "site", pollutant)


@functools.lru_cache(maxsize=DAYS_CACHED)
def _o3_weather(seed: int, day: date) -> float:
    return 1 + O3_DAY_SPREAD * centred(seed, "o3-weather", day.isoformat())


@functools.lru_cache(maxsize=DAYS_CACHED)
def pm_episode(seed: int, day: date) -> bool:
    """Winter stagnation episodes are regional: the whole city shares them, in blocks of a few days."""
    if day.month not in PM_EPISODE_MONTHS:
        return False
    block = day.toordinal() // PM_EPISODE_BLOCK_DAYS
    return unit(seed, "pm-episode", block) < PM_EPISODE_BLOCK_CHANCE


def _pm25(seed: int, spec: StationSpec, local: datetime, winter: float) -> float:
    day = local.date()
    trend = (1 - PM25_TREND_PER_YEAR) ** (local.year - TREND_BASE_YEAR)
    stagnation = _smooth(seed, STAGNATION_PERIOD, STAGNATION_SPREAD, local, "stagnation")
    level = (PM25_ANNUAL + PM25_SEASONAL * winter) * trend * stagnation
    if pm_episode(seed, day):
        level *= between(seed, *PM_EPISODE_STRENGTH, "pm-episode-strength", day.isoformat())
    # The night's shallow boundary layer keeps particles near the ground; the afternoon mixes them up.
    diurnal = 1 + 0.15 * math.cos(2 * math.pi * (local.hour - 6) / 24)
    site = 1 + SITE_SPREAD * _site(seed, spec.code, "pm25")
    return level * diurnal * site * (1 + 0.2 * centred(seed, spec.code, local.isoformat(), "pm25"))


def _o3(seed: int, spec: StationSpec, local: datetime) -> float:
    spell = _smooth(seed, O3_SPELL_PERIOD, O3_SPELL_SPREAD, local, "o3-spell")
    weather = spell * _o3_weather(seed, local.date())
    mda8 = O3_MDA8_BY_MONTH[local.month - 1] * weather
    amplitude = max(0.0, mda8 - O3_NIGHT) / O3_BEST_8H
    sunshine = max(0.0, math.sin(math.pi * (local.hour - 7) / 12))  # 07:00–19:00, peak at 13:00
    site = 1 + SITE_SPREAD * _site(seed, spec.code, "o3")
    noise = 1 + 0.1 * centred(seed, spec.code, local.isoformat(), "o3")
    return (O3_NIGHT + amplitude * math.pow(sunshine, 1.5)) * site * noise


def air_values(seed: int, spec: StationSpec, moment: datetime) -> dict[str, Decimal]:
    local = local_time.local(moment)
    key = (spec.code, local.isoformat())
    winter = -_season(local)  # +1 at the end of January
    pm25 = _pm25(seed, spec, local, winter)
    sunshine = max(0.0, math.sin(math.pi * (local.hour - 7) / 12))
    rush = 1 + 0.35 * (math.exp(-((local.hour - 8) ** 2) / 4) + math.exp(-((local.hour - 18) ** 2) / 4))
    cold = max(0.0, winter)
    raw = {
        "pm25": pm25,
        "pm10": pm25 * (1.6 + 0.2 * centred(seed, *key, "pm10")),
        "so2": (6 + 3 * cold) * (1 + 0.3 * centred(seed, *key, "so2")),
        # NO2 is eaten by the afternoon O3 chemistry and peaks with the rush hours.
        "no2": (26 + 12 * cold) * rush * (1 - 0.3 * sunshine) * (1 + 0.2 * centred(seed, *key, "no2")),
        "co": (0.55 + 0.3 * cold) * (1 + 0.2 * centred(seed, *key, "co")),
        "o3": _o3(seed, spec, local),
    }
    return {parameter: _decimal(value, PLACES[parameter]) for parameter, value in raw.items()}


# --- water ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RiverProfile:
    """A section's usual levels (mg/L) and how strongly flood-season rain washes TP and NH3-N into it."""

    tp: float
    nh3n: float
    codmn: float
    do_saturation: float  # the share of oxygen saturation the river runs at
    runoff: float  # TP and NH3-N rise by runoff × the rain index in the flood season


# ILLUSTRATIVE profiles: plain-river sections (西小江, the lower 曹娥江) carry more nutrients and take
# more runoff than the hill rivers (壶源江, the upper 曹娥江 at 三界).
PROFILES: Mapping[str, RiverProfile] = MappingProxyType(
    {
        "XXJ-YANGXUN": RiverProfile(tp=0.140, nh3n=0.52, codmn=4.3, do_saturation=0.78, runoff=0.42),
        "CEJ-SHANGPU": RiverProfile(tp=0.125, nh3n=0.48, codmn=4.1, do_saturation=0.80, runoff=0.36),
        "PYJ-ANHUA": RiverProfile(tp=0.110, nh3n=0.34, codmn=3.4, do_saturation=0.84, runoff=0.40),
        "CEJ-DAZHA": RiverProfile(tp=0.115, nh3n=0.35, codmn=3.8, do_saturation=0.82, runoff=0.25),
        "PYJ-JINHUA": RiverProfile(tp=0.105, nh3n=0.32, codmn=3.4, do_saturation=0.85, runoff=0.30),
        "CEJ-ZHANGZHEN": RiverProfile(tp=0.100, nh3n=0.30, codmn=3.2, do_saturation=0.86, runoff=0.30),
        "CEJ-SANJIE": RiverProfile(tp=0.055, nh3n=0.18, codmn=2.4, do_saturation=0.90, runoff=0.30),
        "HYJ-ZHUJI-FUYANG": RiverProfile(tp=0.050, nh3n=0.15, codmn=2.2, do_saturation=0.90, runoff=0.30),
    }
)
# A section outside the registry (the tests' fleet): an ordinary Class Ⅲ river; Class Ⅱ targets run cleaner.
TYPICAL_PROFILE = RiverProfile(tp=0.11, nh3n=0.32, codmn=3.4, do_saturation=0.85, runoff=0.3)
CLEAN_PROFILE = RiverProfile(tp=0.05, nh3n=0.16, codmn=2.3, do_saturation=0.9, runoff=0.3)
WATER_BASE: Mapping[str, float] = MappingProxyType({"ph": 7.4, "tn_over_nh3n": 2.6, "conductivity": 320.0})
TURBIDITY_BASE = 18.0
# 汛期 in Zhejiang: 15 April – 15 October (梅汛期 then 台汛期).
FLOOD_SEASON = ((4, 15), (10, 15))
# Chance of a rain day by month, regional (the plum rains in mid-June to early July are the wettest).
RAIN_CHANCE_BY_MONTH = (0.35, 0.4, 0.45, 0.45, 0.45, 0.62, 0.45, 0.35, 0.35, 0.25, 0.3, 0.3)
RAIN_DAYS_REMEMBERED = 6  # a rain day's runoff fades over this many days
RUNOFF_DECAY = 0.65
OUTSIDE_FLOOD_SEASON = 0.25  # winter rain washes far less off the fields
INCIDENT_DAY_CHANCE = 0.02
# A one-day pollution incident (a discharge upstream): NH3-N in (1.0, 1.5], CODMn in (6, 10], DO in [3, 5).
INCIDENT_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {"nh3n": (1.05, 1.45), "codmn": (6.3, 9.5), "do": (3.3, 4.8)}
)
FLOW_OVER_ECO_MINIMUM = 3.0


def profile_of(spec: StationSpec) -> RiverProfile:
    clean = spec.target_class is not None and spec.target_class <= 2
    return PROFILES.get(spec.section, CLEAN_PROFILE if clean else TYPICAL_PROFILE)


def in_flood_season(day: date) -> bool:
    (first_month, first_day), (last_month, last_day) = FLOOD_SEASON
    return (first_month, first_day) <= (day.month, day.day) <= (last_month, last_day)


def rain(seed: int, day: date) -> float:
    """The day's regional rain, 0 (dry) to about 1.5 (a heavy day)."""
    if unit(seed, "rain", day.isoformat()) >= RAIN_CHANCE_BY_MONTH[day.month - 1]:
        return 0.0
    return between(seed, 0.3, 1.5, "rain-amount", day.isoformat())


@functools.lru_cache(maxsize=DAYS_CACHED)
def runoff_index(seed: int, day: date) -> float:
    """Rain of the last days, fading, as it washes off the fields; damped outside the flood season."""
    washed = sum(rain(seed, day - timedelta(days=k)) * RUNOFF_DECAY**k for k in range(RAIN_DAYS_REMEMBERED))
    return washed * (1.0 if in_flood_season(day) else OUTSIDE_FLOOD_SEASON)


def water_episode(seed: int, station: str, day: date) -> bool:
    """A one-day pollution incident at the section."""
    return unit(seed, station, "incident", day.isoformat()) < INCIDENT_DAY_CHANCE


def _noisy(seed: int, station: str, parameter: str, moment: datetime, value: float) -> float:
    return value * (1 + NOISE * centred(seed, station, parameter, moment.isoformat()))


def water_values(seed: int, spec: StationSpec, moment: datetime) -> dict[str, Decimal]:
    local = local_time.local(moment)
    river = profile_of(spec)
    drift = _drift(seed, spec.section, local)
    runoff = runoff_index(seed, local.date())
    flushed = 1 + river.runoff * runoff
    temp = 18.5 + 10.5 * _season(local) + 1.2 * math.sin(2 * math.pi * (local.hour - 9) / 24)
    # Oxygen saturation falls as water warms; organic load from the runoff lowers it a little more.
    saturation = 14.6 - 0.39 * temp + 0.0068 * temp**2
    nh3n = _noisy(seed, spec.code, "nh3n", local, river.nh3n * drift * flushed)
    raw: dict[str, float] = {
        "temp": temp,
        "do": _noisy(
            seed, spec.code, "do", local, river.do_saturation * saturation * (2 - drift) ** 0.3 / flushed**0.15
        ),
        "ph": WATER_BASE["ph"] + 0.25 * centred(seed, spec.code, "ph", local.isoformat()),
        "codmn": _noisy(seed, spec.code, "codmn", local, river.codmn * drift * flushed**0.4),
        "nh3n": nh3n,
        "tp": _noisy(seed, spec.code, "tp", local, river.tp * drift * flushed),
        "tn": _noisy(seed, spec.code, "tn", local, nh3n * WATER_BASE["tn_over_nh3n"] + 0.6),
        "conductivity": _noisy(
            seed, spec.code, "conductivity", local, WATER_BASE["conductivity"] * drift / flushed**0.3
        ),
        "turbidity": _noisy(seed, spec.code, "turbidity", local, TURBIDITY_BASE * drift * (1 + runoff)),
    }
    if spec.eco_flow_min_m3s is not None:
        wet = 1 + 0.5 * _season(local + timedelta(days=60))  # the plum-rain season peaks in June
        flow = float(spec.eco_flow_min_m3s) * FLOW_OVER_ECO_MINIMUM * wet * drift * (1 + 0.3 * runoff)
        raw["flow"] = _noisy(seed, spec.code, "flow", local, flow)
    if water_episode(seed, spec.section, local.date()):
        for parameter, (low, high) in INCIDENT_RANGES.items():
            raw[parameter] = between(seed, low, high, spec.code, parameter, "incident", local.isoformat())
    return {parameter: _decimal(value, PLACES[parameter]) for parameter, value in raw.items()}


# --- waste ----------------------------------------------------------------------------------------

# Daily tonnes as a share of capacity, by facility type and route. The landfill is the emergency reserve
# and receives nothing (原生垃圾零填埋).
WASTE_LOAD: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "incineration": {"incinerated": 0.86},
        "food_waste": {"food_waste": 0.78},
        "recycling": {"recycled": 0.68},
        "landfill": {"landfilled": 0.0},
        "industrial": {"industrial_generated": 0.88},
    }
)
INDUSTRIAL_UTILIZED_SHARE = 0.82
INDUSTRIAL_DISPOSED_SHARE = 0.16
WASTE_GROWTH_PER_YEAR = 0.02
# The Spring Festival (first day of the lunar year, Gregorian dates): households travel, factories close.
SPRING_FESTIVAL = MappingProxyType(
    {
        2024: date(2024, 2, 10),
        2025: date(2025, 1, 29),
        2026: date(2026, 2, 17),
        2027: date(2027, 2, 6),
        2028: date(2028, 1, 26),
        2029: date(2029, 2, 13),
        2030: date(2030, 2, 3),
    }
)
HOLIDAY_DAYS = range(-3, 12)  # from the days before New Year's Eve to the Lantern Festival
HOLIDAY_FACTOR = {"household": 0.82, "industrial": 0.45}


def _holiday(day: date) -> bool:
    new_year = SPRING_FESTIVAL.get(day.year)
    return new_year is not None and (day - new_year).days in HOLIDAY_DAYS


def waste_values(seed: int, spec: StationSpec, moment: datetime) -> dict[str, Decimal]:
    day = local_time.local_date(moment)
    if spec.facility_type is None or spec.capacity_t_per_day is None:
        raise ValueError(f"waste station {spec.code} needs facility_type and capacity_t_per_day")
    capacity = float(spec.capacity_t_per_day)
    industrial = spec.facility_type == "industrial"
    growth = (1 + WASTE_GROWTH_PER_YEAR) ** (day.year - TREND_BASE_YEAR)
    summer = 1 + (0.06 if spec.facility_type == "food_waste" else 0.03) * _season(
        datetime.combine(day, datetime.min.time())
    )
    week = (0.9 if day.weekday() == 6 else 1.02) if industrial else 1.0
    holiday = HOLIDAY_FACTOR["industrial" if industrial else "household"] if _holiday(day) else 1.0
    raw = {
        route: min(
            capacity,
            capacity * share * growth * summer * week * holiday * (1 + 0.04 * centred(seed, spec.code, route, day)),
        )
        for route, share in WASTE_LOAD[spec.facility_type].items()
    }
    if industrial:
        generated = raw["industrial_generated"]
        raw["industrial_utilized"] = generated * INDUSTRIAL_UTILIZED_SHARE
        raw["industrial_disposed"] = generated * INDUSTRIAL_DISPOSED_SHARE
    return {route: _decimal(value, WASTE_PLACES) for route, value in raw.items()}


GENERATORS = MappingProxyType({Kind.WATER: water_values, Kind.AIR: air_values, Kind.WASTE: waste_values})


def sample(seed: int, spec: StationSpec, moment: datetime) -> Sample:
    """Every quantity the station's kind measures at ``moment`` (aware), flags all N; the plan keeps the
    parameters the station's programme has due then."""
    values = GENERATORS[spec.kind](seed, spec, moment)
    return Sample(spec.code, spec.kind, moment, values, dict.fromkeys(values, NORMAL))
