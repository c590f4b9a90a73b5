"""The nightly retention purge: once a day (claimed across replicas), after
``ANXIN_RETENTION_HOUR`` in the service's time zone; every run recorded (counts in
``privacy_records``, read by /metrics) and audited."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.audit import trail
from bot.core.claims import claim_once
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.models import AuditCheckpoint, PrivacyRecord, utcnow
from bot.privacy.purge import Purge, Report

log = logging.getLogger(__name__)


def summary(report: Report) -> str:
    removed = ", ".join(f"{name} {n}" for name, n in sorted(report.removed.items()) if n)
    return f"removed: {removed or 'nothing'}; held kept {report.held_kept}; {report.seconds:.1f} s"


def purge_and_record(
    db: Database,
    actor: str,
    settings: Settings,
    now: datetime | None = None,
    batch: int | None = None,
) -> Report:
    """Run the retention rules once, record and audit the run, anchor the audit trail."""
    report = Purge(db, now=now, log_dir=Path(settings.log_dir), batch=batch).run()
    with db.session() as session:
        session.add(PrivacyRecord(kind="purge", actor=actor, report=report.as_dict()))
        checkpoint = session.scalar(
            select(AuditCheckpoint).where(AuditCheckpoint.last_id == report.audit_checkpoint)
        )
    head = trail.record(
        db, trail.Event(actor, "privacy.purge", "retention", "", None, summary(report))
    )
    trail.anchor(settings.redis_url, settings.redis_prefix, head, checkpoint)
    log.info("retention purge: %s", summary(report))
    return report


class NightlyPurge:
    """Checked by the worker every few minutes; remembers the day it dealt with."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.last_day: date | None = None

    def run_if_due(self, now: datetime | None = None) -> Report | None:
        if not self.settings.retention_purge:
            return None
        local = (now or utcnow()).astimezone(ZoneInfo(self.settings.display_timezone))
        today = local.date()
        if self.last_day == today or local.hour < self.settings.retention_hour:
            return None
        self.last_day = today
        if not claim_once(self.db, f"retention:{today.isoformat()}"):
            return None
        return purge_and_record(self.db, "system", self.settings, now=now)
