"""Server-rendered pages for finance staff: agreements, statements, one statement with exports and sign-off.

Every form posted with the session cookie carries a CSRF token derived from that session (see
:func:`csrf_token`); a POST whose token does not match is refused with 403 and recorded.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from services.compensation import auth, repository, statements
from services.compensation.access import TRANSITIONS, Forbidden, Principal, StateConflict
from services.compensation.exports import FORMATS, StatementView, lines
from services.compensation.repository import NotFound
from services.compensation.settings import CompensationSettings

SESSION_COOKIE = "envmon_compensation"
HERE = Path(__file__).parent
SEE_OTHER = 303
FORBIDDEN = 403
CSRF_FIELD = "csrf"
CSRF_DOMAIN = b"envmon-compensation-csrf\0"  # keeps the form token distinct from the stored token hash


def csrf_token(session: str) -> str:
    """The session's form token: only a page served to the cookie's holder can know it; no server state."""
    return hashlib.sha256(CSRF_DOMAIN + session.encode()).hexdigest()


def csrf_valid(request: Request, submitted: str) -> bool:
    session = request.cookies.get(SESSION_COOKIE)
    return session is not None and hmac.compare_digest(submitted.encode(), csrf_token(session).encode())


def add_pages(
    app: FastAPI, engine: Engine, settings: CompensationSettings, principal: Callable[..., Principal]
) -> None:
    templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="static")

    def who(request: Request) -> Principal | None:
        with engine.connect() as conn:
            try:
                return principal(request, conn)
            except Exception:  # no session: the page sends the user to the login form
                return None

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        session = request.cookies.get(SESSION_COOKIE)
        context[CSRF_FIELD] = csrf_token(session) if session else ""
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def forged(request: Request, user: Principal | None) -> HTMLResponse:
        with engine.begin() as conn:
            repository.record_audit(
                conn,
                user.name if user else "anonymous",
                "request.rejected",
                request.url.path,
                {"status": FORBIDDEN, "detail": "missing or wrong CSRF token", "method": request.method},
            )
        return page(
            request,
            "error.html",
            status_code=FORBIDDEN,
            user=user,
            error="表单已失效，请刷新页面后重试 (missing or wrong CSRF token; reload the page)",
        )

    @app.get("/ui/login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return page(request, "login.html", error=None)

    @app.post("/ui/login", response_model=None)
    def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> Response:
        with engine.begin() as conn:
            token = auth.issue_token(conn, username, password, settings.compensation_token_minutes)
        if token is None:
            return page(request, "login.html", error="用户名或密码错误 (wrong user name or password)")
        response = RedirectResponse("/ui/", status_code=SEE_OTHER)
        response.set_cookie(
            SESSION_COOKIE, token, httponly=True, samesite="strict", max_age=settings.compensation_token_minutes * 60
        )
        return response

    @app.post("/ui/logout", response_model=None)
    def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        if not csrf_valid(request, csrf):
            return forged(request, who(request))
        response = RedirectResponse("/ui/login", status_code=SEE_OTHER)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/ui/", response_model=None)
    def home(request: Request) -> Response:
        user = who(request)
        if user is None:
            return RedirectResponse("/ui/login", status_code=SEE_OTHER)
        with engine.connect() as conn:
            agreements = [s for s in repository.latest_agreements(conn) if user.sees(s.agreement)]
            rows = repository.list_statements(conn, [s.agreement.id for s in agreements])
        return page(request, "index.html", user=user, agreements=agreements, statements=rows)

    @app.get("/ui/statements/{statement_id}", response_model=None)
    def statement_page(request: Request, statement_id: int, error: str | None = None) -> Response:
        user = who(request)
        if user is None:
            return RedirectResponse("/ui/login", status_code=SEE_OTHER)
        with engine.connect() as conn:
            try:
                row = repository.statement(conn, statement_id)
                stored = repository.agreement_version(conn, row["agreement_id"])
                if not user.sees(stored.agreement):
                    raise NotFound(f"unknown statement {statement_id}")
            except NotFound as missing:
                return page(request, "error.html", user=user, error=str(missing))
            view = StatementView(row, repository.events(conn, statement_id))
        actions = [
            target for target, (source, roles) in TRANSITIONS.items() if source == row["status"] and user.role in roles
        ]
        return page(
            request,
            "statement.html",
            user=user,
            view=view,
            document=view.document,
            lines=lines(view),
            formats=list(FORMATS),
            actions=actions,
            error=error,
        )

    @app.post("/ui/statements/{statement_id}/transition", response_model=None)
    def transition(
        request: Request, statement_id: int, status: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
    ) -> Response:
        user = who(request)
        if user is None:
            return RedirectResponse("/ui/login", status_code=SEE_OTHER)
        if not csrf_valid(request, csrf):
            return forged(request, user)
        try:
            with engine.begin() as conn:
                row = repository.statement(conn, statement_id)
                if not user.sees(repository.agreement_version(conn, row["agreement_id"]).agreement):
                    raise NotFound(f"unknown statement {statement_id}")
                statements.transition(conn, user, statement_id, status, "via finance page")
        except (NotFound, Forbidden, StateConflict, ValueError) as refused:
            return statement_page(request, statement_id, error=str(refused))
        return RedirectResponse(f"/ui/statements/{statement_id}", status_code=SEE_OTHER)
