"""The retention purge: what has outlived its kind's retention (``bot.privacy.policy``)
is deleted, in batches (short transactions, so the live service keeps writing), except
what a legal hold covers.

Order of work: tickets resolved or closed long enough ago (with their history, notices,
回访 and surveys); then conversations whose last message is old enough and that have
no open ticket: their messages, deliveries, handoffs and quality records are deleted;
the conversation row itself goes once no ticket needs it (until then it is marked
``purged_at``). Then each kind's own records by age, the contact vault (identity
checks, customers and vault keys nothing refers to any more), the audit trail (behind
a checkpoint), and rotated log files.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    func,
    not_,
    or_,
    select,
    update,
)

from bot.audit import trail
from bot.core.claims import CLAIMS
from bot.core.contact_vault import sealed_pseudonym
from bot.core.db import Database
from bot.core.models import utcnow
from bot.privacy import holds, policy
from bot.privacy.tables import (
    AP,
    CALL,
    CS,
    CU,
    DONE,
    ESC,
    EV,
    FL,
    FU,
    IC,
    IDS,
    KQ,
    LH,
    NOTE,
    OUT,
    RV,
    SR,
    TASK,
    TRIES,
    VK,
    C,
    Counted,
    H,
    M,
    T,
)


@dataclass(slots=True)
class Report:
    """Rows removed per table (and files), what a hold kept, and how long it took."""

    removed: Counter[str] = field(default_factory=Counter)
    held_kept: int = 0
    seconds: float = 0.0
    audit_checkpoint: int | None = None
    # the pseudonyms whose numbers this run deleted: their vault keys may now be unused
    pseudonyms: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, removed: Counter[str], pseudonyms: set[str]) -> None:
        with self.lock:
            self.removed.update(removed)
            self.pseudonyms |= pseudonyms

    def as_dict(self) -> dict[str, Any]:
        return {
            "removed": dict(sorted(self.removed.items())),
            "held_kept": self.held_kept,
            "seconds": round(self.seconds, 3),
            "audit_checkpoint": self.audit_checkpoint,
        }


def _ids(connection: Connection, query: Any) -> list[int]:
    return [row[0] for row in connection.execute(query)]


def drop_tickets(
    connection: Connection, ids: Sequence[int], removed: Counter[str], pseudonyms: set[str]
) -> None:
    """Delete tickets and everything that hangs off them (history, escalations, notices,
    回访, confirmations and surveys); handoffs and merges that pointed at them forget it."""
    p = {"ids": list(ids)}
    run = Counted(connection, removed, p)
    pseudonyms.update(
        found
        for (sealed,) in connection.execute(
            select(T.c.callback_phone_sealed).where(
                T.c.id.in_(IDS), T.c.callback_phone_sealed.is_not(None)
            ),
            p,
        )
        if (found := sealed_pseudonym(sealed))
    )
    tasks = select(TASK.c.id).where(TASK.c.ticket_id.in_(IDS))
    followups = select(FU.c.id).where(FU.c.ticket_id.in_(IDS))
    run("followup_attempts", delete(CALL).where(CALL.c.task_id.in_(tasks)))
    run("followup_tasks", delete(TASK).where(TASK.c.ticket_id.in_(IDS)))
    run(
        "survey_responses",
        delete(SR).where(or_(SR.c.ticket_id.in_(IDS), SR.c.followup_id.in_(followups))),
    )
    run("followups", delete(FU).where(FU.c.ticket_id.in_(IDS)))
    run("escalation_events", delete(ESC).where(ESC.c.ticket_id.in_(IDS)))
    run("ticket_events", delete(EV).where(EV.c.ticket_id.in_(IDS)))
    run("staff_notices", delete(NOTE).where(NOTE.c.ticket_id.in_(IDS)))
    connection.execute(update(H).where(H.c.ticket_id.in_(IDS)).values(ticket_id=None), p)
    connection.execute(update(T).where(T.c.merged_into_id.in_(IDS)).values(merged_into_id=None), p)
    connection.execute(update(LH).where(LH.c.ticket_id.in_(IDS)).values(ticket_id=None), p)
    run("tickets", delete(T).where(T.c.id.in_(IDS)))


def empty_conversations(
    connection: Connection, ids: Sequence[int], removed: Counter[str], pseudonyms: set[str]
) -> None:
    """Delete the messages of these conversations and what derives from them: deliveries,
    handoffs and their quality records, identity checks; knowledge-base questions stay
    (their own retention) without the link."""
    p = {"ids": list(ids)}
    run = Counted(connection, removed, p)
    pseudonyms.update(
        row[0]
        for row in connection.execute(
            select(IC.c.phone_pseudonym)
            .where(IC.c.conversation_id.in_(IDS), IC.c.phone_pseudonym.is_not(None))
            .distinct(),
            p,
        )
    )
    messages = select(M.c.id).where(M.c.conversation_id.in_(IDS))
    outbox = select(OUT.c.id).where(OUT.c.message_id.in_(messages))
    handoffs = select(H.c.id).where(H.c.conversation_id.in_(IDS))
    reviews = select(RV.c.id).where(RV.c.handoff_id.in_(handoffs))
    run("delivery_attempts", delete(TRIES).where(TRIES.c.outbox_id.in_(outbox)))
    run("outbox", delete(OUT).where(OUT.c.message_id.in_(messages)))
    run("qa_appeals", delete(AP).where(AP.c.review_id.in_(reviews)))
    run("qa_reviews", delete(RV).where(RV.c.handoff_id.in_(handoffs)))
    run("qa_flags", delete(FL).where(FL.c.conversation_id.in_(IDS)))
    run("handoffs", delete(H).where(H.c.conversation_id.in_(IDS)))
    run("identity_checks", delete(IC).where(IC.c.conversation_id.in_(IDS)))
    connection.execute(
        update(KQ).where(KQ.c.conversation_id.in_(IDS)).values(conversation_id=None), p
    )
    # a reply points at the message it answers, in the same conversation: both go in
    # one statement, and the reference is checked at its end
    run("messages", delete(M).where(M.c.conversation_id.in_(IDS)))


def drop_conversations(
    connection: Connection, ids: Sequence[int], removed: Counter[str], pseudonyms: set[str]
) -> None:
    """Delete emptied conversations no ticket needs (their confirmations go with them)."""
    p = {"ids": list(ids)}
    run = Counted(connection, removed, p)
    pseudonyms.update(
        row[0]
        for row in connection.execute(
            select(C.c.external_user_id).where(C.c.id.in_(IDS), C.c.channel == "sms"), p
        )
    )
    followups = select(FU.c.id).where(FU.c.conversation_id.in_(IDS))
    run("survey_responses", delete(SR).where(SR.c.followup_id.in_(followups)))
    run("followups", delete(FU).where(FU.c.conversation_id.in_(IDS)))
    connection.execute(
        update(LH).where(LH.c.conversation_id.in_(IDS)).values(conversation_id=None), p
    )
    run("conversations", delete(C).where(C.c.id.in_(IDS)))


# A key no stored number uses is destroyed once this old (a number sealed outside the
# transaction that stores it, as the desk's call-back does, is stored well within it).
KEY_GRACE = timedelta(hours=1)


class Purge:
    """One run of the retention rules; ``batch`` conversations or tickets per
    transaction."""

    def __init__(
        self,
        db: Database,
        now: datetime | None = None,
        days: dict[str, int] | None = None,
        log_dir: Path | None = None,
        batch: int | None = None,
        workers: int = 2,
    ) -> None:
        self.db = db
        self.now = now or utcnow()
        with db.session() as session:
            self.days = days if days is not None else policy.days(session)
            self.held = holds.live(session)
        self.log_dir = log_dir
        self.batch = batch or (1000 if db.is_sqlite else 5000)
        # SQLite has one writer; PostgreSQL deletes two batches at once (two cores here)
        self.workers = 1 if db.is_sqlite else workers
        self.report = Report()

    def cutoff(self, kind: str) -> datetime | None:
        kept = self.days.get(kind, 0)
        return self.now - timedelta(days=kept) if kept > 0 else None

    def run(self) -> Report:
        started = time.perf_counter()
        self.tickets()
        self.conversations()
        self.by_age()
        self.contact_vault()
        self.audit()
        self.log_files()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _expired(self, query: Any, held: set[int]) -> list[int]:
        """Every id ``query`` selects (ordered by id, after ``:after``; read in pages),
        the held ones left out and counted."""
        found: list[int] = []
        after = 0
        with self.db.engine.connect() as connection:
            while True:
                page = [row[0] for row in connection.execute(query.limit(50_000), {"after": after})]
                if not page:
                    break
                after = page[-1]
                found.extend(page)
        kept = [i for i in found if i not in held]
        self.report.held_kept += len(found) - len(kept)
        return kept

    def _in_batches(self, ids: list[int], work: Any) -> None:
        """``work(connection, batch, removed, pseudonyms)`` per batch, one transaction
        each; on PostgreSQL two at a time (disjoint rows: no lock waits between them)."""

        def one(batch: list[int]) -> None:
            removed: Counter[str] = Counter()
            pseudonyms: set[str] = set()
            with self.db.engine.begin() as connection:
                work(connection, batch, removed, pseudonyms)
            self.report.add(removed, pseudonyms)

        batches = [ids[i : i + self.batch] for i in range(0, len(ids), self.batch)]
        if self.workers == 1 or len(batches) < 2:
            for batch in batches:
                one(batch)
            return
        with ThreadPoolExecutor(self.workers, thread_name_prefix="purge") as pool:
            for done in [pool.submit(one, batch) for batch in batches]:
                done.result()

    def tickets(self) -> None:
        cut = self.cutoff("tickets")
        if cut is None:
            return
        done_at = func.coalesce(T.c.closed_at, T.c.resolved_at)
        query = (
            select(T.c.id)
            .where(T.c.status.in_(DONE), done_at < cut, T.c.id > bindparam("after"))
            .order_by(T.c.id)
        )
        self._in_batches(self._expired(query, self.held.tickets), drop_tickets)

    def conversations(self) -> None:
        cut = self.cutoff("transcripts")
        if cut is None:
            return
        open_ticket = exists().where(T.c.conversation_id == C.c.id, T.c.status.not_in(DONE))
        live_handoff = exists().where(H.c.conversation_id == C.c.id, H.c.state != "ended")
        any_ticket = exists().where(T.c.conversation_id == C.c.id)
        query = (
            select(C.c.id)
            .where(
                C.c.last_message_at < cut,
                C.c.id > bindparam("after"),
                or_(C.c.purged_at.is_(None), not_(any_ticket)),
                not_(open_ticket),
                not_(live_handoff),
            )
            .order_by(C.c.id)
        )
        now = self.now

        def work(
            connection: Connection, ids: list[int], removed: Counter[str], pseudonyms: set[str]
        ) -> None:
            empty_conversations(connection, ids, removed, pseudonyms)
            needed = set(
                _ids(
                    connection,
                    select(T.c.conversation_id).where(T.c.conversation_id.in_(ids)).distinct(),
                )
            )
            if needed:
                connection.execute(update(C).where(C.c.id.in_(needed)).values(purged_at=now))
            gone = [i for i in ids if i not in needed]
            if gone:
                drop_conversations(connection, gone, removed, pseudonyms)

        self._in_batches(self._expired(query, self.held.conversations), work)

    def by_age(self) -> None:
        """Each kind's own records older than its retention, whatever else is kept."""
        held_c = sorted(self.held.conversations) or [-1]
        held_t = sorted(self.held.tickets) or [-1]
        with self.db.engine.begin() as connection:
            run = Counted(connection, self.report.removed)
            cut = self.cutoff("surveys")
            if cut is not None:
                old_answers = (SR.c.created_at < cut, SR.c.ticket_id.not_in(held_t))
                run("survey_responses", delete(SR).where(*old_answers))
            cut = self.cutoff("call_logs")
            if cut is not None:
                old = select(TASK.c.id).where(
                    TASK.c.state != "open",
                    func.coalesce(TASK.c.done_at, TASK.c.created_at) < cut,
                    TASK.c.ticket_id.not_in(held_t),
                )
                done = _ids(connection, old)
                for start in range(0, len(done), self.batch):
                    chunk = {"ids": done[start : start + self.batch]}
                    run("followup_attempts", delete(CALL).where(CALL.c.task_id.in_(IDS)), chunk)
                    run("followup_tasks", delete(TASK).where(TASK.c.id.in_(IDS)), chunk)
            cut = self.cutoff("quality")
            if cut is not None:
                reviews = select(RV.c.id).where(
                    RV.c.created_at < cut,
                    RV.c.handoff_id.in_(select(H.c.id).where(H.c.conversation_id.not_in(held_c))),
                )
                run("qa_appeals", delete(AP).where(AP.c.review_id.in_(reviews)))
                run("qa_reviews", delete(RV).where(RV.c.id.in_(reviews)))
                run(
                    "qa_flags",
                    delete(FL).where(FL.c.created_at < cut, FL.c.conversation_id.not_in(held_c)),
                )
            cut = self.cutoff("deliveries")
            if cut is not None:
                old = select(OUT.c.id).where(
                    OUT.c.created_at < cut,
                    OUT.c.status != "pending",
                    OUT.c.message_id.in_(select(M.c.id).where(M.c.conversation_id.not_in(held_c))),
                )
                run("delivery_attempts", delete(TRIES).where(TRIES.c.outbox_id.in_(old)))
                run("outbox", delete(OUT).where(OUT.c.id.in_(old)))
            cut = self.cutoff("kb_queries")
            if cut is not None:
                run(
                    "kb_queries",
                    delete(KQ).where(
                        KQ.c.created_at < cut,
                        or_(KQ.c.conversation_id.is_(None), KQ.c.conversation_id.not_in(held_c)),
                    ),
                )
            cut = self.cutoff("operational")
            if cut is not None:
                run(
                    "channel_state", delete(CS).where(CS.c.channel == CLAIMS, CS.c.updated_at < cut)
                )

    def contact_vault(self) -> None:
        """Identity checks by age; customers no conversation refers to; the vault keys of
        the numbers this run deleted that nothing stored uses any more."""
        cut = self.cutoff("contact_vault")
        if cut is None:
            return
        held_c = sorted(self.held.conversations) or [-1]
        held_cu = sorted(self.held.customers) or [-1]
        pseudonyms = self.report.pseudonyms
        with self.db.engine.begin() as connection:
            run = Counted(connection, self.report.removed)
            old_checks = (IC.c.created_at < cut, IC.c.conversation_id.not_in(held_c))
            pseudonyms.update(
                row[0]
                for row in connection.execute(
                    select(IC.c.phone_pseudonym)
                    .where(*old_checks, IC.c.phone_pseudonym.is_not(None))
                    .distinct()
                )
            )
            run("identity_checks", delete(IC).where(*old_checks))
            orphans = select(CU.c.id, CU.c.phone_pseudonym).where(
                CU.c.id.not_in(held_cu),
                not_(exists().where(C.c.customer_id == CU.c.id)),
                not_(exists().where(and_(LH.c.customer_id == CU.c.id, LH.c.lifted_at.is_(None)))),
            )
            gone = connection.execute(orphans).all()
            pseudonyms.update(row.phone_pseudonym for row in gone)
            ids = [row.id for row in gone]
            for start in range(0, len(ids), self.batch):
                chunk = {"ids": ids[start : start + self.batch]}
                connection.execute(
                    update(LH).where(LH.c.customer_id.in_(IDS)).values(customer_id=None), chunk
                )
                run("customers", delete(CU).where(CU.c.id.in_(IDS)), chunk)
            in_callbacks = {
                found
                for (sealed,) in connection.execute(
                    select(T.c.callback_phone_sealed).where(T.c.callback_phone_sealed.is_not(None))
                )
                if (found := sealed_pseudonym(sealed))
            }
            candidates = sorted(pseudonyms - in_callbacks)
            for start in range(0, len(candidates), self.batch):
                chunk = {"ids": candidates[start : start + self.batch]}
                unused = delete(VK).where(
                    VK.c.pseudonym.in_(IDS),
                    VK.c.created_at < self.now - KEY_GRACE,
                    not_(exists().where(CU.c.phone_pseudonym == VK.c.pseudonym)),
                    not_(
                        exists().where(
                            and_(C.c.channel == "sms", C.c.external_user_id == VK.c.pseudonym)
                        )
                    ),
                    not_(exists().where(IC.c.phone_pseudonym == VK.c.pseudonym)),
                )
                run("vault_keys", unused, chunk)

    def audit(self) -> None:
        cut = self.cutoff("audit")
        if cut is None:
            return
        checkpoint = trail.prune(self.db, cut)
        if checkpoint is not None:
            self.report.removed["audit_log"] += checkpoint.pruned
            self.report.audit_checkpoint = checkpoint.last_id

    def log_files(self) -> None:
        """Rotated log files (``name.log.<date>``) older than the logs' retention; the
        file each process writes to now is left alone."""
        cut = self.cutoff("logs")
        if cut is None or self.log_dir is None or not self.log_dir.is_dir():
            return
        for path in self.log_dir.iterdir():
            if path.is_file() and ".log." in path.name and path.stat().st_mtime < cut.timestamp():
                path.unlink(missing_ok=True)
                self.report.removed["log_files"] += 1
