"""The ticket desk of the staff app (console session or API token): the list with its
views, filters and search; one ticket's page; and the work on it — assign, move through
the workflow (a resolution needs a note and a category), notes with @mentions, replies
to the customer, phone calls, merging duplicates, bulk changes. Every read and change
is audited; outside the caller's scope a ticket does not exist (404)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from bot.access.scopes import Scope, scope_of
from bot.api.deps import Address, ServicesDep, StaffMember, Supervisor, needs
from bot.core.models import Ticket, User, utcnow
from bot.tickets import mentions, worklist
from bot.tickets.commands import CommandRefused, TicketCommands
from bot.tickets.lifecycle import CALL_OUTCOMES
from bot.tickets.policy import CATEGORIES, STATUSES
from bot.tickets.ticket_page import ticket_page
from bot.web.audited_reads import AuditedReads
from bot.web.services import Services

router = APIRouter(prefix="/desk", tags=["desk"])
NO_TICKET = "没有这个工单 / no such ticket"
BULK_MAX = 100


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _split(values: list[str] | None, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    out = tuple(v for value in values or [] for v in value.split(",") if v)
    if allowed is not None:
        unknown = [v for v in out if v not in allowed]
        if unknown:
            raise HTTPException(422, f"未知的取值 / unknown value: {', '.join(unknown)}")
    return out


@dataclass(frozen=True, slots=True)
class Caller:
    """The member of staff (or API token) behind a desk request: their scope and team,
    worked out once per request."""

    services: Services
    name: str
    role: str
    scope: Scope
    team: str | None
    address: str | None

    def visible_id(self, number: str) -> int:
        """The ticket's id if the caller may see it; ``PermissionError`` otherwise (and
        for a number that does not exist: the same answer)."""
        with self.services.db.session() as session:
            found = session.scalar(select(Ticket.id).where(Ticket.number == number.upper()))
            if found is None or not self.scope.allows_ticket(session, found):
                raise PermissionError(number.upper())
            return found

    @property
    def reads(self) -> AuditedReads:
        return AuditedReads(self.services, self.name, self.address)

    async def commands(self, number: str) -> TicketCommands:
        """The caller's commands on a ticket they may see (404 otherwise, audited)."""
        await self.reads.check("ticket", lambda: self.visible_id(number), number.upper())
        return TicketCommands(self.services, self.name, self.address)


def _who(services: Services, name: str, role: str) -> tuple[Scope, str | None]:
    with services.db.session() as session:
        team = session.scalar(select(User.team).where(User.name == name))
        return scope_of(session, name, role), team


async def desk_caller(services: ServicesDep, staff: StaffMember, address: Address) -> Caller:
    scope, team = await to_thread.run_sync(_who, services, *staff)
    return Caller(services, staff[0], staff[1], scope, team, address)


Me = Annotated[Caller, Depends(desk_caller)]


class TicketPage(BaseModel):
    items: list[worklist.Row]
    next: str | None
    count: int
    count_capped: bool
    as_of: datetime


@router.get("/tickets", dependencies=[needs("tickets:read")])
async def list_tickets(
    me: Me,
    view: Annotated[str, Query(pattern="^(" + "|".join(worklist.VIEWS) + ")$")] = "open",
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    priority: Annotated[list[str] | None, Query()] = None,
    category: Annotated[list[str] | None, Query()] = None,
    channel: Annotated[list[str] | None, Query()] = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    sla: Annotated[str | None, Query(pattern="^(on_track|at_risk|breached)$")] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    due_from: datetime | None = None,
    due_to: datetime | None = None,
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(pattern="^(due|newest)$")] = "due",
    limit: Annotated[int, Query(ge=1, le=worklist.PAGE_MAX)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> TicketPage:
    """Tickets of a saved view (open, mine, team, unassigned, at_risk, breached, waiting,
    all) with filters; by due time (soonest first) or newest; ``next`` is the cursor of
    the following page. ``count`` stops at 10,000 (``count_capped``)."""
    filters = worklist.Filters(
        view=view,
        status=_split(status_, STATUSES),
        priority=_split(priority, ("P1", "P2", "P3", "P4")),
        category=_split(category, CATEGORIES),
        channel=_split(channel),
        team=team or None,
        assignee=assignee or None,
        sla=sla,
        created_from=_aware(created_from),
        created_to=_aware(created_to),
        due_from=_aware(due_from),
        due_to=_aware(due_to),
        q=q,
        sort=sort,
    )
    vault = me.services.vault
    pseudonym = vault.pseudonym if vault is not None else None

    def work() -> worklist.Page:
        with me.services.db.session() as session:
            try:
                return worklist.page(
                    session,
                    me.scope,
                    filters,
                    me.name,
                    me.team,
                    utcnow(),
                    limit=limit,
                    cursor=cursor,
                    pseudonym=pseudonym,
                )
            except worklist.BadQuery as exc:
                raise HTTPException(422, str(exc)) from exc

    found = await me.reads.read(
        "ticket_list", work, view, action="search" if q else "read", detail=f"q={q!r}" if q else ""
    )
    return TicketPage(
        items=found.rows,
        next=found.next,
        count=found.count,
        count_capped=found.count_capped,
        as_of=found.as_of,
    )


@router.get("/tickets/{number}", dependencies=[needs("tickets:read")])
async def ticket(number: str, me: Me) -> dict[str, Any]:
    """One ticket: its clocks, the customer (masked), linked conversations, the timeline."""

    def work() -> dict[str, Any]:
        ticket_id = me.visible_id(number)
        with me.services.db.session() as session:
            found = session.get(Ticket, ticket_id)
            assert found is not None
            return ticket_page(session, found, utcnow())

    return await me.reads.read("ticket", work, number.upper())


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(pattern="^(" + "|".join(STATUSES) + ")$")
    note: str | None = Field(default=None, max_length=4000)
    category: str | None = Field(default=None, pattern="^(" + "|".join(CATEGORIES) + ")$")

    @model_validator(mode="after")
    def _resolution(self) -> Move:
        if self.to == "resolved" and (not (self.note or "").strip() or self.category is None):
            raise ValueError(
                "解决工单需要填写处理结果和类别 / resolving needs a resolution note and a category"
            )
        return self


@router.post("/tickets/{number}/transition", dependencies=[needs("tickets:write")])
async def transition(number: str, body: Move, me: Me) -> dict[str, bool]:
    commands = await me.commands(number)
    await commands.transition(number, body.to, body.note, body.category)
    return {"ok": True}


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, max_length=64)


def _check_assignment(services: Services, body: Assignment) -> None:
    with services.db.session() as session:
        if (
            body.assignee
            and session.scalar(
                select(User.id).where(User.name == body.assignee, User.disabled_at.is_(None))
            )
            is None
        ):
            raise HTTPException(422, f"没有这个用户 / no such user: {body.assignee}")
        if (
            body.team
            and session.scalar(select(User.id).where(User.team == body.team).limit(1)) is None
        ):
            raise HTTPException(422, f"没有这个团队 / no such team: {body.team}")


@router.post("/tickets/{number}/assign", dependencies=[needs("tickets:write")])
async def assign(number: str, body: Assignment, me: Me) -> dict[str, bool]:
    await to_thread.run_sync(_check_assignment, me.services, body)
    commands = await me.commands(number)
    await commands.assign(number, body.assignee, body.team)
    return {"ok": True}


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)


@router.post("/tickets/{number}/notes", dependencies=[needs("tickets:write")])
async def note(number: str, body: Text, me: Me) -> dict[str, list[str]]:
    """An internal note; ``@name`` tells that colleague (returned in ``mentioned``)."""
    commands = await me.commands(number)
    return {"mentioned": await commands.note(number, body.body)}


@router.post("/tickets/{number}/replies", dependencies=[needs("tickets:write")])
async def reply(number: str, body: Text, me: Me) -> dict[str, bool]:
    """A reply the customer receives on the channel the ticket came from."""
    commands = await me.commands(number)
    await commands.reply(number, body.body)
    return {"ok": True}


@router.post("/tickets/{number}/acknowledge", dependencies=[needs("tickets:write")])
async def acknowledge(number: str, me: Me, _: Supervisor) -> dict[str, bool]:
    """The on-call supervisor acknowledges a P1 page (stops the re-paging)."""
    commands = await me.commands(number)
    await commands.acknowledge(number)
    return {"ok": True}


class Call(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(pattern="^(" + "|".join(CALL_OUTCOMES) + ")$")
    note: str = Field(default="", max_length=4000)


@router.post("/tickets/{number}/calls", dependencies=[needs("tickets:write")])
async def call(number: str, body: Call, me: Me) -> dict[str, bool]:
    """A phone call with the customer and its outcome."""
    commands = await me.commands(number)
    await commands.log_call(number, body.outcome, body.note)
    return {"ok": True}


class Callback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    due_at: datetime
    # the number to call when it is not the one the customer is known by
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 -]{5,19}$")


@router.post("/tickets/{number}/callback", dependencies=[needs("tickets:write")])
async def callback(number: str, body: Callback, me: Me) -> dict[str, bool]:
    """Promise the customer a call-back by ``due_at``; the number is sealed in the
    contact vault. Missing it is an SLA event; a call logged before then keeps it."""
    due = _aware(body.due_at)
    assert due is not None
    sealed = None
    if body.phone:
        if me.services.vault is None:
            raise HTTPException(
                422,
                "未配置 ANXIN_DATA_KEY，无法保存号码 / no ANXIN_DATA_KEY: numbers cannot be stored",
            )
        sealed = await to_thread.run_sync(
            me.services.vault.seal_phone, re.sub(r"[\s-]", "", body.phone)
        )
    commands = await me.commands(number)
    await commands.promise_callback(number, due, sealed)
    return {"ok": True}


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=5, max_length=500)


@router.post("/tickets/{number}/callback/number", dependencies=[needs("tickets:write")])
async def callback_number(number: str, body: Reason, me: Me) -> dict[str, str]:
    """The number the call-back goes to, opened from the vault with a reason (audited)."""
    vault = me.services.vault

    def work() -> str | None:
        ticket_id = me.visible_id(number)
        with me.services.db.session() as session:
            sealed = session.scalar(
                select(Ticket.callback_phone_sealed).where(Ticket.id == ticket_id)
            )
        return vault.open(sealed) if sealed and vault is not None else None

    found = await me.reads.read_one(
        "callback_number",
        work,
        number.upper(),
        "这个回电没有另留号码 / this call-back has no number of its own",
        action="unmask",
        detail=body.reason,
    )
    return {"number": found}


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicates: list[str] = Field(min_length=1, max_length=20)


@router.post("/tickets/{number}/merge", dependencies=[needs("tickets:write")])
async def merge(number: str, body: Merge, me: Me) -> dict[str, list[str]]:
    """Merge duplicates of the same customer into this ticket (they close, linked)."""
    for duplicate in body.duplicates:
        await me.commands(duplicate)
    commands = await me.commands(number)
    return {"merged": await commands.merge(number, body.duplicates)}


class Bulk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numbers: list[str] = Field(min_length=1, max_length=BULK_MAX)
    action: Literal["assign", "status"]
    assignee: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, max_length=64)
    to: str | None = Field(default=None, pattern="^(open|pending_customer|closed)$")

    @model_validator(mode="after")
    def _complete(self) -> Bulk:
        if self.action == "status" and self.to is None:
            raise ValueError("a status change needs `to` (resolving is done one by one)")
        return self


@router.post("/tickets/bulk", dependencies=[needs("tickets:write")])
async def bulk(body: Bulk, me: Me) -> dict[str, Any]:
    """Assign, or change the status of, several tickets; each is done (and audited) on
    its own, and what could not be done is listed with the reason."""
    if body.action == "assign":
        await to_thread.run_sync(
            _check_assignment, me.services, Assignment(assignee=body.assignee, team=body.team)
        )
    done: list[str] = []
    failed: dict[str, str] = {}
    for number in dict.fromkeys(n.upper() for n in body.numbers):
        try:
            commands = await me.commands(number)
            if body.action == "assign":
                await commands.assign(number, body.assignee, body.team)
            else:
                assert body.to is not None
                await commands.transition(number, body.to)
            done.append(number)
        except HTTPException as exc:
            failed[number] = str(exc.detail)
        except CommandRefused as exc:
            failed[number] = exc.message
    return {"done": done, "failed": failed}


@router.get("/staff", dependencies=[needs("tickets:read")])
async def staff_list(services: ServicesDep, staff: StaffMember) -> list[dict[str, str | None]]:
    """Who a ticket can be assigned to or @mentioned: name, role, team, display name."""

    def work() -> list[dict[str, str | None]]:
        with services.db.session() as session:
            return [
                {"name": u.name, "role": u.role, "team": u.team, "display_name": u.display_name}
                for u in session.scalars(
                    select(User).where(User.disabled_at.is_(None)).order_by(User.name)
                )
            ]

    return await to_thread.run_sync(work)


@router.get("/me", dependencies=[needs("tickets:read")])
async def whoami(me: Me) -> dict[str, Any]:
    """The signed-in person: name, role, team, and the notices (@mentions) for them."""
    found, unread = await to_thread.run_sync(mentions.notices, me.services.db, me.name)
    return {
        "name": me.name,
        "role": me.role,
        "team": me.team,
        "notices": [asdict(n) for n in found],
        "unread": unread,
        # knowledge-base changes wait for a second person
        "kb_four_eyes": me.services.settings.kb_four_eyes,
    }


class Seen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    up_to: int = Field(ge=0)


@router.post("/notices/read", dependencies=[needs("tickets:read")])
async def notices_read(body: Seen, me: Me) -> dict[str, bool]:
    await to_thread.run_sync(mentions.mark_read, me.services.db, me.name, body.up_to)
    return {"ok": True}
