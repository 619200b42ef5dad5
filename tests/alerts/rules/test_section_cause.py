"""How an alert names the items that decide a section's class: at reporting precision; on the exact class
basis with the exact digits added where rounding would hide the class (GB/T 8170 全数值比较法)."""

from __future__ import annotations

from typing import Any

import pytest

from services.alerts.rules.metrics.water import section_cause
from services.standards import water


def _row(water_class: int, waterbody: str = "river", **means: str) -> dict[str, Any]:
    return {"water_class": water_class, "waterbody": waterbody, "determining_items": list(means), "means": means}


@pytest.mark.parametrize(
    ("row", "cause"),
    [
        (_row(4, tp="0.21"), "Ⅳ类 (TP 0.21 mg/L)"),
        (_row(3, tp="0.2"), "Ⅲ类 (TP 0.20 mg/L)"),  # at the limit: Class Ⅲ, as printed
        (_row(4, tp="0.2004"), "Ⅳ类 (TP 0.20 mg/L [全数值 0.2004])"),
        (_row(4, tp="0.205"), "Ⅳ类 (TP 0.20 mg/L [全数值 0.205])"),  # half to even would print 0.20
        (_row(4, do="4.996"), "Ⅳ类 (DO 5.0 mg/L [全数值 4.996])"),  # DO is a minimum: 5.0 would read Ⅲ
        (_row(4, tp="0.20000000001"), "Ⅳ类 (TP 0.20 mg/L [全数值劣于Ⅲ类限值])"),
        (_row(4, tp="0.2004", nh3n="1.2"), "Ⅳ类 (TP 0.20 mg/L [全数值 0.2004]，NH3-N 1.20 mg/L)"),
        (_row(4, "lake", tp="0.0501"), "Ⅳ类 (TP 0.050 mg/L [全数值 0.0501])"),  # lake limits, 0.001 mg/L
    ],
)
def test_on_the_exact_basis_the_cause_shows_what_decides_the_class(row: dict[str, Any], cause: str) -> None:
    assert section_cause(water.EXACT_BASIS, row) == cause


@pytest.mark.parametrize(
    ("row", "cause"),
    [
        (_row(4, tp="0.21"), "Ⅳ类 (TP 0.21 mg/L)"),
        (_row(3, tp="0.2004"), "Ⅲ类 (TP 0.20 mg/L)"),  # classed as published: the figure shows the class
        (_row(4, tp="0.2051"), "Ⅳ类 (TP 0.21 mg/L)"),
        (_row(4, do="4.94"), "Ⅳ类 (DO 4.9 mg/L)"),
        (_row(4, "lake", tp="0.0506"), "Ⅳ类 (TP 0.051 mg/L)"),
    ],
)
def test_on_the_published_basis_the_figure_shows_its_class(row: dict[str, Any], cause: str) -> None:
    assert section_cause(water.DEFAULT_BASIS, row) == cause
