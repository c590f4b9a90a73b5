"""Prometheus metrics, computed at scrape time from the tables (so every replica
reports the same totals) plus this process's Rasa timings. No message text, no
customer identifiers: counts only."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.models import Handoff, Message, OutboxItem, PrivacyRecord, Ticket
from bot.pipeline.group_commit import InboxWriter
from bot.pipeline.rasa_client import RasaStats
from bot.sla.dashboard import sla


def _line(name: str, value: float, **labels: str) -> str:
    if not labels:
        return f"{name} {value}"
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}} {value}"


def render(session: Session, statuses: dict[str, str], rasa: RasaStats, inbox: InboxWriter) -> str:
    out: list[str] = []

    def family(name: str, kind: str, text: str) -> None:
        out.append(f"# HELP {name} {text}")
        out.append(f"# TYPE {name} {kind}")

    family("anxin_messages_total", "counter", "Messages stored, by channel, direction and status.")
    for channel, direction, status, count in session.execute(
        select(Message.channel, Message.direction, Message.status, func.count(Message.id)).group_by(
            Message.channel, Message.direction, Message.status
        )
    ):
        out.append(
            _line(
                "anxin_messages_total", count, channel=channel, direction=direction, status=status
            )
        )
    family("anxin_outbox_items", "gauge", "Outbox rows by delivery status.")
    for status, count in session.execute(
        select(OutboxItem.status, func.count(OutboxItem.id)).group_by(OutboxItem.status)
    ):
        out.append(_line("anxin_outbox_items", count, status=status))
    family("anxin_inbox_waiting", "gauge", "Customer messages not yet answered.")
    waiting = session.scalar(
        select(func.count(Message.id)).where(
            Message.direction == "in", Message.status.in_(("pending", "processing"))
        )
    )
    out.append(_line("anxin_inbox_waiting", int(waiting or 0)))
    family("anxin_handoffs", "gauge", "Handoffs by state (queued = waiting for a person).")
    for state, count in session.execute(
        select(Handoff.state, func.count(Handoff.id)).group_by(Handoff.state)
    ):
        out.append(_line("anxin_handoffs", count, state=state))
    family("anxin_agents", "gauge", "Agents on shift by status.")
    for status in ("online", "away"):
        out.append(
            _line("anxin_agents", sum(1 for s in statuses.values() if s == status), status=status)
        )
    family("anxin_tickets_open", "gauge", "Open tickets by priority.")
    for priority, count in session.execute(
        select(Ticket.priority, func.count(Ticket.id))
        .where(Ticket.status.not_in(("resolved", "closed")))
        .group_by(Ticket.priority)
    ):
        out.append(_line("anxin_tickets_open", count, priority=priority))
    risk = sla(session)
    family("anxin_sla_at_risk", "gauge", "Open tickets with under a quarter of their time left.")
    out.append(_line("anxin_sla_at_risk", risk["at_risk"]))
    family("anxin_sla_breached_open", "gauge", "Open tickets past their resolution deadline.")
    out.append(_line("anxin_sla_breached_open", risk["breached_open"]))
    family("anxin_rasa_requests_total", "counter", "Turns this process asked of Rasa.")
    out.append(_line("anxin_rasa_requests_total", rasa.calls))
    family("anxin_rasa_failures_total", "counter", "Turns Rasa did not answer usefully.")
    out.append(_line("anxin_rasa_failures_total", rasa.failures))
    family("anxin_rasa_seconds_total", "counter", "Time spent waiting for Rasa.")
    out.append(_line("anxin_rasa_seconds_total", round(rasa.seconds, 6)))
    family(
        "anxin_webhook_store_seconds",
        "histogram",
        "Time a webhook waited in this process to store its message before acknowledging.",
    )
    out.extend(inbox.waited.lines("anxin_webhook_store_seconds"))
    family(
        "anxin_webhook_store_transactions_total",
        "counter",
        "Transactions this process stored webhook messages in (a burst shares them).",
    )
    out.append(_line("anxin_webhook_store_transactions_total", inbox.transactions))
    removed: Counter[str] = Counter()
    last_run, held = None, 0
    for at, report in session.execute(
        select(PrivacyRecord.at, PrivacyRecord.report)
        .where(PrivacyRecord.kind == "purge")
        .order_by(PrivacyRecord.id)
    ):
        removed.update(report.get("removed", {}))
        last_run, held = at, int(report.get("held_kept", 0))
    family(
        "anxin_retention_removed_total",
        "counter",
        "Rows (and log files) the retention purge removed, by table, over all its runs.",
    )
    for table, count in sorted(removed.items()):
        out.append(_line("anxin_retention_removed_total", count, table=table))
    family("anxin_retention_held_kept", "gauge", "Expired items a legal hold kept at the last run.")
    out.append(_line("anxin_retention_held_kept", held))
    family("anxin_retention_last_run_timestamp", "gauge", "When the retention purge last ran.")
    out.append(_line("anxin_retention_last_run_timestamp", last_run.timestamp() if last_run else 0))
    return "\n".join(out) + "\n"
