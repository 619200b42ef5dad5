"""The 结算单's wording of joint confirmation (数据互认): months waiting for the same parties read as runs."""

from __future__ import annotations

import pytest

from services.compensation.sheet import month_runs


@pytest.mark.parametrize(
    ("months", "reads"),
    [
        (["2025-06"], "2025-06"),
        ([f"2025-{m:02d}" for m in range(1, 13)], "2025-01 至 2025-12"),
        (["2025-03", "2025-01", "2025-02", "2025-05"], "2025-01 至 2025-03、2025-05"),
        (["2024-12", "2025-01"], "2024-12 至 2025-01"),  # across the new year
        (["2025-02", "2025-02"], "2025-02"),
    ],
)
def test_consecutive_months_read_as_one_run(months: list[str], reads: str) -> None:
    assert month_runs(months) == reads
