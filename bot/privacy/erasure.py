"""Erasure of one customer (PIPL art. 47), unless a legal hold applies.

What identifies them or holds their words is destroyed: the vault keys their numbers
were sealed with (crypto-shredding: every copy of a sealed number becomes unreadable,
wherever it was copied) and the sealed values themselves; every message of their
conversations (both ways: replies quote them), ticket descriptions, notes and replies,
回访 notes, survey comments, knowledge-base questions, identity checks, the channel ids
(openid, chat id, pseudonym) and the customer record. Tickets, handoffs, scores and
their timestamps stay, pseudonymous, so the service-target figures do not move.

On SQLite the rows are rewritten with ``secure_delete`` and the file vacuumed and its
write-ahead log truncated, so the text is gone from the file, not only from queries; on
PostgreSQL the tables are vacuumed (``full`` rewrites them: see docs/privacy.md).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import redis
from sqlalchemy import Connection, String, cast, delete, insert, literal, select, tuple_, update
from sqlalchemy.exc import DBAPIError

from bot.core.config import rasa_key_prefix
from bot.core.contact_vault import destroy_keys, sealed_pseudonym
from bot.core.db import Database
from bot.core.models import LegalHold, utcnow
from bot.privacy import holds
from bot.privacy.subjects import Subject
from bot.privacy.tables import (
    AP,
    CALL,
    CU,
    EV,
    IC,
    IDS,
    KQ,
    LH,
    NOTE,
    OUT,
    RECORDS,
    RV,
    SR,
    TASK,
    TRIES,
    VIP,
    C,
    Counted,
    H,
    M,
    T,
)

log = logging.getLogger(__name__)
ERASED = "[已删除/erased]"
# what an erasure rewrites or deletes, vacuumed afterwards on PostgreSQL
TABLES = (
    "messages",
    "outbox",
    "delivery_attempts",
    "conversations",
    "tickets",
    "ticket_events",
    "staff_notices",
    "followup_tasks",
    "followup_attempts",
    "survey_responses",
    "kb_queries",
    "qa_reviews",
    "identity_checks",
    "customers",
    "vip_customers",
    "vault_keys",
)


class Refused(Exception):
    """A legal hold covers the customer: nothing was erased."""

    def __init__(self, blocking: list[LegalHold]) -> None:
        self.holds = blocking
        reasons = "; ".join(f"#{h.id} {h.label}: {h.reason}" for h in blocking)
        super().__init__(f"under legal hold / 处于法律保全中: {reasons}")


@dataclass(slots=True)
class Erasure:
    """What was erased: rows rewritten or deleted per table, keys destroyed, the Rasa
    dialogue states to delete (their conversation ids), how the file was cleaned."""

    label: str
    conversations: int
    tickets: list[str]
    changed: Counter[str] = field(default_factory=Counter)
    keys_destroyed: int = 0
    senders: list[str] = field(default_factory=list)
    storage: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.label,
            "conversations": self.conversations,
            "tickets": self.tickets,
            "changed": dict(sorted(self.changed.items())),
            "keys_destroyed": self.keys_destroyed,
            "dialogue_states": len(self.senders),
            "storage": self.storage,
            "seconds": round(self.seconds, 3),
        }


def erase(
    db: Database,
    subject: Subject,
    actor: str,
    reason: str,
    full_vacuum: bool = False,
    clean: bool = True,
) -> Erasure:
    """Erase ``subject``; raises ``Refused`` when a live hold covers any of it. With
    ``clean`` the database's files are cleaned before returning (``clean_storage``)."""
    started = time.perf_counter()
    if len(reason.strip()) < holds.MIN_REASON:
        raise holds.HoldError("an erasure needs a reason (4+ characters) / 删除须填写原因")
    with db.session() as session:
        blocking = holds.live(session).covers(subject)
        if blocking:
            raise Refused(blocking)
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # the rows rewritten below are overwritten in the file, not only unlinked
            connection.exec_driver_sql("PRAGMA secure_delete=ON")
            connection.commit()
        try:
            with connection.begin():
                result = _erase(connection, subject)
                connection.execute(
                    insert(RECORDS).values(
                        kind="erase",
                        at=utcnow(),
                        actor=actor,
                        subject=result.label,
                        reason=reason.strip(),
                        report=result.as_dict(),
                    )
                )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA secure_delete=OFF")
                connection.commit()
    if clean:
        result.storage = clean_storage(db, full_vacuum)
    result.seconds = time.perf_counter() - started
    return result


def _erase(connection: Connection, subject: Subject) -> Erasure:
    ids = list(subject.conversation_ids)
    p = {"ids": ids}
    changed: Counter[str] = Counter()
    tickets = connection.execute(
        select(T.c.id, T.c.number, T.c.callback_phone_sealed).where(T.c.conversation_id.in_(IDS)),
        p,
    ).all()
    ticket_ids = {"ids": [row.id for row in tickets]}
    senders = [
        row[0] for row in connection.execute(select(C.c.public_id).where(C.c.id.in_(IDS)), p)
    ]
    identities = connection.execute(
        select(C.c.channel, C.c.external_user_id).where(C.c.id.in_(IDS)), p
    ).all()
    pseudonyms = set(subject.pseudonyms)
    pseudonyms |= {
        row[0]
        for row in connection.execute(
            select(IC.c.phone_pseudonym).where(
                IC.c.conversation_id.in_(IDS), IC.c.phone_pseudonym.is_not(None)
            ),
            p,
        )
    }
    pseudonyms |= {
        found for row in tickets if (found := sealed_pseudonym(row.callback_phone_sealed))
    }
    messages = select(M.c.id).where(M.c.conversation_id.in_(IDS))
    outbox = select(OUT.c.id).where(OUT.c.message_id.in_(messages))
    handoffs = select(H.c.id).where(H.c.conversation_id.in_(IDS))
    tasks = select(TASK.c.id).where(TASK.c.ticket_id.in_(IDS))

    run = Counted(connection, changed)

    run(
        "messages",
        update(M)
        .where(M.c.conversation_id.in_(IDS))
        .values(text=ERASED, buttons=None, sealed_secret=None),
        p,
    )
    run(
        "outbox",
        update(OUT).where(OUT.c.message_id.in_(messages)).values(sealed_text=None, last_error=None),
        p,
    )
    run(
        "delivery_attempts",
        update(TRIES).where(TRIES.c.outbox_id.in_(outbox)).values(error=None),
        p,
    )
    run(
        "tickets",
        update(T)
        .where(T.c.id.in_(IDS))
        .values(
            description=ERASED,
            callback_phone_sealed=None,
            query_code_hash=None,
            query_code_sealed=None,
        ),
        ticket_ids,
    )
    run(
        "ticket_events",
        update(EV).where(EV.c.ticket_id.in_(IDS), EV.c.body.is_not(None)).values(body=ERASED),
        ticket_ids,
    )
    run(
        "staff_notices",
        update(NOTE).where(NOTE.c.ticket_id.in_(IDS)).values(body=ERASED),
        ticket_ids,
    )
    run(
        "followup_tasks",
        update(TASK).where(TASK.c.ticket_id.in_(IDS)).values(outcome=None),
        ticket_ids,
    )
    run(
        "followup_attempts",
        update(CALL).where(CALL.c.task_id.in_(tasks)).values(note=None),
        ticket_ids,
    )
    run(
        "survey_responses",
        update(SR).where(SR.c.ticket_id.in_(IDS), SR.c.comment.is_not(None)).values(comment=None),
        ticket_ids,
    )
    run(
        "kb_queries",
        update(KQ).where(KQ.c.conversation_id.in_(IDS)).values(text=ERASED),
        p,
    )
    run(
        "qa_reviews",
        update(RV).where(RV.c.handoff_id.in_(handoffs), RV.c.comment != "").values(comment=ERASED),
        p,
    )
    run(
        "qa_appeals",
        update(AP)
        .where(AP.c.review_id.in_(select(RV.c.id).where(RV.c.handoff_id.in_(handoffs))))
        .values(reason=ERASED),
        p,
    )
    run("identity_checks", delete(IC).where(IC.c.conversation_id.in_(IDS)), p)
    if identities:
        run(
            "vip_customers",
            delete(VIP).where(
                tuple_(VIP.c.channel, VIP.c.external_user_id).in_(
                    [(row.channel, row.external_user_id) for row in identities]
                )
            ),
            {},
        )
    # the channel ids go; the rows stay (tickets and handoffs point at them)
    connection.execute(
        update(C)
        .where(C.c.id.in_(IDS))
        .values(
            external_user_id=literal("erased:") + cast(C.c.id, String),
            recipient_sealed=None,
            customer_id=None,
            verification=None,
            verified_until=None,
        ),
        p,
    )
    changed["conversations"] += len(ids)
    if subject.customer_id is not None:
        customer = {"ids": [subject.customer_id]}
        connection.execute(
            update(LH).where(LH.c.customer_id.in_(IDS)).values(customer_id=None), customer
        )
        run("customers", delete(CU).where(CU.c.id.in_(IDS)), customer)
    destroyed = destroy_keys(connection, sorted(pseudonyms))
    label = (
        f"customer #{subject.customer_id}"
        if subject.customer_id is not None
        else f"conversation #{ids[0]}"
    )
    return Erasure(
        label=label,
        conversations=len(ids),
        tickets=sorted(row.number for row in tickets if row.number),
        changed=changed,
        keys_destroyed=destroyed,
        senders=senders,
    )


def forget_dialogues(redis_url: str, redis_prefix: str, senders: list[str]) -> int | None:
    """Delete Rasa's dialogue state of these conversations from Redis (it holds their
    masked words); None when Redis does not answer (the states expire after 30 idle
    days anyway, ``record_exp`` in endpoints.yml)."""
    if not senders:
        return 0
    prefix = rasa_key_prefix(redis_prefix) + ":tracker:"
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        deleted = int(client.delete(*(prefix + sender for sender in senders)))
        client.close()
    except redis.RedisError:
        return None
    return deleted


def clean_storage(db: Database, full: bool = False) -> str:
    """Make erased text unrecoverable from the database's files, as far as the engine
    allows; returns what was done."""
    try:
        if db.is_sqlite:  # rewrites the whole file: writers wait for it
            with db.engine.connect() as connection:
                connection.exec_driver_sql("VACUUM")
                busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
                connection.commit()
            return "sqlite: secure_delete, VACUUM, " + (
                "write-ahead log truncated"
                if not busy
                else "write-ahead log busy (truncated later)"
            )
        verb = "VACUUM FULL" if full else "VACUUM"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in TABLES:
                connection.exec_driver_sql(f"{verb} {name}")
        return f"postgresql: {verb} of {len(TABLES)} tables"
    except DBAPIError as exc:  # the erasure itself is committed: say what is left to do
        log.warning("cleaning the database files after an erasure failed: %s", exc)
        return f"cleaning the files failed ({type(exc.orig).__name__}); run it again: {exc.orig}"
