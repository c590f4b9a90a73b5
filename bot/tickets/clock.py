"""The clock a ticket is racing now, stored on the ticket for the desk's lists.

- Not yet answered by a person: the first-response deadline (or the resolution deadline
  when that comes first). It runs even while the ticket waits for the customer.
- Answered: the resolution deadline; paused (none) while waiting for the customer.
- Resolved or closed: none.

``at_risk_at`` is the moment less than a quarter of the clock's time is left (the
dashboard's at-risk share). The SLA state of a running ticket follows from ``now``:
on track before ``at_risk_at``, at risk until ``due_at``, breached after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.core.models import Ticket

AT_RISK_SHARE = 0.25
RUNNING = ("new", "open", "pending_customer")
SlaState = Literal["on_track", "at_risk", "breached", "paused", "done"]
SLA_STATES = ("on_track", "at_risk", "breached")


def deadline(ticket: Ticket) -> datetime | None:
    if ticket.status not in RUNNING:
        return None
    if ticket.first_responded_at is None:
        return min(ticket.first_response_due_at, ticket.resolution_due_at)
    if ticket.status == "pending_customer":
        return None
    return ticket.resolution_due_at


def refresh(ticket: Ticket) -> None:
    """Set ``due_at`` and ``at_risk_at`` from the ticket's state and deadlines."""
    due = deadline(ticket)
    ticket.due_at = due
    ticket.at_risk_at = None if due is None else due - (due - ticket.created_at) * AT_RISK_SHARE


def state(ticket: Ticket, now: datetime) -> SlaState:
    if ticket.status not in RUNNING:
        return "done"
    if ticket.due_at is None or ticket.at_risk_at is None:
        return "paused"
    if now >= ticket.due_at:
        return "breached"
    return "at_risk" if now >= ticket.at_risk_at else "on_track"
