"""Build the SLA parts (calendars, ladder, notifier addresses) from settings and the database."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import Settings
from bot.core.models import Holiday
from bot.sla.calendar import BusinessHours, Calendars
from bot.sla.ladder import LadderConfig
from bot.sla.notify import Addresses, SmtpConfig


def ladder_config(settings: Settings) -> LadderConfig:
    fractions = tuple(float(f) for f in settings.warn_at.split(",") if f.strip())
    return LadderConfig(
        warn_fractions=fractions,
        warn_before=timedelta(minutes=settings.warn_before_minutes),
        ack_timeout=timedelta(minutes=settings.p1_ack_minutes),
        page_levels=settings.page_levels,
    )


def calendars(session: Session, settings: Settings) -> Calendars:
    opens, _, closes = settings.business_hours.partition("-")
    holidays = frozenset(session.scalars(select(Holiday.day)))
    return Calendars(
        BusinessHours(
            tz=ZoneInfo(settings.display_timezone),
            opens=time.fromisoformat(opens.strip()),
            closes=time.fromisoformat(closes.strip()),
            holidays=holidays,
        )
    )


def addresses(settings: Settings) -> Addresses:
    oncall = {
        i + 1: a.strip() for i, a in enumerate(settings.oncall_emails.split(",")) if a.strip()
    }
    return Addresses(
        oncall=oncall,
        supervisor=settings.supervisor_email,
        agents=_pairs(settings.agent_emails),
        team_supervisors=_pairs(settings.team_supervisor_emails),
    )


def _pairs(value: str) -> dict[str, str]:
    """``a=x@bank,b=y@bank`` → {"a": "x@bank", "b": "y@bank"}."""
    pairs = (pair.partition("=") for pair in value.split(","))
    return {
        key.strip(): address.strip() for key, _, address in pairs if key.strip() and address.strip()
    }


def smtp(settings: Settings) -> SmtpConfig | None:
    if not settings.smtp_host:
        return None
    return SmtpConfig(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        settings.smtp_user,
        settings.smtp_password,
        settings.smtp_starttls,
    )
