"""Administration: the audit log and principals (admin only)."""

from typing import Annotated

from fastapi import APIRouter, Query

from services.compensation import auth, repository
from services.compensation.access import Role, StateConflict
from services.compensation.api.deps import Db, Who
from services.compensation.api.models import REFUSALS, AuditEntry, PrincipalBody, PrincipalOut

router = APIRouter(tags=["administration"], responses=REFUSALS)
ADMIN_ONLY = frozenset({Role.ADMIN})
AUDIT_PAGE = 1000


@router.get("/audit")
def audit_log(connection: Db, who: Who, limit: Annotated[int, Query(ge=1, le=AUDIT_PAGE)] = 200) -> list[AuditEntry]:
    who.require(ADMIN_ONLY, "read the audit log")
    return [AuditEntry(**entry) for entry in repository.audit_entries(connection, limit)]


@router.post("/principals", status_code=201)
def add_principal(connection: Db, who: Who, body: PrincipalBody) -> PrincipalOut:
    who.require(ADMIN_ONLY, "manage principals")
    if auth.exists(connection, body.name):
        raise StateConflict(f"a principal {body.name!r} already exists")
    api_key = None
    if body.password:
        auth.create_user(connection, body.name, body.password, body.role, body.parties)
    else:
        api_key = auth.create_api_key(connection, body.name, body.role, body.parties)
    repository.record_audit(
        connection,
        who.name,
        "principal.create",
        f"principal:{body.name}",
        {"role": body.role.value, "parties": sorted(body.parties)},
    )
    return PrincipalOut(name=body.name, role=body.role, parties=sorted(body.parties), api_key=api_key)
