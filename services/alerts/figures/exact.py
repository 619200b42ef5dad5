"""Exact arithmetic helpers for stored figures: means of Decimals and shares from Fractions."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext
from fractions import Fraction

from services.standards.numbers import fraction_to_decimal

# Significant digits of a mean or share that does not terminate: far more than any reported figure needs.
STORED_PRECISION = 40


def exact_mean(values: Sequence[Decimal]) -> Decimal:
    """The mean, exact when it terminates within 40 significant digits (the sum itself is exact)."""
    with localcontext() as context:
        context.prec = STORED_PRECISION
        return sum(values, Decimal(0)) / len(values)


def as_decimal(value: Fraction | None) -> Decimal | None:
    """A share as a Decimal to 40 significant digits (None stays None)."""
    return None if value is None else fraction_to_decimal(value, significant_digits=STORED_PRECISION)
