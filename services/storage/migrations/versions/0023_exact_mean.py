"""Figures: ``exact_mean(total, samples)``, the mean of GB 3095's statistics as ``services.standards.validity``
states it, for the figures computed set-based in SQL.

Revision ID: 0023_exact_mean
Revises: 0022_forget_pending_only_alerts
Create Date: 2026-12-03

``validity`` keeps a mean exact when it terminates within 20 decimal places and otherwise rounds it half-even
there (``validity._as_decimal``, ``NON_TERMINATING_PLACES``). The function does the same with numeric
arithmetic: the floor quotient and remainder of ``total × 10²⁰`` by ``samples`` (as Python's ``divmod``),
then half-even on the remainder. Written as single-expression SQL functions, so the planner inlines them
(hence not declared strict, which would stop that; a NULL argument gives NULL all the same).
tests/storage/test_exact_mean.py proves the equality on random totals.
"""

from __future__ import annotations

from alembic import op

revision = "0023_exact_mean"
down_revision = "0022_forget_pending_only_alerts"
branch_labels = None
depends_on = None

PLACES = 20  # services.standards.validity.NON_TERMINATING_PLACES, fixed here as a migration must not change


def upgrade() -> None:
    # The remainder of y by n > 0 in [0, n), as Python's y % n (PostgreSQL's mod takes the sign of y).
    op.execute("""
        create function floor_remainder(y numeric, n numeric) returns numeric
        language sql immutable parallel safe
        return mod(y, n) + case when mod(y, n) < 0 then n else 0 end
    """)
    # y / n rounded half-even to an integer, given y's floor remainder r (y - r is a multiple of n).
    op.execute("""
        create function half_even_quotient(y numeric, n numeric, r numeric) returns numeric
        language sql immutable parallel safe
        return div(y - r, n) + case when 2 * r > n or (2 * r = n and mod(div(y - r, n), 2) <> 0) then 1 else 0 end
    """)
    op.execute(f"""
        create function exact_mean(total numeric, samples bigint) returns numeric
        language sql immutable parallel safe
        return trim_scale(
            half_even_quotient(total * 1e{PLACES}, samples, floor_remainder(total * 1e{PLACES}, samples))
            * 1e-{PLACES}
        )
    """)


def downgrade() -> None:
    op.execute("drop function exact_mean(numeric, bigint)")
    op.execute("drop function half_even_quotient(numeric, numeric, numeric)")
    op.execute("drop function floor_remainder(numeric, numeric)")
