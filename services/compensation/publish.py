"""The statement document at reporting precision: what the API, pages and exports publish.

The stored document is exact; this rounds a copy, once, through ``services.standards.reporting``:
concentrations per parameter (GB/T 8170), ratios and indices to 0.0001, money to the fen (half up),
pollutant loads to the kilogram, volumes to the cubic metre. Agreement parameters (baselines, weights,
prices, K0) are shown as the agreement states them. ``?exact=true`` on the API returns the stored copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from services.compensation.document import (
    AttainmentRateWorking,
    Cell,
    ChangeIndexWorking,
    ClassStepWorking,
    ComponentWorking,
    FluxLine,
    FluxPeriod,
    FluxWorking,
    IndexTerm,
    IndexThresholdWorking,
    IndicatorRow,
    StatementDocument,
)
from services.standards.reporting import Precision, PrecisionTable, money, ratio, round_exact

# [I]: a clerk re-multiplies tonnes × price, so loads keep three places (1 kg) beside money to the fen
POLLUTANT_LOAD = Precision(3, "pollutant load to 0.001 t (1 kg) [I]", verified=False)
VOLUME = Precision(0, "water volume to 1 m³ [I]", verified=False)


class Publisher:
    def __init__(self, table: PrecisionTable, lake: bool) -> None:
        self.table = table
        self.lake = lake

    def concentration(self, code: str, value: Decimal) -> Decimal:
        return self.table.concentration_value(code, value, lake=self.lake)

    def concentrations(self, values: Mapping[str, Decimal]) -> dict[str, Decimal]:
        return {code: self.concentration(code, value) for code, value in values.items()}

    def cell(self, code: str, cell: Cell) -> Cell:
        if cell.mean is None:
            return cell
        return cell.model_copy(update={"mean": self.concentration(code, cell.mean)})

    def indicator(self, row: IndicatorRow) -> IndicatorRow:
        return row.model_copy(
            update={
                "mean": None if row.mean is None else self.concentration(row.indicator, row.mean),
                "ratio": None if row.ratio is None else ratio(row.ratio),
                "calculation": {label: self.cell(row.indicator, c) for label, c in row.calculation.items()},
            }
        )

    def component(self, working: ComponentWorking) -> ComponentWorking:
        figures: dict[str, object] = {"amount_unrounded": money(working.amount_unrounded)}
        if isinstance(working, IndexThresholdWorking):
            figures |= {
                "terms": {
                    code: IndexTerm(
                        mean=self.concentration(code, t.mean),
                        baseline=t.baseline,
                        ratio=ratio(t.ratio),
                        weight=t.weight,
                        weighted_ratio=ratio(t.weighted_ratio),
                    )
                    for code, t in working.terms.items()
                },
                "sum_weighted_ratio": ratio(working.sum_weighted_ratio),
                "p_value": ratio(working.p_value),
            }
        elif isinstance(working, ClassStepWorking):
            figures |= {"means": self.concentrations(working.means), "uncapped": money(working.uncapped)}
        elif isinstance(working, ChangeIndexWorking):
            figures |= {
                "means": self.concentrations(working.means),
                "means_year_before": self.concentrations(working.means_year_before),
                "ratios": {c: ratio(v) for c, v in working.ratios.items()},
                "ratios_year_before": {c: ratio(v) for c, v in working.ratios_year_before.items()},
                "index": ratio(working.index),
                "index_year_before": ratio(working.index_year_before),
                "change_points": ratio(working.change_points),
                "uncapped": money(working.uncapped),
            }
        elif isinstance(working, FluxWorking):
            figures["periods"] = {
                label: FluxPeriod(
                    volume_m3=round_exact(period.volume_m3, VOLUME),
                    indicators={
                        code: FluxLine(
                            mean=self.concentration(code, line.mean),
                            target=line.target,
                            excess=self.concentration(code, line.excess),
                            tonnes=round_exact(line.tonnes, POLLUTANT_LOAD),
                            price_per_t=line.price_per_t,
                            amount=money(line.amount),
                        )
                        for code, line in period.indicators.items()
                    },
                )
                for label, period in working.periods.items()
            }
        elif isinstance(working, AttainmentRateWorking):
            figures["rate"] = ratio(working.rate)
        return working.model_copy(update=figures)


def published(document: StatementDocument, table: PrecisionTable) -> StatementDocument:
    """A copy of ``document`` with every computed figure at reporting precision."""
    lake = any(s.waterbody == "lake" for s in document.sections if s.role == "assessment")
    publisher = Publisher(table, lake)
    update: dict[str, object] = {
        "indicators": [publisher.indicator(row) for row in document.indicators],
        "components": [publisher.component(c) for c in document.components],
    }
    adjustments = document.adjustments
    if adjustments is not None and adjustments.inbound_deduction is not None:
        deduction = adjustments.inbound_deduction
        update["adjustments"] = adjustments.model_copy(
            update={
                "inbound_deduction": deduction.model_copy(
                    update={
                        "inbound_means": publisher.concentrations(deduction.inbound_means),
                        "amount": money(deduction.amount),
                    }
                )
            }
        )
    return document.model_copy(update=update)
