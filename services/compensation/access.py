"""Roles, party scoping and who may move a statement to which status."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.compensation.agreements import Agreement


class Role(StrEnum):
    VIEWER = "viewer"
    BUREAU = "bureau"  # environment bureau: computes and confirms the assessment result
    FINANCE = "finance"  # finance bureau: computes, approves the amount, notifies, records payment
    ADMIN = "admin"  # edits agreements and principals; signs nothing off


class Forbidden(PermissionError):
    """The principal's role may not do this."""


class StateConflict(ValueError):
    """The statement is not in a state that allows this."""


# draft → confirmed (bureau) → approved (finance) → notified → paid
TRANSITIONS: dict[str, tuple[str, frozenset[Role]]] = {
    "confirmed": ("draft", frozenset({Role.BUREAU})),
    "approved": ("confirmed", frozenset({Role.FINANCE})),
    "notified": ("approved", frozenset({Role.FINANCE})),
    "paid": ("notified", frozenset({Role.FINANCE})),
}
PRINCIPAL_NAME = r"^[A-Za-z0-9_.@-]{2,64}$"
MIN_PASSWORD_LENGTH = 8
COMPUTE_ROLES = frozenset({Role.BUREAU, Role.FINANCE})
RECALCULATE_ROLES = frozenset({Role.BUREAU})


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    parties: frozenset[str]  # party codes; empty = every agreement (city level)

    def sees(self, agreement: Agreement) -> bool:
        return not self.parties or bool(self.parties & agreement.party_codes)

    def require(self, roles: frozenset[Role], action: str) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(f"role {self.role.value!r} may not {action}; needs one of: {allowed}")


def check_transition(principal: Principal, current: str, target: str) -> None:
    if target not in TRANSITIONS:
        raise ValueError(f"unknown status {target!r}; one of {', '.join(TRANSITIONS)}")
    required, roles = TRANSITIONS[target]
    principal.require(roles, f"move a statement to {target!r}")
    if current != required:
        raise StateConflict(f"a {current!r} statement cannot become {target!r}; it must be {required!r} first")
