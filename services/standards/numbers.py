"""Exact number handling shared by the rules: every input becomes a :class:`~decimal.Decimal`."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from fractions import Fraction

Number = Decimal | str | int | float

_DECIMAL_PLACES = {0: Decimal("1"), 1: Decimal("0.1"), 2: Decimal("0.01"), 3: Decimal("0.001")}


def to_decimal(value: Number) -> Decimal:
    """Convert an input number exactly; a float goes through its repr, so 2.2 stays 2.2.

    Raises ``ValueError`` for anything that is not a finite number.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def round_half_even(value: Decimal, places: int) -> Decimal:
    """GB/T 8170 rounding (四舍六入五成双) to ``places`` decimals."""
    return value.quantize(_DECIMAL_PLACES.get(places) or Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def fraction_to_decimal(value: Fraction, *, significant_digits: int) -> Decimal:
    """A rational as a Decimal: exact when it terminates within ``significant_digits``, else half-even."""
    context = Context(prec=significant_digits, rounding=ROUND_HALF_EVEN)
    return context.divide(Decimal(value.numerator), Decimal(value.denominator))


def ceil_to_int(value: Decimal | Fraction) -> int:
    """Round up to a whole number (向上进位取整数), exactly."""
    if isinstance(value, Fraction):
        return -((-value.numerator) // value.denominator)
    return int(value.to_integral_value(rounding=ROUND_CEILING))
