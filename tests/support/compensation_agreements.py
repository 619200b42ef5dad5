"""Agreements and sample summaries for the engine tests, built from plain data."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.compensation.agreements import Agreement, parse_agreement
from services.compensation.document import StatementDocument
from services.compensation.engine import EngineInput, SectionInfo, compute
from services.compensation.periods import parse_period
from services.compensation.samples import Summary

SECTION = "PYJ-JINHUA"
INBOUND = "PYJ-ANHUA"
SECTIONS = {
    SECTION: SectionInfo(SECTION, "浦阳江进化断面", "national", "river", "诸暨市"),
    INBOUND: SectionInfo(INBOUND, "浦阳江安华断面", "provincial", "river", "诸暨市"),
}
MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]


def agreement(**overrides: Any) -> Agreement:
    data: dict[str, Any] = {
        "id": "TEST-PYJ",
        "name": "测试协议",
        "river": "浦阳江",
        "parties": {
            "upstream": {"name": "诸暨市", "code": "zhuji"},
            "downstream": {"name": "萧山区", "code": "xiaoshan"},
        },
        "term": {"start": "2024-01-01", "end": "2026-12-31"},
        "assessment_period": {"kind": "year"},
        "calculation_granularity": "month",
        "sections": [{"code": SECTION, "role": "assessment", "weight": 1}],
        "indicators": [
            {"code": "codmn", "baseline": "2.00"},
            {"code": "nh3n", "baseline": "0.100"},
            {"code": "tp", "baseline": "0.040"},
            {"code": "tn", "baseline": "1.20"},
        ],
        "data_rules": {"min_valid": {"automatic": {"count": 2}, "joint-manual": {"count": 1}, "manual": {"count": 1}}},
        "components": [],
    }
    data.update(overrides)
    return parse_agreement(data)


def monthly(
    values: Mapping[str, str],
    months: list[str] = MONTHS_2025,
    *,
    station: str = SECTION,
    source: str = "manual",
    count: int = 1,
) -> list[Summary]:
    """Every month the same mean for each parameter: ``count`` samples summing to count × value."""
    return [
        Summary(station, code, month, source, True, count, Decimal(value) * count)
        for month in months
        for code, value in values.items()
    ]


def run(agreement_: Agreement, period: str, summaries: list[Summary], **extra: Any) -> StatementDocument:
    return compute(
        EngineInput(
            agreement=agreement_,
            agreement_version=1,
            rule_sha256="0" * 64,
            period=parse_period(agreement_, period),
            summaries=tuple(summaries),
            input_sha256="1" * 64,
            sections=SECTIONS,
            **extra,
        )
    )
