"""The staff app (``staff/``, Vue 3 + Element Plus, built by ``make staff`` into
``staff/dist``) served under ``/console/app``: its hashed assets, and its page for every
other path below (the app routes in the browser)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

router = APIRouter(include_in_schema=False)
DIST = Path(__file__).resolve().parents[2] / "staff" / "dist"
ASSET = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
IMMUTABLE = "public, max-age=31536000, immutable"
NOT_BUILT = (
    "<!doctype html><meta charset=utf-8><title>Anxin</title>"
    "<p>工作台尚未构建，请运行 <code>make staff</code>。/ The staff app is not built: run "
    "<code>make staff</code>.</p>"
)


@router.get("/console/app/assets/{name}")
async def asset(name: str) -> Response:
    path = DIST / "assets" / name
    if not ASSET.match(name) or name.startswith(".") or not path.is_file():
        raise HTTPException(404, "未找到 / not found")
    return FileResponse(path, headers={"Cache-Control": IMMUTABLE})


@router.get("/console/app", response_class=HTMLResponse)
@router.get("/console/app/{rest:path}", response_class=HTMLResponse)
async def app_page(rest: str = "") -> Response:
    index = DIST / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    return FileResponse(index, headers={"Cache-Control": "no-cache"})
