"""The knowledge-base editor page (its data comes from /api/v1/kb with the console's
cookie session)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


@router.get("/console/kb", response_class=HTMLResponse)
async def kb_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "kb.html", {})
