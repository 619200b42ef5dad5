"""Pure, deterministic generation of realistic station values: same seed, station and time, same sample.

Every random draw is a hash of (seed, station, what, period), so samples do not depend on the
order they are generated in: a replay, a real-time run and a test agree on any given hour.

Levels are ILLUSTRATIVE, chosen to look like Shaoxing's rivers and air (see docs/simulators.md):

- Water: sections sit in Class Ⅱ–Ⅲ with seasonal temperature, DO that follows temperature, a slow
  weekly drift, and on about 3 % of days a Class Ⅳ episode (NH3-N, CODMn up, DO down).
- Air: O3 follows the sun (afternoon peak, strongest May–September); PM2.5 has winter episodes
  (December–February, in 3-day blocks) that push days into light or moderate pollution.
- Waste: daily tonnes near each facility's usual load; the emergency landfill is 0 except on rare days.
"""

from __future__ import annotations

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

WATER_EPISODE_DAY_CHANCE = 0.03
PM_EPISODE_BLOCK_CHANCE = 0.3
PM_EPISODE_BLOCK_DAYS = 3
PM_EPISODE_MONTHS = frozenset({12, 1, 2})
O3_SEASON_MONTHS = frozenset({5, 6, 7, 8, 9})
LANDFILL_EMERGENCY_DAY_CHANCE = 0.01
DRIFT_PERIOD = timedelta(days=7)
NOISE = 0.08  # relative spread of hour-to-hour noise

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

# Typical Class Ⅱ–Ⅲ levels of an automatic water station (mg/L unless the parameter says otherwise).
WATER_BASE: Mapping[str, float] = MappingProxyType(
    {
        "ph": 7.4,
        "codmn": 3.4,
        "nh3n": 0.32,
        "tp": 0.11,
        "tn": 1.6,
        "conductivity": 320.0,
        "turbidity": 18.0,
    }
)
# Class Ⅱ target sections (cleaner headwaters) run at this share of the base pollutant levels.
CLEAN_SECTION_FACTOR = 0.6
# A Class Ⅳ episode: NH3-N in (1.0, 1.5], CODMn in (6, 10], DO in [3, 5).
EPISODE_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "nh3n": (1.05, 1.45),
        "codmn": (6.3, 9.5),
        "do": (3.3, 4.8),
    }
)
FLOW_OVER_ECO_MINIMUM = 3.0

# Daily tonnes as a share of capacity, by facility type and route.
WASTE_LOAD: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "incineration": {"incinerated": 0.88},
        "food_waste": {"food_waste": 0.8},
        "recycling": {"recycled": 0.7},
        "landfill": {"landfilled": 0.0},
        "industrial": {"industrial_generated": 0.9},
    }
)
INDUSTRIAL_UTILIZED_SHARE = 0.82
INDUSTRIAL_DISPOSED_SHARE = 0.16


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
    """A draw in [-1, 1) (sum of two uniforms, so values near 0 are likelier)."""
    return unit(seed, *keys, "a") + unit(seed, *keys, "b") - 1.0


def between(seed: int, low: float, high: float, *keys: object) -> float:
    return low + (high - low) * unit(seed, *keys)


def _decimal(value: float, places: int) -> Decimal:
    return Decimal(f"{max(value, 0.0):.{places}f}")


def _season(moment: datetime) -> float:
    """+1 at the end of July (warmest), -1 at the end of January."""
    return math.sin(2 * math.pi * (moment.timetuple().tm_yday - 120) / 365.25)


def _drift(seed: int, station: str, moment: datetime) -> float:
    """A slow multiplier in [0.85, 1.15], interpolated between weekly anchors so it never jumps."""
    epoch = datetime(2000, 1, 3, tzinfo=BEIJING_TIME)
    weeks = (moment - epoch) / DRIFT_PERIOD
    week, into = math.floor(weeks), weeks - math.floor(weeks)
    before, after = (1 + 0.15 * centred(seed, station, "drift", w) for w in (week, week + 1))
    return before + (after - before) * into


def _noisy(seed: int, station: str, parameter: str, moment: datetime, value: float) -> float:
    return value * (1 + NOISE * centred(seed, station, parameter, moment.isoformat()))


def water_episode(seed: int, station: str, day: date) -> bool:
    return unit(seed, station, "class-iv-episode", day.isoformat()) < WATER_EPISODE_DAY_CHANCE


def water_values(seed: int, spec: StationSpec, moment: datetime) -> dict[str, Decimal]:
    local = local_time.local(moment)
    drift = _drift(seed, spec.code, local)
    cleanliness = CLEAN_SECTION_FACTOR if spec.target_class is not None and spec.target_class <= 2 else 1.0
    temp = 18.5 + 10.5 * _season(local) + 1.2 * math.sin(2 * math.pi * (local.hour - 9) / 24)
    # Oxygen saturation falls as water warms; rivers run at roughly 85 % of saturation.
    saturation = 14.6 - 0.39 * temp + 0.0068 * temp**2
    raw: dict[str, float] = {
        "temp": temp,
        "do": _noisy(seed, spec.code, "do", local, 0.85 * saturation * (2 - drift) ** 0.3),
        "ph": WATER_BASE["ph"] + 0.25 * centred(seed, spec.code, "ph", local.isoformat()),
    }
    for parameter in ("codmn", "nh3n", "tp", "tn"):
        raw[parameter] = _noisy(seed, spec.code, parameter, local, WATER_BASE[parameter] * cleanliness * drift)
    for parameter in ("conductivity", "turbidity"):
        raw[parameter] = _noisy(seed, spec.code, parameter, local, WATER_BASE[parameter] * drift)
    if spec.eco_flow_min_m3s is not None:
        wet = 1 + 0.5 * _season(local + timedelta(days=60))  # the plum-rain season peaks in June
        raw["flow"] = _noisy(
            seed, spec.code, "flow", local, float(spec.eco_flow_min_m3s) * FLOW_OVER_ECO_MINIMUM * wet * drift
        )
    if water_episode(seed, spec.code, local.date()):
        for parameter, (low, high) in EPISODE_RANGES.items():
            raw[parameter] = between(seed, low, high, spec.code, parameter, "episode", local.isoformat())
    return {parameter: _decimal(value, PLACES[parameter]) for parameter, value in raw.items()}


def pm_episode(seed: int, day: date) -> bool:
    """Winter PM2.5 episodes are regional: the whole city shares them, in blocks of a few days."""
    if day.month not in PM_EPISODE_MONTHS:
        return False
    block = day.toordinal() // PM_EPISODE_BLOCK_DAYS
    return unit(seed, "pm-episode", block) < PM_EPISODE_BLOCK_CHANCE


def air_values(seed: int, spec: StationSpec, moment: datetime) -> dict[str, Decimal]:
    local = local_time.local(moment)
    key = (spec.code, local.isoformat())
    winter = max(0.0, -_season(local))
    pm25 = (26 + 22 * winter) * _drift(seed, spec.code, local)
    if pm_episode(seed, local.date()):
        pm25 *= between(seed, 2.3, 3.4, "pm-episode-strength", local.date().isoformat())
    pm25 *= 1 + 0.25 * centred(seed, *key, "pm25")
    sunshine = max(0.0, math.sin(math.pi * (local.hour - 7) / 12))  # 07:00–19:00, peak at 13:00
    o3_amplitude = 135.0 if local.month in O3_SEASON_MONTHS else 70.0
    o3 = (35 + o3_amplitude * sunshine**1.5) * (1 + 0.2 * centred(seed, *key, "o3"))
    rush = 1 + 0.35 * (math.exp(-((local.hour - 8) ** 2) / 4) + math.exp(-((local.hour - 18) ** 2) / 4))
    raw = {
        "pm25": pm25,
        "pm10": pm25 * (1.55 + 0.2 * centred(seed, *key, "pm10")),
        "so2": (7 + 3 * winter) * (1 + 0.3 * centred(seed, *key, "so2")),
        # NO2 is eaten by the afternoon O3 chemistry and peaks with the rush hours.
        "no2": (28 + 10 * winter) * rush * (1 - 0.3 * sunshine) * (1 + 0.2 * centred(seed, *key, "no2")),
        "co": (0.55 + 0.35 * winter) * (1 + 0.2 * centred(seed, *key, "co")),
        "o3": o3,
    }
    return {parameter: _decimal(value, PLACES[parameter]) for parameter, value in raw.items()}


def landfill_emergency(seed: int, day: date) -> bool:
    return unit(seed, "landfill-emergency", day.isoformat()) < LANDFILL_EMERGENCY_DAY_CHANCE


def waste_values(seed: int, spec: StationSpec, moment: datetime) -> dict[str, Decimal]:
    day = local_time.local_date(moment)
    if spec.facility_type is None or spec.capacity_t_per_day is None:
        raise ValueError(f"waste station {spec.code} needs facility_type and capacity_t_per_day")
    capacity = float(spec.capacity_t_per_day)
    raw = {
        route: capacity * share * (1 + 0.05 * centred(seed, spec.code, route, day.isoformat()))
        for route, share in WASTE_LOAD[spec.facility_type].items()
    }
    if spec.facility_type == "landfill" and landfill_emergency(seed, day):
        raw["landfilled"] = between(seed, 0.1, 0.4, spec.code, "emergency", day.isoformat()) * capacity
    if "industrial_generated" in raw:
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
