"""The outbox: deliver stored replies through their channel with retry, backoff and jitter.

Every attempt is recorded (``delivery_attempts``). A provider that is down or
rate-limiting is retried with exponential backoff plus jitter (or after its own
``retry_after``) until ``give_up_after``; parts of a long message that went out are
never sent again; nothing is sent to a customer who opted out.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import aliased

from bot.access.disclosure import SMS_CHANNEL as SMS
from bot.access.disclosure import is_sms_identity
from bot.core.contact_vault import ContactVault, VaultError
from bot.core.db import Database
from bot.core.log_format import conversation_id
from bot.core.models import (
    DELIVERY_ATTEMPTS,
    OUTBOX,
    Conversation,
    Customer,
    DeliveryAttempt,
    Message,
    OutboxItem,
    User,
    is_pending,
    utcnow,
)
from bot.core.models.staff import public_name
from bot.pipeline import leases
from bot.pipeline.messages import Button, ChannelSender, DeliveryError, OutboundMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
# Built once: a fresh alias per claim makes SQLAlchemy index its columns again each time
# (a tenth of the service's CPU under load, measured with py-spy).
_OTHER_ITEM, _OTHER_MESSAGE = aliased(OutboxItem), aliased(Message)


# Built once: delivering is on every reply's path (through the ORM, loading and
# recording an attempt were a fifth of the worker's CPU under load).
_LOAD = (
    select(
        OutboxItem.attempts,
        OutboxItem.parts_sent,
        OutboxItem.sealed_text,
        Message.id.label("message_id"),
        Message.channel,
        Message.sender,
        Message.text,
        Message.created_at,
        Message.buttons,
        User.display_name,
        User.staff_number,
        Conversation.id.label("conversation_id"),
        Conversation.public_id,
        Conversation.external_user_id,
        Conversation.recipient_sealed,
        Conversation.opted_out_at,
    )
    .join(Message, OutboxItem.message_id == Message.id)
    .join(Conversation, Message.conversation_id == Conversation.id)
    # an agent's message shows the customer the agent's public name, never the login
    .outerjoin(User, Message.author == User.name)
    .where(OutboxItem.id == bindparam("item_id"))
)
_ATTEMPT_OK = insert(DELIVERY_ATTEMPTS).values(ok=True, error=None)
_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("item_id"))
    .values(
        status="sent",
        sent_at=bindparam("now"),
        last_error=None,
        route=bindparam("route"),
        sealed_text=None,  # a one-time code is kept no longer than needed
    )
)


def backoff(attempts: int, cap_s: float, retry_after: float | None = None) -> timedelta:
    """1 s, 2 s, 4 s ... capped, with full jitter on the upper half; at least retry_after."""
    base = min(2 ** max(attempts - 1, 0), cap_s)
    delay = base * random.uniform(0.5, 1.0)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return timedelta(seconds=delay)


_OLDEST_PENDING = (
    select(func.min(_OTHER_ITEM.id))
    .join(_OTHER_MESSAGE, _OTHER_ITEM.message_id == _OTHER_MESSAGE.id)
    .where(_OTHER_MESSAGE.conversation_id == Message.conversation_id, is_pending(_OTHER_ITEM))
    .scalar_subquery()
)
_DUE = (
    select(OutboxItem.id)
    .join(Message, OutboxItem.message_id == Message.id)
    .where(
        OutboxItem.status == "pending",
        OutboxItem.next_attempt_at <= bindparam("now"),
        OutboxItem.id == _OLDEST_PENDING,
    )
    .order_by(OutboxItem.id)
    .limit(bindparam("limit"))
)
_LEASE = (
    update(OUTBOX)
    .where(
        OUTBOX.c.id == bindparam("row_id"),
        OUTBOX.c.status == "pending",
        OUTBOX.c.next_attempt_at <= bindparam("now"),
    )
    .values(next_attempt_at=bindparam("until"), attempts=OUTBOX.c.attempts + 1)
)


def claim_due(db: Database, limit: int = 50) -> list[int]:
    """Lease due outbox rows to this worker (a conditional UPDATE, safe across replicas).

    Only the oldest pending reply of each conversation is taken, so a customer's
    replies arrive in order even when one of them has to be retried.
    """
    return leases.take(db, (_DUE,), _LEASE, limit, LEASE)


@dataclass(frozen=True, slots=True)
class Loaded:
    outbound: OutboundMessage | None  # None: the customer opted out
    attempts: int
    conversation_id: int = 0


class Delivery:
    """Sends claimed outbox rows through the channel senders."""

    def __init__(
        self,
        db: Database,
        senders: dict[str, ChannelSender],
        vault: ContactVault | None = None,
        give_up_after: timedelta = timedelta(hours=24),
        max_backoff_s: float = 300.0,
    ) -> None:
        self.db = db
        self.senders = senders
        self.vault = vault
        self.give_up_after = give_up_after
        self.max_backoff_s = max_backoff_s

    def _load(self, item_id: int) -> Loaded | None:
        with self.db.engine.connect() as connection:
            row = connection.execute(_LOAD, {"item_id": item_id}).first()
        if row is None:
            return None
        if row.opted_out_at is not None:
            return Loaded(None, row.attempts)
        recipient, text = row.external_user_id, row.text
        if row.recipient_sealed is not None or row.sealed_text is not None:
            if self.vault is None:
                raise VaultError("ANXIN_DATA_KEY is needed to reach this customer")
            if row.recipient_sealed is not None:
                recipient = self.vault.open(row.recipient_sealed)
            if row.sealed_text is not None:
                text = self.vault.open(row.sealed_text)
        outbound = OutboundMessage(
            message_id=row.message_id,
            conversation_public_id=row.public_id,
            channel=row.channel,
            recipient=recipient,
            sender=row.sender,
            text=text,
            created_at=row.created_at,
            buttons=tuple(Button(b["title"], b["payload"]) for b in row.buttons or []),
            parts_sent=row.parts_sent,
            author=public_name(row.display_name, row.staff_number),
        )
        return Loaded(outbound, row.attempts, row.conversation_id)

    def _fallback_phone(self, conversation_id: int) -> str | None:
        """The number of the customer this identity is bound to, if SMS can reach it."""
        if SMS not in self.senders or self.vault is None:
            return None
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None
            if conversation.customer_id is None or conversation.channel == SMS:
                return None
            customer = session.get(Customer, conversation.customer_id)
            if customer is None:
                return None
            opted_out = session.scalar(
                select(Conversation.opted_out_at).where(is_sms_identity(customer.phone_pseudonym))
            )
            return None if opted_out is not None else self.vault.open(customer.phone_sealed)

    def _record(
        self, item_id: int, attempts: int, route: str | None, error: DeliveryError | None
    ) -> str:
        """Write the attempt and the item's new state; returns that state."""
        now = utcnow()
        if error is None:  # the usual case, in two prebuilt statements
            with self.db.engine.begin() as connection:
                connection.execute(_ATTEMPT_OK, {"outbox_id": item_id, "attempt": attempts})
                connection.execute(_SENT, {"item_id": item_id, "now": now, "route": route})
            return "sent"
        with self.db.session() as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            session.add(
                DeliveryAttempt(
                    outbox_id=item_id,
                    attempt=attempts,
                    ok=error is None,
                    error=error.reason[:255] if error else None,
                )
            )
            item.last_error = error.reason[:255]
            if error.parts_done is not None:
                item.parts_sent = max(item.parts_sent, error.parts_done)
            if error.permanent or now - item.created_at >= self.give_up_after:
                item.status, item.sealed_text = "dead", None
            else:
                item.next_attempt_at = now + backoff(
                    attempts, self.max_backoff_s, error.retry_after
                )
            return item.status

    def _suppress(self, item_id: int) -> None:
        with self.db.session() as session:
            item = session.get(OutboxItem, item_id)
            assert item is not None
            item.status, item.sealed_text = "suppressed", None

    @staticmethod
    async def _send(
        sender: ChannelSender, outbound: OutboundMessage, item_id: int
    ) -> tuple[str | None, DeliveryError | None]:
        try:
            return await sender.send(outbound), None
        except DeliveryError as exc:
            return None, exc
        except Exception as exc:  # a provider bug must not kill the loop
            log.exception("unexpected delivery failure for outbox item %s", item_id)
            return None, DeliveryError(type(exc).__name__)

    async def deliver(self, item_id: int) -> bool:
        """Send one claimed outbox row. Returns True when it went out."""
        loaded = await to_thread.run_sync(self._load, item_id)
        if loaded is None:
            return False
        if loaded.outbound is None:
            await to_thread.run_sync(self._suppress, item_id)
            return False
        outbound = loaded.outbound
        conversation_id.set(outbound.conversation_public_id)  # for this task's log lines
        sender = self.senders.get(outbound.channel)
        route: str | None = None
        error: DeliveryError | None = None
        if sender is None:
            error = DeliveryError(f"channel {outbound.channel} is not configured")
        else:
            route, error = await self._send(sender, outbound, item_id)
            phone = (
                await to_thread.run_sync(self._fallback_phone, loaded.conversation_id)
                if error is not None and error.window_closed
                else None
            )
            if phone is not None:
                # WeChat or WeCom may not message them now: their verified number may.
                by_sms = replace(outbound, channel=SMS, recipient=phone)
                route, error = await self._send(self.senders[SMS], by_sms, item_id)
                route = route or SMS
        state = await to_thread.run_sync(self._record, item_id, loaded.attempts, route, error)
        if error is not None:
            log.warning(
                "delivery of outbox item %s failed (attempt %s, now %s): %s",
                item_id,
                loaded.attempts,
                state,
                error.reason,
            )
        return error is None
