"""The durable inbox: store every inbound message (once) before acknowledging it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, case, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.core.contact_vault import ContactVault, VaultError
from bot.core.db import SQLITE_BUSY_TIMEOUT_S, Database
from bot.core.lang import detect_language
from bot.core.models import CONVERSATIONS, MESSAGES, Conversation, Message, VipCustomer, utcnow
from bot.core.redact import redact
from bot.identity.verification import capture
from bot.pipeline.messages import Accepted, InboundMessage


def find_conversation(session: Session, channel: str, external_user_id: str) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(
            Conversation.channel == channel, Conversation.external_user_id == external_user_id
        )
    )


def _new_conversation(session: Session, channel: str, external_user_id: str) -> Conversation:
    conversation_id = session.execute(
        _NEW_CONVERSATION,
        {"public_id": str(uuid.uuid4()), "channel": channel, "sender": external_user_id},
    ).scalar_one()  # a concurrent creation of the same identity fails here
    conversation = session.get(Conversation, conversation_id)
    assert conversation is not None
    return conversation


def get_or_create_conversation(db: Database, channel: str, external_user_id: str) -> Conversation:
    """Find the conversation of a channel identity, creating it race-free."""
    with db.session() as session:
        found = find_conversation(session, channel, external_user_id)
        if found is not None:
            return found
    try:
        with db.session() as session:
            return _new_conversation(session, channel, external_user_id)
    except IntegrityError:
        with db.session() as session:
            found = find_conversation(session, channel, external_user_id)
            assert found is not None
            return found


ATTEMPTS = 3  # a lost race (same customer, or same message, stored at once) is retried


def accept(db: Database, inbound: InboundMessage, vault: ContactVault | None = None) -> Accepted:
    """Store ``inbound`` (redacted) as a pending inbox row; idempotent on the provider id.

    One transaction (a new customer's conversation is created in it too): this is the
    path every webhook waits for. A reply address that is personal data is sealed with
    ``vault`` (required then).
    """
    _sealable(inbound, vault)
    for attempt in range(ATTEMPTS):
        try:
            with db.engine.begin() as connection:
                _take_write_lock(connection)
                return _store(connection, inbound, vault)
        except IntegrityError:
            # Another request created this conversation or stored this message first;
            # the next attempt finds it.
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


T = TypeVar("T")


def accept_many(
    db: Database,
    take: Callable[[], list[tuple[InboundMessage, T]]],
    vault: ContactVault | None = None,
) -> list[tuple[T, Accepted | Exception]]:
    """Store several messages in one transaction (group commit), each as ``accept``
    would: a duplicate, even of another message in the same batch, is found, not stored
    again. ``take`` hands over the messages (each with a tag returned beside its outcome)
    once the write lock is held, so whatever arrived while waiting for the lock goes in
    too instead of waiting for it a second time. If the transaction fails (a race with
    another process, one bad message), none of it is kept and each message is stored on
    its own, so one cannot fail the others; if the lock or the database cannot be had,
    every message taken is told so."""
    taken: list[tuple[InboundMessage, T]] | None = None
    try:
        with db.engine.begin() as connection:
            _take_write_lock(connection)
            taken = take()
            return [(tag, _store_sealable(connection, m, vault)) for m, tag in taken]
    except Exception as error:
        if taken is None:  # nothing was tried: the database is away or locked too long
            return [(tag, error) for _, tag in take()]
    return [(tag, _accept_alone(db, inbound, vault)) for inbound, tag in taken]


def _store_sealable(
    connection: Connection, inbound: InboundMessage, vault: ContactVault | None
) -> Accepted | Exception:
    """A message that cannot be sealed is refused alone, not by failing its batch."""
    try:
        _sealable(inbound, vault)
    except VaultError as error:
        return error
    return _store(connection, inbound, vault)


def _accept_alone(
    db: Database, inbound: InboundMessage, vault: ContactVault | None
) -> Accepted | Exception:
    try:
        return accept(db, inbound, vault)
    except Exception as error:
        return error


LOCK_RETRY_S = 0.0005


def _take_write_lock(connection: Connection) -> None:
    """SQLite: take the database's write lock first (BEGIN IMMEDIATE), retrying every
    half millisecond while the worker holds it. SQLite's own busy handler sleeps 1, 2,
    5, 10, 15, 20, 25 ... 100 ms between tries, so a webhook overslept the worker's
    release by up to half its wait: that was most of the acknowledgement tail at 300
    messages a second. PostgreSQL locks rows, not the database: nothing to do."""
    if connection.dialect.name != "sqlite":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    connection.exec_driver_sql("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                if "locked" not in str(error.orig) or time.monotonic() > deadline:
                    raise
            time.sleep(LOCK_RETRY_S)
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")


def _sealable(inbound: InboundMessage, vault: ContactVault | None) -> InboundMessage:
    if inbound.reply_address is not None and vault is None:
        raise VaultError("a sealed reply address needs ANXIN_DATA_KEY")
    return inbound


# Core statements, built once: every webhook waits for them. Through the ORM the same
# work (a unit of work, identity map and flush per row) took 2.1 ms of CPU per message
# on SQLite and 3.5 ms on PostgreSQL, most of a web process's CPU per acknowledgement.
_DUPLICATE = (
    select(Message.id, Conversation.public_id)
    .join(Conversation, Message.conversation_id == Conversation.id)
    .where(
        Message.channel == bindparam("channel"),
        Message.provider_msg_id == bindparam("provider_msg_id"),
    )
)
# Whether the customer has written before: a web-chat conversation is opened with the
# page, before its first message, and that message still sets the language.
_HAS_WRITTEN = (
    select(Message.id)
    .where(Message.conversation_id == Conversation.id, Message.direction == "in")
    .exists()
)
_CONVERSATION = select(
    Conversation.id,
    Conversation.public_id,
    Conversation.language,
    Conversation.verification,
    _HAS_WRITTEN.label("has_written"),
).where(
    Conversation.channel == bindparam("channel"),
    Conversation.external_user_id == bindparam("sender"),
)
_IS_VIP = (
    select(VipCustomer.id)
    .where(
        VipCustomer.channel == bindparam("channel"),
        VipCustomer.external_user_id == bindparam("sender"),
    )
    .exists()
)
_NEW_CONVERSATION = (
    insert(CONVERSATIONS)
    .values(
        public_id=bindparam("public_id"),
        channel=bindparam("channel"),
        external_user_id=bindparam("sender"),
        tier=case((_IS_VIP, "vip"), else_="standard"),
    )
    .returning(CONVERSATIONS.c.id)
)
_NEW_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
_TOUCH = (
    update(CONVERSATIONS)
    .where(CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(language=bindparam("language"), last_message_at=bindparam("now"))
)


def _store(connection: Connection, inbound: InboundMessage, vault: ContactVault | None) -> Accepted:
    keys = {
        "channel": inbound.channel,
        "provider_msg_id": inbound.provider_msg_id,
        "sender": inbound.sender,
    }
    existing = connection.execute(_DUPLICATE, keys).first()
    if existing is not None:  # a provider's retry (even one naming another sender)
        return Accepted(existing.id, existing.public_id, duplicate=True)
    found = connection.execute(_CONVERSATION, keys).first()
    if found is None:
        public_id = str(uuid.uuid4())
        conversation_id = connection.execute(
            _NEW_CONVERSATION, {**keys, "public_id": public_id}
        ).scalar_one()
        previous, verification, settled = "zh", None, False  # the column's default
    else:
        conversation_id, public_id = found.id, found.public_id
        previous, verification, settled = found.language, found.verification, found.has_written
    if inbound.kind == "text":
        language = inbound.language_hint or detect_language(inbound.text, previous, settled)
    else:  # placeholders like "[image]" say nothing about the customer's language
        language = previous
    text, sealed_secret = inbound.text, None
    if verification is not None and inbound.kind == "text" and vault is not None:
        text, sealed_secret = capture(verification, text, vault)
    stored_text = redact(text)
    message_id = connection.execute(
        _NEW_MESSAGE,
        {
            "conversation_id": conversation_id,
            "channel": inbound.channel,
            "provider_msg_id": inbound.provider_msg_id,
            "direction": "in",
            "sender": "customer",
            "kind": inbound.kind,
            "text": stored_text,
            "language": language,
            "status": "pending",
            "created_at": inbound.received_at,
            "sealed_secret": sealed_secret,
        },
    ).scalar_one()
    now = utcnow()
    connection.execute(
        _TOUCH, {"conversation_id": conversation_id, "language": language, "now": now}
    )
    rare: dict[str, Any] = {}
    if inbound.reply_address is not None and vault is not None:
        rare["recipient_sealed"] = vault.seal_phone(inbound.reply_address, connection)
    if inbound.kind in ("optout", "optin"):
        rare["opted_out_at"] = now if inbound.kind == "optout" else None
    if rare:
        connection.execute(
            update(CONVERSATIONS).where(CONVERSATIONS.c.id == conversation_id).values(**rare)
        )
    return Accepted(message_id, public_id, duplicate=False, text=stored_text)
