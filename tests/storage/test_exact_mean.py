"""``exact_mean`` in SQL (migration 0023) equals GB 3095's mean as ``services.standards.validity`` states it:
exact when it terminates within 20 places, else rounded half-even there."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from services.standards import validity

pytestmark = pytest.mark.integration

TOTALS = st.one_of(
    st.decimals(-(10**6), 10**6, places=3, allow_nan=False, allow_infinity=False),
    st.decimals(0, 10**9, places=20, allow_nan=False, allow_infinity=False),
    st.integers(-(10**12), 10**12).map(Decimal),
    st.decimals(0, 1, places=30, allow_nan=False, allow_infinity=False),
)


def _sql_mean(engine: Engine, total: Decimal, samples: int) -> Decimal:
    with engine.connect() as connection:
        value: Decimal = connection.execute(
            text("select exact_mean(cast(:total as numeric), :samples)"), {"total": str(total), "samples": samples}
        ).scalar_one()
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(total=TOTALS, samples=st.integers(1, 10_000))
def test_sql_exact_mean_equals_the_standards_mean(db: Engine, total: Decimal, samples: int) -> None:
    assert _sql_mean(db, total, samples) == validity._as_decimal(Fraction(total) / samples)


@pytest.mark.parametrize(
    ("total", "samples", "expected"),
    [
        ("300", "3", "100"),  # terminates: exact
        ("1", "3", "0.33333333333333333333"),  # 20 places, rounded down
        ("2", "3", "0.66666666666666666667"),  # rounded up
        # 1e-20 / 2 = 0.5e-20: a tie at the 20th place, to the even 0
        ("0.00000000000000000001", "2", "0"),
        # 3e-20 / 2 = 1.5e-20: a tie, to the even 2e-20
        ("0.00000000000000000003", "2", "0.00000000000000000002"),
        ("-1", "3", "-0.33333333333333333333"),  # floor division then half-even, as divmod
    ],
)
def test_exact_mean_rounds_half_even_at_twenty_places(db: Engine, total: str, samples: str, expected: str) -> None:
    assert _sql_mean(db, Decimal(total), int(samples)) == Decimal(expected)
    assert validity._as_decimal(Fraction(Decimal(total)) / int(samples)) == Decimal(expected)
