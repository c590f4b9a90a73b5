"""The shift calendar over the API: everyone reads it; supervisors (a team's supervisor:
their team's people) and administrators schedule, move and remove shifts, audited.

Times without a zone are the service's local time (``ANXIN_TIMEZONE``); answers carry
both UTC and local times, so a browser elsewhere shows the bank's hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.access.scopes import supervised_team_of
from bot.api.deps import Address, ServicesDep, StaffMember, needs, supervisor
from bot.core.models import Shift, User, utcnow
from bot.handoff import shifts
from bot.web.services import Services

router = APIRouter(prefix="/shifts", tags=["shift calendar"])
T = TypeVar("T")
ShiftId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _run(work: Callable[[], T]) -> T:
    try:
        return await to_thread.run_sync(work)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有该班次 / no such shift") from exc
    except shifts.ShiftError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


def _zoned(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _shown(row: shifts.ShiftRow, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "user": row.user_name,
        "display_name": row.display_name,
        "team": row.team,
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "starts_local": _local(row.starts_at, zone),
        "ends_local": _local(row.ends_at, zone),
        "note": row.note,
    }


@router.get("", dependencies=[needs("tickets:read")])
async def calendar(
    services: ServicesDep,
    _: StaffMember,
    since: datetime,
    until: datetime,
    team: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """The shifts overlapping [since, until) (up to 93 days), of one team when given; who
    is on shift now and, with nobody, when the next shift starts."""
    zone = services.timezone
    start, end = _zoned(since, zone), _zoned(until, zone)
    rows = await _run(lambda: shifts.between(services.db, start, end, team or None))
    now = await _run(lambda: shifts.cover_now(services.db, utcnow()))
    return {
        "timezone": str(zone),
        "shifts": [_shown(row, zone) for row in rows],
        "kept": now.kept,
        "on_shift_now": sorted(now.scheduled),
        "next_start_local": _local(now.next_start, zone) if now.next_start else None,
    }


class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=64)
    starts_at: datetime
    ends_at: datetime
    repeat_days: int = Field(default=1, ge=1, le=shifts.MAX_REPEAT_DAYS)
    note: str = Field(default="", max_length=200)


class ShiftMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: datetime
    ends_at: datetime


def _may_schedule(services: Services, name: str, role: str, person: str) -> None:
    """A team's supervisor schedules their own team's people; admins and other
    supervisors anyone."""
    team = supervised_team_of(services.db, name, role)
    if team is None:
        return
    with services.db.session() as session:
        their = session.scalar(select(User.team).where(User.name == person))
    if their != team:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "只能安排本团队人员的班次 / you schedule your own team's people only",
        )


def _owner(services: Services, shift_id: int) -> str:
    with services.db.session() as session:
        person = session.scalar(select(Shift.user_name).where(Shift.id == shift_id))
    if person is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有该班次 / no such shift")
    return person


def _span(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[needs("admin")])
async def schedule(
    body: ShiftIn, services: ServicesDep, staff: StaffMember, address: Address
) -> dict[str, Any]:
    """Schedule a person, on ``repeat_days`` days in a row at the same times."""
    actor = await supervisor(staff)
    await to_thread.run_sync(_may_schedule, services, actor, staff[1], body.user)
    zone = services.timezone
    start, end = _zoned(body.starts_at, zone), _zoned(body.ends_at, zone)
    made = await _run(
        lambda: shifts.add(
            services.db, body.user, start, end, actor, repeat_days=body.repeat_days, note=body.note
        )
    )
    local = start.astimezone(zone), end.astimezone(zone)
    detail = f"{body.user} {_span(*local)} ×{body.repeat_days}"
    await services.audit(actor, "shift.create", "shift", str(made[0]), address, detail)
    return {"ids": made}


@router.put("/{shift_id}", dependencies=[needs("admin")])
async def move(
    shift_id: ShiftId, body: ShiftMove, services: ServicesDep, staff: StaffMember, address: Address
) -> dict[str, bool]:
    actor = await supervisor(staff)
    person = await to_thread.run_sync(_owner, services, shift_id)
    await to_thread.run_sync(_may_schedule, services, actor, staff[1], person)
    zone = services.timezone
    start, end = _zoned(body.starts_at, zone), _zoned(body.ends_at, zone)
    before = await _run(lambda: shifts.change(services.db, shift_id, start, end))
    detail = (
        f"{person} {_span(before.starts_at.astimezone(zone), before.ends_at.astimezone(zone))}"
        f" → {_span(start.astimezone(zone), end.astimezone(zone))}"
    )
    await services.audit(actor, "shift.update", "shift", str(shift_id), address, detail)
    return {"ok": True}


@router.delete("/{shift_id}", dependencies=[needs("admin")])
async def remove(
    shift_id: ShiftId, services: ServicesDep, staff: StaffMember, address: Address
) -> dict[str, bool]:
    actor = await supervisor(staff)
    person = await to_thread.run_sync(_owner, services, shift_id)
    await to_thread.run_sync(_may_schedule, services, actor, staff[1], person)
    gone = await _run(lambda: shifts.remove(services.db, shift_id))
    zone = services.timezone
    detail = f"{person} {_span(gone.starts_at.astimezone(zone), gone.ends_at.astimezone(zone))}"
    await services.audit(actor, "shift.delete", "shift", str(shift_id), address, detail)
    return {"ok": True}
