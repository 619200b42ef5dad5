"""Status colours and labels from services.standards, so a board cannot disagree with the KPI service.

- GB 3838-2002 classes in the colours of 环办〔2011〕22号 (Ⅰ–Ⅱ 蓝, Ⅲ 绿, Ⅳ 黄, Ⅴ 橙, 劣Ⅴ 红):
  ``services.standards.water.LABELS`` and ``COLOURS``;
- AQI categories in HJ 633's RGB colours: ``services.standards.aqi.CATEGORIES``;
- a share against a plan target: green from the target up, red below.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.models.dashboard import (
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
)

from services.standards import aqi, water

# Grafana's palette for the colour names GB 3838 practice uses.
GRAFANA_COLOURS = {"蓝": "blue", "绿": "green", "黄": "yellow", "橙": "orange", "红": "red"}
CLASSES = range(1, len(water.LABELS) + 1)


def thresholds(*steps: tuple[float | None, str]) -> ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (from minus infinity)."""
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([Threshold(value=v, color=c) for v, c in steps])


def water_class_colour(water_class: int) -> str:
    return GRAFANA_COLOURS[water.class_colour(water_class)]


def water_class_thresholds() -> ThresholdsConfig:
    """A class number (1–6) coloured as GB 3838 practice colours it."""
    return thresholds(*((None if n == 1 else n, water_class_colour(n)) for n in CLASSES))


def water_class_mappings() -> list[ValueMap]:
    """A class number shown as its label (Ⅲ类, 劣Ⅴ类) in its colour."""
    return [
        ValueMap(
            {
                str(n): ValueMappingResult(text=f"{water.LABELS[n - 1]}类", color=water_class_colour(n), index=n - 1)
                for n in CLASSES
            }
        )
    ]


def _aqi_lows() -> list[int]:
    return [0, *(c.upper + 1 for c in aqi.CATEGORIES if c.upper is not None)]


def aqi_thresholds() -> ThresholdsConfig:
    lows: list[float | None] = [None, *_aqi_lows()[1:]]
    return thresholds(*((low, c.colour_hex) for low, c in zip(lows, aqi.CATEGORIES, strict=True)))


def target_thresholds(target: int) -> ThresholdsConfig:
    """A share (percent) against a plan target it must reach."""
    return thresholds((None, "red"), (target, "green"))
