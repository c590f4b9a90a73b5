"""Editing the knowledge base over the API: an API token, or a signed-in supervisor or
admin in the console (the same cookie session). Changes are live at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile
from fastapi import status as http
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import Address, ServicesDep, Staff, Supervisor, needs
from bot.api.table_export import download
from bot.kb import gaps as kb_gaps
from bot.kb import import_export as kb_io
from bot.kb import store as kb_store

router = APIRouter(prefix="/kb", tags=["knowledge base"])
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
T = TypeVar("T")


async def _run(work: Callable[[], T]) -> T:
    try:
        return await to_thread.run_sync(work)
    except LookupError as exc:
        raise HTTPException(http.HTTP_404_NOT_FOUND, "no such entry / 没有该条目") from exc
    except kb_io.ImportRefused as exc:
        raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, exc.problems) from exc
    except kb_store.KbConflict as exc:
        raise HTTPException(http.HTTP_409_CONFLICT, str(exc)) from exc


class EntryUpdate(kb_store.EntryFields):
    version: int | None = Field(default=None, ge=1, description="the version you edited")


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)


@router.get("", dependencies=[needs("kb:read")])
async def entries(
    services: ServicesDep, _: Staff, include_deleted: bool = False
) -> list[dict[str, Any]]:
    return await _run(lambda: kb_store.listing(services.db, include_deleted))


@router.post("", status_code=http.HTTP_201_CREATED, dependencies=[needs("kb:write")])
async def create(
    body: kb_store.NewEntry, services: ServicesDep, actor: Supervisor, address: Address
) -> dict[str, Any]:
    made = await _run(lambda: kb_store.create(services.db, body, actor))
    await services.audit(actor, "kb.create", "kb_entry", body.key, address)
    return made


@router.get("/export", dependencies=[needs("kb:read")])
async def export(
    services: ServicesDep,
    _: Staff,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    rows = await _run(lambda: kb_io.rows(services.db))
    data, kind, headers = download("knowledge_base", kb_io.COLUMNS, rows, format)
    return Response(data, media_type=kind, headers=headers)


@router.post("/import", dependencies=[needs("kb:write")])
async def import_file(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    file: Annotated[UploadFile, File()],
) -> dict[str, list[str]]:
    """Apply a CSV or XLSX file (as exported): all rows, or none with every problem listed."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(http.HTTP_413_CONTENT_TOO_LARGE, "file larger than 5 MB")
    name = (file.filename or "").lower()
    reader_of = kb_io.read_xlsx if name.endswith(".xlsx") else kb_io.read_csv
    result = await _run(lambda: kb_io.import_rows(services.db, reader_of(data), actor))
    summary = f"created {len(result.created)}, updated {len(result.updated)}"
    await services.audit(actor, "kb.import", "kb_entry", "*", address, summary)
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


@router.get("/gaps", dependencies=[needs("kb:read")])
async def gaps(
    services: ServicesDep,
    _: Staff,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """Unanswered questions grouped by meaning, largest group first (masked text)."""
    found = await _run(lambda: kb_gaps.clusters(services.db, days, limit))
    return [g.as_dict() for g in found]


class TryQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)
    language: str = Field(default="zh", pattern="^(zh|en)$")


@router.post("/try", dependencies=[needs("kb:read")])
async def try_question(body: TryQuestion, services: ServicesDep, _: Staff) -> dict[str, Any]:
    """What the assistant would do with a question right now, for staff trying an edit
    (not recorded, no hit counted)."""
    assert services.kb is not None
    kb = services.kb
    today = datetime.now(services.timezone).date()
    outcome = await _run(lambda: kb.match(None, body.text, body.language, today, record=False))
    return outcome.as_dict()


@router.get("/{key}", dependencies=[needs("kb:read")])
async def entry(key: str, services: ServicesDep, _: Staff) -> dict[str, Any]:
    found = await _run(lambda: kb_store.get(services.db, key))
    if found is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, "no such entry / 没有该条目")
    return found


@router.put("/{key}", dependencies=[needs("kb:write")])
async def update(
    key: str, body: EntryUpdate, services: ServicesDep, actor: Supervisor, address: Address
) -> dict[str, Any]:
    """Save a change; name the ``version`` you edited to be told (409) if someone else
    saved in between."""
    fields = kb_store.EntryFields.model_validate(body.model_dump(exclude={"version"}))
    saved = await _run(lambda: kb_store.update(services.db, key, fields, actor, body.version))
    await services.audit(actor, "kb.update", "kb_entry", key, address, f"v{saved['version']}")
    return saved


@router.delete("/{key}", dependencies=[needs("kb:write")])
async def delete(
    key: str, services: ServicesDep, actor: Supervisor, address: Address
) -> dict[str, bool]:
    await _run(lambda: kb_store.delete(services.db, key, actor))
    await services.audit(actor, "kb.delete", "kb_entry", key, address)
    return {"ok": True}


@router.get("/{key}/history", dependencies=[needs("kb:read")])
async def history(key: str, services: ServicesDep, _: Staff) -> list[dict[str, Any]]:
    return await _run(lambda: kb_store.history(services.db, key))


@router.post("/{key}/rollback", dependencies=[needs("kb:write")])
async def rollback(
    key: str, body: Rollback, services: ServicesDep, actor: Supervisor, address: Address
) -> dict[str, Any]:
    """Bring back an earlier version (recorded as a new version)."""
    restored = await _run(lambda: kb_store.rollback(services.db, key, body.version, actor))
    await services.audit(actor, "kb.rollback", "kb_entry", key, address, f"to v{body.version}")
    return restored
