"""The escalation ladder: which steps a ticket has, and when (a pure function of the ticket).

- P1: the on-call supervisor is paged at creation (``page:1``); unless the page is
  acknowledged, ``page:2`` (the next level) follows after the acknowledgement window,
  and so on up the levels.
- While the resolution clock runs: warnings to the assignee at the configured
  fractions of the time allowed (``warn:50``, ``warn:75``) and shortly before the
  deadline (``warn:before``); at the deadline, the team supervisor (``breach:resolution``).
- A call-back promised to the customer and not logged by its due time:
  ``breach:callback:N`` (N counts the promises) to the team supervisor.
- Until someone answers the customer: ``breach:first_response`` at that deadline; and
  when the customer writes again after that, ``breach:next_response:N`` unless staff
  answer by the next-response deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.models import Ticket

OPEN_STATES = ("new", "open", "pending_customer")


@dataclass(frozen=True, slots=True)
class LadderConfig:
    warn_fractions: tuple[float, ...] = (0.5, 0.75)
    warn_before: timedelta = timedelta(minutes=15)
    ack_timeout: timedelta = timedelta(minutes=15)
    page_levels: int = 2


@dataclass(frozen=True, slots=True)
class Step:
    step: str
    at: datetime
    target: str


def assignee_target(ticket: Ticket) -> str:
    if ticket.assignee:
        return f"agent:{ticket.assignee}"
    return f"team:{ticket.team}" if ticket.team else "team:unassigned"


def ladder(ticket: Ticket, config: LadderConfig) -> list[Step]:
    """Every step this ticket's ladder has now (emitted or not), in time order."""
    if ticket.status not in OPEN_STATES:
        return []
    steps: list[Step] = []
    supervisor = f"supervisor:{ticket.team}" if ticket.team else "supervisor"
    if ticket.callback_due_at is not None:
        steps.append(
            Step(f"breach:callback:{ticket.callback_round}", ticket.callback_due_at, supervisor)
        )
    if ticket.priority == "P1":
        for level in range(1, config.page_levels + 1):
            at = ticket.created_at + (level - 1) * config.ack_timeout
            acknowledged = ticket.acknowledged_at is not None and ticket.acknowledged_at <= at
            if level == 1 or not acknowledged:
                steps.append(Step(f"page:{level}", at, f"oncall:{level}"))
    if ticket.first_responded_at is None:
        steps.append(Step("breach:first_response", ticket.first_response_due_at, supervisor))
    if ticket.next_response_due_at is not None:
        steps.append(
            Step(
                f"breach:next_response:{ticket.response_round + 1}",
                ticket.next_response_due_at,
                supervisor,
            )
        )
    if ticket.status != "pending_customer":
        due, opened = ticket.resolution_due_at, ticket.created_at
        target = assignee_target(ticket)
        for fraction in config.warn_fractions:
            steps.append(
                Step(f"warn:{round(fraction * 100)}", opened + (due - opened) * fraction, target)
            )
        if due - config.warn_before > opened:
            steps.append(Step("warn:before", due - config.warn_before, target))
        steps.append(Step("breach:resolution", due, supervisor))
    return sorted(steps, key=lambda s: s.at)


def catch_up(due: list[Step]) -> tuple[list[Step], list[Step]]:
    """Split the steps that are due now into (emit, skip).

    After downtime several steps may be due at once. Pages and breaches all go out;
    of the warnings only the latest is still news, and none once the deadline itself
    has passed.
    """
    warnings = [s for s in due if s.step.startswith("warn:")]
    others = [s for s in due if not s.step.startswith("warn:")]
    if not warnings:
        return others, []
    if any(s.step == "breach:resolution" for s in others):
        return others, warnings
    latest = max(warnings, key=lambda s: s.at)
    return [*others, latest], [s for s in warnings if s is not latest]
