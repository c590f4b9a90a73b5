"""The console's other pages; their data comes from /api/v1 with the console's cookie
session (supervisors' calls refuse agents). Without a session a page is not served: the
browser is sent to the sign-in page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bot.console.auth import COOKIE, agent_of
from bot.web.services import Services

router = APIRouter(include_in_schema=False)
SIGN_IN = "/console"


async def _signed_in(request: Request) -> bool:
    services: Services = request.app.state.services
    return await agent_of(services, request.cookies.get(COOKIE)) is not None


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@router.get("/console/kb", response_class=HTMLResponse)
async def kb_page(request: Request) -> Response:
    """The knowledge-base editor."""
    if not await _signed_in(request):
        return RedirectResponse(SIGN_IN, status_code=303)
    return templates.TemplateResponse(request, "kb.html", {})


@router.get("/console/supervisor")
async def supervisor_page() -> Response:
    """Where transcript search, scoring and figures used to be: the staff app has them
    (conversation review, service targets, the live floor)."""
    return RedirectResponse("/console/app/review", status_code=308)
