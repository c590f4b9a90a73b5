"""Where the console's older pages were: the staff app has them now (it has its own
sign-in), so their addresses lead there."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

router = APIRouter(include_in_schema=False)


@router.get("/console/kb")
async def kb_page() -> Response:
    """The knowledge base: entries, four-eyes review, versions, gaps (staff app)."""
    return RedirectResponse("/console/app/kb", status_code=308)


@router.get("/console/supervisor")
async def supervisor_page() -> Response:
    """Where transcript search, scoring and figures used to be: the staff app has them
    (conversation review, service targets, the live floor)."""
    return RedirectResponse("/console/app/review", status_code=308)
