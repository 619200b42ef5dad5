"""Server-rendered pages for finance staff and bureaus: the statement index, the 结算单, sign-off.

Every form posted with the session cookie carries a CSRF token derived from that session (see
:func:`csrf_token`); a POST whose token does not match is refused with 403 and recorded. Without a
session every page shows the login form (200), so the URL ``make run`` prints answers as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import pathlib
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import StringConstraints
from sqlalchemy import text

from services.compensation import auth, confirmations, repository, statements, upload_log, uploads
from services.compensation.access import COMPUTE_ROLES, TRANSITIONS, Forbidden, Principal, StateConflict
from services.compensation.agreements import FIRST_YEAR, LAST_YEAR
from services.compensation.api.deps import SESSION_COOKIE, EngineDep, SettingsDep, authenticate
from services.compensation.api.errors import STATUS_OF, audit_refusal
from services.compensation.api.models import AGREEMENT_ID, BIGINT_MAX, NO_CONTROL, STATUSES, PeriodLabel
from services.compensation.api.routes.monitoring import visible_sections
from services.compensation.api.scope import visible_agreement, visible_statement
from services.compensation.exports import FORMATS
from services.compensation.periods import Month, PeriodError
from services.compensation.repository import NotFound, NoVersionInForce
from services.compensation.sheet import ACTION_ZH, STATUS_SHORT, grouped
from services.compensation.uploads import MAX_FILE_BYTES, STATION_CODE, UPLOAD_ROLES, UploadRefused
from services.standards.local_time import local, local_date
from services.storage.parties import PARTY_CODE

HERE = pathlib.Path(__file__).resolve().parents[2]
SEE_OTHER = 303
FORBIDDEN = 403
CSRF_FIELD = "csrf"
CSRF_DOMAIN = b"envmon-compensation-csrf\0"  # keeps the form token distinct from the stored token hash

router = APIRouter(prefix="/ui", include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["grouped"] = grouped
templates.env.filters["beijing"] = lambda moment: f"{local(moment):%Y-%m-%d %H:%M}"
StatementId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
UploadId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
UPLOADS_SHOWN = 20
FormText = Annotated[str, StringConstraints(max_length=128, pattern=NO_CONTROL)]


def csrf_token(session: str) -> str:
    """The session's form token: only a page served to the cookie's holder can know it; no server state."""
    return hashlib.sha256(CSRF_DOMAIN + session.encode()).hexdigest()


def csrf_valid(request: Request, submitted: str) -> bool:
    session = request.cookies.get(SESSION_COOKIE)
    return session is not None and hmac.compare_digest(submitted.encode(), csrf_token(session).encode())


def _who(request: Request, engine: Any) -> Principal | None:
    with engine.connect() as connection:
        return authenticate(request, connection)


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session = request.cookies.get(SESSION_COOKIE)
    context[CSRF_FIELD] = csrf_token(session) if session else ""
    context.setdefault("user", None)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _login(request: Request, error: str | None = None) -> HTMLResponse:
    return _page(request, "login.html", error=error, next=request.url.path)


def _poster(request: Request, engine: Any, csrf: str) -> Principal | Response:
    """Who posts a form, or the answer when nobody is logged in or the form's CSRF token is not this session's."""
    user = _who(request, engine)
    if user is None:
        return _login(request)
    if not csrf_valid(request, csrf):
        return _forged(request, engine, user)
    return user


def _forged(request: Request, engine: Any, user: Principal | None) -> HTMLResponse:
    audit_refusal(engine, request, FORBIDDEN, "missing or wrong CSRF token")
    return _page(
        request,
        "error.html",
        status_code=FORBIDDEN,
        user=user,
        error="表单已失效，请刷新页面后重试（missing or wrong CSRF token）",
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login(request)


@router.post("/login", response_model=None)
def login(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    username: Annotated[FormText, Form()],
    password: Annotated[FormText, Form()],
) -> Response:
    with engine.begin() as connection:
        token = auth.issue_token(connection, username, password, settings.compensation_token_minutes)
    if token is None:
        return _login(request, "用户名或密码错误")
    response = RedirectResponse("/ui/", status_code=SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", max_age=settings.compensation_token_minutes * 60
    )
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, engine: EngineDep, csrf: Annotated[FormText, Form()] = "") -> Response:
    if not csrf_valid(request, csrf):
        return _forged(request, engine, _who(request, engine))
    response = RedirectResponse("/ui/login", status_code=SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_model=None)
def index(
    request: Request,
    engine: EngineDep,
    agreement: Annotated[str | None, Query(pattern=f"^({AGREEMENT_ID[1:-1]})?$")] = None,
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None,
    status: Annotated[str | None, Query(pattern=f"^({'|'.join(STATUSES)})?$")] = None,
    superseded: bool = False,
    error: Annotated[str | None, Query(max_length=2000)] = None,
    notice: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The statement index: payer → receiver, absolute amount, Chinese status; superseded hidden by default."""
    user = _who(request, engine)
    if user is None:
        return _login(request)
    with engine.connect() as connection:
        agreements = [s for s in repository.latest_agreements(connection) if user.sees(s.agreement)]
        ids = [s.agreement.id for s in agreements if agreement in (None, "", s.agreement.id)]
        rows = repository.list_statements(
            connection, ids, fiscal_year=year, status=status or None, include_superseded=superseded
        )
        upload_history = upload_log.history(connection, user, visible_sections(connection, user), UPLOADS_SHOWN)
    today = local_date(datetime.now(UTC))
    return _page(
        request,
        "index.html",
        user=user,
        agreements=agreements,
        names={s.agreement.id: s.agreement for s in agreements},
        statements=rows,
        statuses=STATUS_SHORT,
        years=list(range(today.year, FIRST_YEAR + 23, -1)),
        filters={"agreement": agreement or "", "year": year, "status": status or "", "superseded": superseded},
        can_compute=user.role in COMPUTE_ROLES,
        can_upload=user.role in UPLOAD_ROLES,
        uploads=upload_history,
        notice=notice,
        default_period=str(today.year - 1),
        error=error,
    )


@router.post("/statements", response_model=None)
def compute(
    request: Request,
    engine: EngineDep,
    agreement: Annotated[str, Form(pattern=AGREEMENT_ID)],
    period: Annotated[PeriodLabel, Form()],
    csrf: Annotated[FormText, Form()] = "",
) -> Response:
    user = _poster(request, engine, csrf)
    if isinstance(user, Response):
        return user
    try:
        with engine.begin() as connection:
            user.require(COMPUTE_ROLES, "compute statements")
            visible_agreement(connection, user, agreement)
            statement_id = statements.create(connection, user, agreement, statements.Request(period, {}))
    except (NotFound, Forbidden, StateConflict, PeriodError, NoVersionInForce) as refused:
        audit_refusal(engine, request, 422, str(refused))
        return RedirectResponse(f"/ui/?{urlencode({'error': str(refused)[:400]})}", status_code=SEE_OTHER)
    return RedirectResponse(f"/ui/statements/{statement_id}", status_code=SEE_OTHER)


@router.post("/monitoring", response_model=None)
def upload_monitoring(
    request: Request,
    engine: EngineDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[FormText, Form()] = "",
) -> Response:
    """A bureau's CSV/XLSX of joint or manual results, from the index page; the outcome shown there."""
    user = _poster(request, engine, csrf)
    if isinstance(user, Response):
        return user
    name = (file.filename or "upload")[:200]
    try:
        with engine.begin() as connection:
            user.require(UPLOAD_ROLES, "upload monitoring results")
            if not name.lower().endswith((".csv", ".xlsx")):
                raise UploadRefused([f"file: {name!r} is neither .csv nor .xlsx"])
            content = file.file.read(MAX_FILE_BYTES + 1)
            agreements = [s.agreement for s in repository.latest_agreements(connection) if user.sees(s.agreement)]
            stored = uploads.store(
                connection, user, uploads.parse_file(content, name), agreements, filename=name, content=content
            )
    except (Forbidden, UploadRefused) as refused:
        audit_refusal(engine, request, 422, str(refused))
        return RedirectResponse(f"/ui/?{urlencode({'error': str(refused)[:1500]})}", status_code=SEE_OTHER)
    notice = f"已上传 {name}：新增 {stored.stored} 条，重复 {stored.unchanged} 条（未变）"
    return RedirectResponse(f"/ui/?{urlencode({'notice': notice})}", status_code=SEE_OTHER)


@router.post("/monitoring/uploads/{upload_id}/withdrawal", response_model=None)
def withdraw_upload(
    request: Request,
    engine: EngineDep,
    upload_id: UploadId,
    reason: Annotated[str, Form(max_length=500, pattern=NO_CONTROL)] = "",
    csrf: Annotated[FormText, Form()] = "",
) -> Response:
    """A bureau withdraws a wrong upload from the index page's upload history, with its reason."""
    user = _poster(request, engine, csrf)
    if isinstance(user, Response):
        return user
    if not reason.strip():
        audit_refusal(engine, request, 422, "a withdrawal needs its reason")
        return RedirectResponse(
            f"/ui/?{urlencode({'error': f'撤回上传 #{upload_id} 须填写原因'})}", status_code=SEE_OTHER
        )
    try:
        with engine.begin() as connection:
            sections = visible_sections(connection, user)
            withdrawal = upload_log.withdraw(connection, user, upload_id, sections, reason.strip())
    except (NotFound, Forbidden, StateConflict) as refused:
        audit_refusal(engine, request, STATUS_OF[type(refused)], str(refused))
        return RedirectResponse(f"/ui/?{urlencode({'error': str(refused)[:1500]})}", status_code=SEE_OTHER)
    notice = (
        f"已撤回上传 #{upload_id}（{withdrawal.results} 条结果），原因：{withdrawal.reason}；据此计算的结算单请重新计算"
    )
    return RedirectResponse(f"/ui/?{urlencode({'notice': notice[:500]})}", status_code=SEE_OTHER)


def _statement_page(request: Request, engine: Any, settings: Any, statement_id: int, error: str | None) -> Response:
    user = _who(request, engine)
    if user is None:
        return _login(request)
    with engine.connect() as connection:
        try:
            view = visible_statement(connection, user, statement_id)
        except NotFound as missing:
            return _page(request, "error.html", status_code=404, user=user, error=str(missing))
    actions = [
        target
        for target, (source, roles) in TRANSITIONS.items()
        if source == view.row["status"] and user.role in roles and view.superseded_by is None
    ]
    return _page(
        request,
        "statement.html",
        user=user,
        sheet=view.sheet(settings.precision_table),
        formats=list(FORMATS),
        actions=[(a, ACTION_ZH[a]) for a in actions],
        error=error,
    )


@router.get("/statements/{statement_id}", response_model=None)
def statement_page(request: Request, engine: EngineDep, settings: SettingsDep, statement_id: StatementId) -> Response:
    return _statement_page(request, engine, settings, statement_id, None)


@router.post("/statements/{statement_id}/transition", response_model=None)
def transition(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    statement_id: StatementId,
    status: Annotated[str, Form(pattern="^(confirmed|approved|notified|paid)$")],
    csrf: Annotated[FormText, Form()] = "",
) -> Response:
    user = _poster(request, engine, csrf)
    if isinstance(user, Response):
        return user
    try:
        with engine.begin() as connection:
            visible_statement(connection, user, statement_id)
            statements.transition(connection, user, statement_id, status, "经结算页面")
    except (NotFound, Forbidden, StateConflict) as refused:
        audit_refusal(engine, request, 409, str(refused))
        return _statement_page(request, engine, settings, statement_id, str(refused))
    return RedirectResponse(f"/ui/statements/{statement_id}", status_code=SEE_OTHER)


def _party_names(engine: Any) -> dict[str, str]:
    with engine.connect() as connection:
        return {str(code): str(name) for code, name in connection.execute(text("select code, name from parties"))}


@router.get("/confirmations", response_model=None)
def confirmations_page(
    request: Request,
    engine: EngineDep,
    section: Annotated[str | None, Query(pattern=STATION_CODE)] = None,
    year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None,
    error: Annotated[str | None, Query(max_length=2000)] = None,
    notice: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """数据互认: a boundary section's months of a year, who confirmed each, and the user's confirm buttons."""
    user = _who(request, engine)
    if user is None:
        return _login(request)
    today = local_date(datetime.now(UTC))
    chosen_year = year or (today.year if today.month > 1 else today.year - 1)
    with engine.connect() as connection:
        sections = confirmations.boundary_sections(connection, user.parties)
        code = section if section in {c for c, _ in sections} else (sections[0][0] if sections else None)
        months = [Month(chosen_year, m) for m in range(1, 13) if Month(chosen_year, m).shifted(1).first_day <= today]
        states = [] if code is None else confirmations.month_states(connection, [code], months)
    mine = sorted(user.parties) if user.role in confirmations.CONFIRM_ROLES else []
    return _page(
        request,
        "confirmations.html",
        user=user,
        sections=sections,
        section=code,
        year=chosen_year,
        years=list(range(today.year, FIRST_YEAR + 23, -1)),
        states=states,
        awaiting=[(state, party) for state in states for party in mine if party in state.missing],
        parties=_party_names(engine),
        mine=mine,
        error=error,
        notice=notice,
    )


@router.post("/confirmations", response_model=None)
def confirm_month(
    request: Request,
    engine: EngineDep,
    section: Annotated[str, Form(pattern=STATION_CODE)],
    month: Annotated[str, Form(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")],
    party: Annotated[str, Form(pattern=PARTY_CODE)],
    csrf: Annotated[FormText, Form()] = "",
) -> Response:
    """One party confirms a month from the page; the outcome shown there."""
    user = _poster(request, engine, csrf)
    if isinstance(user, Response):
        return user
    chosen = Month.from_label(month)
    back = {"section": section, "year": str(chosen.year)}

    def answer(**outcome: str) -> RedirectResponse:
        return RedirectResponse(f"/ui/confirmations?{urlencode({**back, **outcome})}", status_code=SEE_OTHER)

    if not FIRST_YEAR <= chosen.year <= LAST_YEAR:
        return answer(error=f"月份须在 {FIRST_YEAR}—{LAST_YEAR} 年之间")
    try:
        with engine.begin() as connection:
            state = confirmations.confirm(connection, user, section, chosen, party, "经数据互认页面")
    except (Forbidden, StateConflict) as refused:
        audit_refusal(engine, request, 409, str(refused))
        return answer(error=str(refused)[:400])
    names = _party_names(engine)
    waiting = "、".join(names.get(p, p) for p in state.missing)
    done = "双方均已确认，数据已互认" if state.confirmed else f"待 {waiting} 确认"
    return answer(notice=f"{names.get(party, party)}已确认 {section} {month}（第 {state.revision} 版数据）；{done}")
