"""The console's other pages; their data comes from /api/v1 with the console's cookie
session (supervisors' calls refuse agents)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@router.get("/console/kb", response_class=HTMLResponse)
async def kb_page(request: Request) -> HTMLResponse:
    """The knowledge-base editor."""
    return templates.TemplateResponse(request, "kb.html", {})


@router.get("/console/supervisor", response_class=HTMLResponse)
async def supervisor_page(request: Request) -> HTMLResponse:
    """Transcript search, the timeline, quality scores, figures."""
    return templates.TemplateResponse(request, "supervisor.html", {})
