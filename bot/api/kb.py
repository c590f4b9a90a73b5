"""Editing the knowledge base over the API: an API token, or a signed-in supervisor or
admin in the staff app (the same cookie session).

With four-eyes on (``ANXIN_KB_FOUR_EYES``, the default) a change is proposed (202, the
change) and reaches customers once a second person approves it in the staff app; off,
it is live at once. Either way an answer with words the rubric forbids is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile
from fastapi import Path as FastPath
from fastapi import status as http
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import (
    SUPERVISOR_ROLES,
    Address,
    Admin,
    ServicesDep,
    Staff,
    StaffMember,
    Supervisor,
    needs,
)
from bot.api.table_export import download
from bot.kb import changes as kb_changes
from bot.kb import gaps as kb_gaps
from bot.kb import import_export as kb_io
from bot.kb import starter
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
    except kb_changes.KbForbidden as exc:
        raise HTTPException(
            http.HTTP_422_UNPROCESSABLE_CONTENT, {"message": str(exc), "findings": exc.findings}
        ) from exc
    except PermissionError as exc:
        raise HTTPException(http.HTTP_403_FORBIDDEN, str(exc)) from exc
    except kb_store.KbError as exc:
        raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


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


async def _proposed(
    services: ServicesDep,
    response: Response,
    proposal: kb_changes.Proposal,
    actor: str,
    address: str | None,
) -> dict[str, Any]:
    """A change waiting for a second person (202), audited as proposed."""
    made = await _run(lambda: kb_changes.propose(services.db, proposal, actor))
    response.status_code = http.HTTP_202_ACCEPTED
    detail = f"change {made['id']} ({proposal.action})"
    await services.audit(actor, "kb.propose", "kb_entry", proposal.key, address, detail)
    return made


@router.post("", status_code=http.HTTP_201_CREATED, dependencies=[needs("kb:write")])
async def create(
    body: kb_store.NewEntry,
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    response: Response,
) -> dict[str, Any]:
    """A new entry: proposed for review (202), or live at once without four-eyes."""
    if services.settings.kb_four_eyes:
        proposal = kb_changes.Proposal("create", body.key, kb_changes.fields_of(body), None)
        return await _proposed(services, response, proposal, actor, address)
    await _run(lambda: kb_changes.check_answers(services.db, kb_changes.fields_of(body)))
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
) -> dict[str, list[Any]]:
    """Apply a CSV or XLSX file (as exported): all rows, or none with every problem listed
    (with four-eyes: every new or changed entry proposed for review)."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(http.HTTP_413_CONTENT_TOO_LARGE, "file larger than 5 MB")
    name = (file.filename or "").lower()
    reader_of = kb_io.read_xlsx if name.endswith(".xlsx") else kb_io.read_csv
    propose = services.settings.kb_four_eyes
    result = await _run(
        lambda: kb_io.import_rows(services.db, reader_of(data), actor, propose=propose)
    )
    summary = f"created {len(result.created)}, updated {len(result.updated)}"
    if propose:
        summary = f"proposed {len(result.proposed)} changes: {summary}"
    await services.audit(actor, "kb.import", "kb_entry", "*", address, summary)
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "proposed": result.proposed,
    }


@router.post("/starter", dependencies=[needs("admin")])
async def load_starter(services: ServicesDep, actor: Admin, address: Address) -> dict[str, Any]:
    """Add the starter knowledge base's entries the knowledge base lacks (never
    overwrites), as ``python -m bot kb starter`` does; with four-eyes each is proposed."""
    proposer = actor if services.settings.kb_four_eyes else None
    loaded = await _run(lambda: starter.load(services.db, starter.STARTER, proposer))
    done = "proposed" if proposer else "created"
    detail = f"{done} {len(loaded.created)} entries"
    await services.audit(actor, "kb.starter", "kb", "starter", address, detail)
    return {done: loaded.created, "kept": loaded.kept}


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


@router.get("/changes", dependencies=[needs("kb:read")])
async def change_list(
    services: ServicesDep,
    _: Staff,
    state: Annotated[str, Query(pattern="^(pending|approved|rejected|withdrawn)$")] = "pending",
    key: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict[str, Any]]:
    """Changes in a state (waiting for review by default), newest first, with the diff
    of each waiting one against the entry as it is now."""
    return await _run(lambda: kb_changes.listing(services.db, state, key))


ChangeId = Annotated[int, FastPath(ge=1, le=2**31 - 1)]


@router.get("/changes/{change_id}", dependencies=[needs("kb:read")])
async def change(change_id: ChangeId, services: ServicesDep, _: Staff) -> dict[str, Any]:
    return await _run(lambda: kb_changes.one(services.db, change_id))


async def _reviewer(staff: StaffMember) -> str:
    """A person (not a token): supervisors and admins review."""
    name, role = staff
    if role not in SUPERVISOR_ROLES:
        raise HTTPException(
            http.HTTP_403_FORBIDDEN,
            "知识库变更须由主管或管理员在工作台审核 / a supervisor or admin reviews changes "
            "in the staff app",
        )
    return name


class RejectNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000)


@router.post("/changes/{change_id}/approve", dependencies=[needs("kb:write")])
async def approve(
    change_id: ChangeId, services: ServicesDep, staff: StaffMember, address: Address
) -> dict[str, Any]:
    """Apply a change someone else proposed: customers get it from now on."""
    reviewer = await _reviewer(staff)
    entry = await _run(lambda: kb_changes.approve(services.db, change_id, reviewer))
    detail = f"change {change_id} → v{entry['version']}"
    await services.audit(reviewer, "kb.approve", "kb_entry", entry["key"], address, detail)
    return entry


@router.post("/changes/{change_id}/reject", dependencies=[needs("kb:write")])
async def reject(
    change_id: ChangeId,
    body: RejectNote,
    services: ServicesDep,
    staff: StaffMember,
    address: Address,
) -> dict[str, Any]:
    """Turn a change down with the reason (its editor withdrawing it is the same call)."""
    reviewer = await _reviewer(staff)
    done = await _run(lambda: kb_changes.reject(services.db, change_id, reviewer, body.note))
    detail = f"change {change_id}: {body.note}"[:500]
    await services.audit(reviewer, f"kb.{done['state']}", "kb_entry", done["key"], address, detail)
    return done


@router.get("/{key}", dependencies=[needs("kb:read")])
async def entry(key: str, services: ServicesDep, _: Staff) -> dict[str, Any]:
    found = await _run(lambda: kb_store.get(services.db, key))
    if found is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, "no such entry / 没有该条目")
    return found


@router.put("/{key}", dependencies=[needs("kb:write")])
async def update(
    key: str,
    body: EntryUpdate,
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    response: Response,
) -> dict[str, Any]:
    """Save a change; name the ``version`` you edited to be told (409) if someone else
    saved in between. With four-eyes it is proposed for review (202)."""
    fields = kb_store.EntryFields.model_validate(body.model_dump(exclude={"version"}))
    if services.settings.kb_four_eyes:
        base = body.version or await _version_of(services, key)
        proposal = kb_changes.Proposal("update", key, kb_changes.fields_of(fields), base)
        return await _proposed(services, response, proposal, actor, address)
    await _run(lambda: kb_changes.check_answers(services.db, kb_changes.fields_of(fields)))
    saved = await _run(lambda: kb_store.update(services.db, key, fields, actor, body.version))
    await services.audit(actor, "kb.update", "kb_entry", key, address, f"v{saved['version']}")
    return saved


async def _version_of(services: ServicesDep, key: str) -> int:
    found = await _run(lambda: kb_store.get(services.db, key))
    if found is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, "no such entry / 没有该条目")
    return int(found["version"])


@router.delete("/{key}", dependencies=[needs("kb:write")])
async def delete(
    key: str, services: ServicesDep, actor: Supervisor, address: Address, response: Response
) -> dict[str, Any]:
    """Withdraw an entry (with four-eyes: proposed for review, 202)."""
    if services.settings.kb_four_eyes:
        base = await _version_of(services, key)
        proposal = kb_changes.Proposal("delete", key, {}, base)
        return await _proposed(services, response, proposal, actor, address)
    await _run(lambda: kb_store.delete(services.db, key, actor))
    await services.audit(actor, "kb.delete", "kb_entry", key, address)
    return {"ok": True}


@router.get("/{key}/history", dependencies=[needs("kb:read")])
async def history(key: str, services: ServicesDep, _: Staff) -> list[dict[str, Any]]:
    return await _run(lambda: kb_store.history(services.db, key))


@router.get("/{key}/diff", dependencies=[needs("kb:read")])
async def version_diff(
    key: str,
    services: ServicesDep,
    _: Staff,
    older: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    newer: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
) -> list[dict[str, Any]]:
    """What changed between two versions of an entry, field by field."""
    return await _run(lambda: kb_changes.between_versions(services.db, key, older, newer))


@router.post("/{key}/rollback", dependencies=[needs("kb:write")])
async def rollback(
    key: str,
    body: Rollback,
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    response: Response,
) -> dict[str, Any]:
    """Bring back an earlier version (recorded as a new version; with four-eyes,
    proposed for review)."""
    if services.settings.kb_four_eyes:
        base = await _version_of(services, key)
        proposal = await _run(
            lambda: kb_changes.rollback_proposal(services.db, key, body.version, base)
        )
        return await _proposed(services, response, proposal, actor, address)
    restored = await _run(lambda: kb_store.rollback(services.db, key, body.version, actor))
    await services.audit(actor, "kb.rollback", "kb_entry", key, address, f"to v{body.version}")
    return restored
