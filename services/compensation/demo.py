"""Demo logins for ``make run``: one user per role and party, with known passwords; refused in production.

Every party of the shipped agreements gets a bureau, a finance and a viewer login scoped to it
(``keqiao.finance`` sees only the 西小江 agreement), the city level (``shaoxing.*``, unscoped) the same,
plus one ``admin``. The password of ``NAME`` is ``demo-NAME``. A production service refuses to start
while any of them still opens with that password, as production refuses development broker passwords.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select

from services.common.credentials import verify_password
from services.compensation import auth, repository
from services.compensation.access import Role
from services.compensation.agreements import AGREEMENTS_DIR, load_agreement_files
from services.compensation.tables import principals

CITY = "shaoxing"  # city-level principals see every agreement
PARTY_ROLES = (Role.BUREAU, Role.FINANCE, Role.VIEWER)
DEMO_ACTOR = "system:demo-logins"


class DemoLoginsRefused(RuntimeError):
    """Demo logins in production."""


@dataclass(frozen=True)
class DemoLogin:
    name: str
    password: str
    role: Role
    party: str | None  # None: city level, every agreement
    scope: str  # who it sees, in words


def demo_logins(directory: Path = AGREEMENTS_DIR) -> list[DemoLogin]:
    names = {
        party.code: party.name
        for agreement in load_agreement_files(directory)
        for party in (agreement.parties.upstream, agreement.parties.downstream)
    }
    logins = [DemoLogin("admin", "demo-admin", Role.ADMIN, None, "管理员：协议与用户，不签批")]
    for party in [CITY, *sorted(names)]:
        for role in PARTY_ROLES:
            name = f"{party}.{role.value}"
            scope = "全市，所有协议" if party == CITY else f"{names[party]}的协议"
            logins.append(DemoLogin(name, f"demo-{name}", role, None if party == CITY else party, scope))
    return logins


def create_demo_logins(
    connection: Connection, *, production: bool, directory: Path = AGREEMENTS_DIR
) -> list[DemoLogin]:
    """Create the demo logins that do not exist yet (idempotent); refused in production."""
    if production:
        raise DemoLoginsRefused("demo logins are for development only; production refuses them")
    logins = demo_logins(directory)
    for login in logins:
        if auth.exists(connection, login.name):
            continue
        auth.create_user(connection, login.name, login.password, login.role, [login.party] if login.party else [])
        repository.record_audit(
            connection, DEMO_ACTOR, "principal.create", f"principal:{login.name}", {"role": login.role.value}
        )
    return logins


def refuse_demo_logins(connection: Connection, directory: Path = AGREEMENTS_DIR) -> None:
    """Raise when any demo login still opens with its demo password (call at a production start)."""
    logins = {login.name: login for login in demo_logins(directory)}
    rows = connection.execute(
        select(principals.c.name, principals.c.secret_hash).where(
            principals.c.name.in_(list(logins)), principals.c.kind == "user", principals.c.enabled
        )
    ).all()
    open_ = sorted(name for name, secret in rows if verify_password(logins[name].password, secret))
    if open_:
        raise DemoLoginsRefused(
            f"production refuses demo logins: {', '.join(open_)} still open with their demo passwords; "
            "disable them or change their passwords"
        )


def login_table(logins: list[DemoLogin]) -> str:
    width = max(len(login.name) for login in logins)
    lines = [f"  {'user':<{width}}  {'password':<{width + 5}}  role     sees"]
    lines += [f"  {lo.name:<{width}}  {lo.password:<{width + 5}}  {lo.role.value:<8} {lo.scope}" for lo in logins]
    return "\n".join(lines)
