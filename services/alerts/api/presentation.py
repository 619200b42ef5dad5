"""How the API publishes a figure: once, from its exact value, through services/standards/reporting.py.

By default a figure is published at its reporting precision (GB/T 8170; the deployment's
``settings.precision_table``): concentrations by parameter (TP by waterbody), shares as percentages
to 0.1 %, tonnage to 0.1 t. With ``?exact=true`` a consumer gets the exact computed value instead, in
the same field and unit, without trailing zeros. Neither ever uses exponent notation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction

from services.standards.reporting import PrecisionTable, plain

# Stored figures carry at most ~40 significant digits; scaling them to percent must not round.
_EXACT = Context(prec=100)
# air_daily columns that hold a pollutant under another name
_POLLUTANT_OF_COLUMN = {"o3_8h": "o3", "o3_1h_max": "o3"}


def exact_text(value: Decimal) -> str:
    """An exact Decimal in plain notation without trailing zeros (``0E-24`` → ``0``, ``1.50`` → ``1.5``)."""
    text = plain(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class Publisher:
    table: PrecisionTable
    exact: bool = False

    @property
    def figures(self) -> str:
        return "exact" if self.exact else "published"

    def percent(self, share: Decimal | None) -> str | None:
        """A share in [0, 1] as a percentage."""
        if share is None:
            return None
        if self.exact:
            return exact_text(share.scaleb(2, _EXACT))
        return plain(self.table.percent_value(share))

    def count_percent(self, part: int, whole: int) -> str:
        """A ratio of counts (e.g. days observed of days expected): always at 0.1 %, its counts beside it."""
        return plain(self.table.percent_value(Fraction(part, whole)))

    def concentration(self, parameter: str, value: Decimal | None, *, lake: bool = False) -> str | None:
        if value is None:
            return None
        if self.exact:
            return exact_text(value)
        return plain(self.table.concentration_value(_POLLUTANT_OF_COLUMN.get(parameter, parameter), value, lake=lake))

    def tonnage(self, tonnes: Decimal | None) -> str | None:
        if tonnes is None:
            return None
        return exact_text(tonnes) if self.exact else plain(self.table.tonnage_value(tonnes))
