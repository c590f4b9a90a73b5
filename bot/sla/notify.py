"""Tell people about escalation events: live to the consoles (Redis) and by email (SMTP).

Events are rows; ``notified_at`` is set only after the notice went out, so a crash
or a mail server outage means a late notice, never a lost one.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

from anyio import to_thread
from sqlalchemy import select

from bot.core.db import Database
from bot.core.live_events import LiveEvents
from bot.core.models import EscalationEvent, Ticket, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 20

STEP_TEXT = {
    "page": ("紧急工单待确认", "P1 ticket needs an on-call acknowledgement"),
    "warn": ("工单即将超时", "ticket approaching its SLA deadline"),
    "breach": ("工单已超时", "ticket breached its SLA"),
}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = False


@dataclass(frozen=True)
class Addresses:
    """Who is reached by email for each target."""

    oncall: dict[int, str] = field(default_factory=dict)
    supervisor: str = ""
    agents: dict[str, str] = field(default_factory=dict)
    team_supervisors: dict[str, str] = field(default_factory=dict)

    def email_for(self, target: str) -> str | None:
        kind, _, who = target.partition(":")
        if kind == "oncall":
            return self.oncall.get(int(who))
        if kind == "supervisor":
            # The team's own supervisor when configured, else the default one.
            return self.team_supervisors.get(who) or self.supervisor or None
        if kind == "agent":
            return self.agents.get(who)
        return None


@dataclass(frozen=True, slots=True)
class Notice:
    event_id: int
    step: str
    target: str
    ticket_number: str
    priority: str
    due_at: str

    @property
    def subject(self) -> str:
        zh, en = STEP_TEXT[self.step.split(":", 1)[0]]
        return f"[{self.priority}] {self.ticket_number} {zh} / {en} ({self.step})"

    def as_dict(self) -> dict[str, str | int]:
        return {
            "type": "escalation",
            "event_id": self.event_id,
            "step": self.step,
            "target": self.target,
            "ticket": self.ticket_number,
            "priority": self.priority,
            "due_at": self.due_at,
            "subject": self.subject,
        }


def _pending(db: Database, limit: int) -> list[Notice]:
    with db.session() as session:
        rows = session.execute(
            select(EscalationEvent, Ticket)
            .join(Ticket, EscalationEvent.ticket_id == Ticket.id)
            .where(EscalationEvent.notified_at.is_(None), EscalationEvent.attempts < MAX_ATTEMPTS)
            .order_by(EscalationEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=EscalationEvent)
        ).all()
        return [
            Notice(e.id, e.step, e.target, t.number or "", t.priority, e.due_at.isoformat())
            for e, t in rows
        ]


def _mark(db: Database, event_id: int, ok: bool) -> None:
    with db.session() as session:
        event = session.get(EscalationEvent, event_id)
        assert event is not None
        event.attempts += 1
        if ok:
            event.notified_at = utcnow()


def send_text(smtp: SmtpConfig, to: str, subject: str, body: str) -> None:
    """One plain-text e-mail (blocking: call it from a worker thread)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = smtp.sender, to, subject
    message.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


def _send_email(smtp: SmtpConfig, to: str, notice: Notice) -> None:
    send_text(
        smtp,
        to,
        notice.subject,
        f"工单 / Ticket: {notice.ticket_number}\n优先级 / Priority: {notice.priority}\n"
        f"步骤 / Step: {notice.step}\n时限 / Due: {notice.due_at}\n",
    )


class Notifier:
    def __init__(
        self, db: Database, events: LiveEvents, addresses: Addresses, smtp: SmtpConfig | None
    ) -> None:
        self.db, self.events, self.addresses, self.smtp = db, events, addresses, smtp

    async def run_once(self, limit: int = 100) -> int:
        """Send every pending notice; returns how many went out."""
        sent = 0
        for notice in await to_thread.run_sync(_pending, self.db, limit):
            ok = True
            try:
                await self.events.publish_staff(notice.as_dict())
            except Exception as exc:
                log.warning(
                    "live notice for escalation %s failed: %s", notice.event_id, type(exc).__name__
                )
                ok = False
            address = self.addresses.email_for(notice.target)
            if ok and address and self.smtp is not None:
                try:
                    await to_thread.run_sync(_send_email, self.smtp, address, notice)
                except (OSError, smtplib.SMTPException):
                    log.warning("email for escalation %s failed; will retry", notice.event_id)
                    ok = False
            await to_thread.run_sync(_mark, self.db, notice.event_id, ok)
            sent += ok
        return sent
