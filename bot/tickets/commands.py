"""Ticket commands, one way for every caller (the REST API, the agents' console).

Each command runs the change in a worker thread, turns a refusal into
``CommandRefused`` (404: no such ticket; 409: a move the lifecycle forbids; 422: a
ticket that cannot be opened), records who did it in the audit trail, and wakes the SLA
scanner and the worker (a P1 pages at once, a reply leaves at once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from anyio import to_thread

from bot.core.config import Settings
from bot.core.db import Database
from bot.tickets import lifecycle, merging
from bot.tickets.service import TicketError

T = TypeVar("T")


class CommandRefused(Exception):
    """A command the desk will not carry out, with the status and the reason to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class Desk(Protocol):
    """What a command needs of the running service (``bot.web.services.Services``)."""

    @property
    def db(self) -> Database: ...
    @property
    def settings(self) -> Settings: ...

    async def audit(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        address: str | None = None,
        detail: str = "",
    ) -> None: ...

    def wake_scanner(self) -> None: ...

    def wake_worker(self) -> None: ...

    async def announce(self, payload: dict[str, Any], to: str | None = None) -> None:
        """Tell the staff apps that something changed (``to``: one person's only)."""


@dataclass(frozen=True, slots=True)
class TicketCommands:
    """The commands of one member of staff (or API token), from one address."""

    desk: Desk
    actor: str
    address: str | None = None

    async def run(self, action: str, number: str, work: Callable[[], T]) -> T:
        """Carry out ``work`` on ticket ``number`` and record it as ``ticket.<action>``."""
        try:
            result = await to_thread.run_sync(work)
        except LookupError as exc:
            raise CommandRefused(404, "no such ticket") from exc
        except lifecycle.LifecycleError as exc:
            raise CommandRefused(409, str(exc)) from exc
        except TicketError as exc:
            raise CommandRefused(422, str(exc)) from exc
        await self.desk.audit(
            self.actor, f"ticket.{action}", "ticket", number.upper(), self.address
        )
        self.desk.wake_scanner()
        self.desk.wake_worker()
        await self.desk.announce(
            {"type": "ticket", "number": number.upper(), "action": action, "actor": self.actor}
        )
        return result

    async def open(self, work: Callable[[], str]) -> str:
        """Open a ticket (``work`` opens it and returns its number)."""
        try:
            number = await to_thread.run_sync(work)
        except TicketError as exc:
            raise CommandRefused(422, str(exc)) from exc
        await self.desk.audit(self.actor, "ticket.create", "ticket", number, self.address)
        self.desk.wake_scanner()
        return number

    async def transition(
        self, number: str, to: str, note: str | None = None, category: str | None = None
    ) -> None:
        db, settings, actor = self.desk.db, self.desk.settings, self.actor
        await self.run(
            "transition",
            number,
            lambda: lifecycle.transition(
                db, settings, number, to, actor, note=note, category=category
            ),
        )

    async def assign(self, number: str, assignee: str | None, team: str | None) -> None:
        db, actor = self.desk.db, self.actor
        await self.run(
            "assign", number, lambda: lifecycle.assign(db, number, assignee, team, actor)
        )

    async def note(self, number: str, body: str) -> list[str]:
        """An internal note; returns the staff it @mentions (each told live)."""
        db, actor = self.desk.db, self.actor
        names = await self.run("note", number, lambda: lifecycle.add_note(db, number, body, actor))
        for name in names:
            await self.desk.announce(
                {"type": "mention", "number": number.upper(), "actor": actor}, to=name
            )
        return names

    async def log_call(self, number: str, outcome: str, note: str) -> None:
        db, actor = self.desk.db, self.actor
        await self.run("call", number, lambda: lifecycle.log_call(db, number, outcome, note, actor))

    async def promise_callback(
        self, number: str, due_at: datetime, sealed_phone: str | None
    ) -> None:
        db, actor = self.desk.db, self.actor
        await self.run(
            "callback",
            number,
            lambda: lifecycle.promise_callback(db, number, due_at, sealed_phone, actor),
        )

    async def merge(self, number: str, duplicates: list[str]) -> list[str]:
        db, actor = self.desk.db, self.actor
        merged = await self.run(
            "merge", number, lambda: merging.merge(db, number, duplicates, actor)
        )
        for duplicate in merged:
            await self.desk.audit(actor, "ticket.merged", "ticket", duplicate, self.address)
        return merged

    async def reply(self, number: str, body: str) -> int:
        db, actor = self.desk.db, self.actor
        return await self.run("reply", number, lambda: lifecycle.reply(db, number, body, actor))

    async def acknowledge(self, number: str) -> None:
        """The on-call supervisor took the P1 page (no re-paging)."""
        db, actor = self.desk.db, self.actor
        await self.run("acknowledge", number, lambda: lifecycle.acknowledge(db, number, actor))
