"""/runbooks: the duty officer's page every alert's ``runbook_url`` points at (``rules.runbooks``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["alerts"])


@router.get(
    "/runbooks",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def runbook_page(request: Request) -> HTMLResponse:
    """For each rule (Chinese): what it compares, its period, when it fires and resolves, its board, what to do."""
    page: str = request.app.state.runbooks
    return HTMLResponse(page)
