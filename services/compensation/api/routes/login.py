"""OAuth2 password grant: a bearer token for a user (the pages use the same token as a cookie)."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from pydantic import StringConstraints

from services.compensation import auth
from services.compensation.api.deps import Db, SettingsDep
from services.compensation.api.models import NO_CONTROL, REFUSALS, TokenOut

router = APIRouter(tags=["login"], responses={k: REFUSALS[k] for k in (400, 401, 422)})

UserName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_CONTROL)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=NO_CONTROL)]


@router.post("/token")
def token(
    connection: Db, settings: SettingsDep, username: Annotated[UserName, Form()], password: Annotated[Password, Form()]
) -> TokenOut:
    issued = auth.issue_token(connection, username, password, settings.compensation_token_minutes)
    if issued is None:
        raise HTTPException(401, "wrong user name or password")
    return TokenOut(access_token=issued, expires_in=settings.compensation_token_minutes * 60)
