"""Ticket commands: the change, its refusal, its audit record and the wake-ups, once."""

from dataclasses import dataclass, field

import pytest

from bot.core.config import Settings
from bot.core.db import Database
from bot.pipeline.inbox import get_or_create_conversation
from bot.tickets.commands import CommandRefused, TicketCommands
from bot.tickets.service import open_ticket


@dataclass
class RecordingDesk:
    """The service's side of a command, recorded: what was audited, what was woken."""

    db: Database
    settings: Settings = field(default_factory=Settings)
    audited: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    wakes: list[str] = field(default_factory=list)
    announced: list[dict] = field(default_factory=list)

    async def audit(self, actor, action, object_type, object_id, address=None, detail=""):
        self.audited.append((actor, action, object_id, address))

    def wake_scanner(self) -> None:
        self.wakes.append("scanner")

    def wake_worker(self) -> None:
        self.wakes.append("worker")

    async def announce(self, payload, to=None) -> None:
        self.announced.append(payload)


def _number(db) -> str:
    conversation = get_or_create_conversation(db, "webchat", "visitor-commands-1")
    ticket, _ = open_ticket(
        db,
        Settings(),
        conversation_public_id=conversation.public_id,
        category="inquiry",
        subcategory=None,
        description="how do I",
        idempotency_key="k-commands-1",
    )
    return ticket.number


async def test_a_command_is_audited_and_wakes_the_scanner_and_worker(db) -> None:
    desk = RecordingDesk(db)
    number = _number(db)
    commands = TicketCommands(desk, "zhang.san", "10.1.2.3")
    await commands.transition(number.lower(), "open")
    await commands.note(number, "called back")
    assert desk.audited == [
        ("zhang.san", "ticket.transition", number, "10.1.2.3"),
        ("zhang.san", "ticket.note", number, "10.1.2.3"),
    ]
    assert desk.wakes == ["scanner", "worker"] * 2


async def test_refusals_carry_their_status_and_are_not_audited(db) -> None:
    desk = RecordingDesk(db)
    number = _number(db)
    commands = TicketCommands(desk, "zhang.san")
    with pytest.raises(CommandRefused) as missing:
        await commands.acknowledge("AX00000000000")
    assert missing.value.status == 404
    with pytest.raises(CommandRefused) as forbidden:
        await commands.transition(number, "closed")
    assert (
        forbidden.value.status == 409 and "cannot go from new to closed" in forbidden.value.message
    )
    assert desk.audited == [] and desk.wakes == []
