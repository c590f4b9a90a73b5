"""The durable inbox: store every inbound message (once) before acknowledging it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.contact_vault import ContactVault, VaultError
from bot.db import Database
from bot.identity import capture
from bot.lang import detect_language
from bot.models import Conversation, Message, utcnow
from bot.redact import redact
from bot.vip import is_vip
from channels.base import InboundMessage


@dataclass(frozen=True, slots=True)
class Accepted:
    message_id: int
    conversation_public_id: str
    duplicate: bool
    text: str = ""  # as stored: personal data and any one-time code masked


def find_conversation(session: Session, channel: str, external_user_id: str) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(
            Conversation.channel == channel, Conversation.external_user_id == external_user_id
        )
    )


def _new_conversation(session: Session, channel: str, external_user_id: str) -> Conversation:
    conversation = Conversation(
        public_id=str(uuid.uuid4()),
        channel=channel,
        external_user_id=external_user_id,
        tier="vip" if is_vip(session, channel, external_user_id) else "standard",
    )
    session.add(conversation)
    session.flush()  # a concurrent creation of the same identity fails here
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


def _existing(session: Session, inbound: InboundMessage) -> Message | None:
    return session.scalar(
        select(Message).where(
            Message.channel == inbound.channel,
            Message.provider_msg_id == inbound.provider_msg_id,
        )
    )


ATTEMPTS = 3  # a lost race (same customer, or same message, stored at once) is retried


def accept(db: Database, inbound: InboundMessage, vault: ContactVault | None = None) -> Accepted:
    """Store ``inbound`` (redacted) as a pending inbox row; idempotent on the provider id.

    One transaction (a new customer's conversation is created in it too): this is the
    path every webhook waits for. A reply address that is personal data is sealed with
    ``vault`` (required then).
    """
    if inbound.reply_address is not None and vault is None:
        raise VaultError("a sealed reply address needs ANXIN_DATA_KEY")
    for attempt in range(ATTEMPTS):
        try:
            with db.session() as session:
                return _store(session, inbound, vault)
        except IntegrityError:
            # Another request created this conversation or stored this message first;
            # the next attempt finds it.
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _store(session: Session, inbound: InboundMessage, vault: ContactVault | None) -> Accepted:
    existing = _existing(session, inbound)
    if existing is not None:  # a provider's retry (even one naming another sender)
        owner = session.get(Conversation, existing.conversation_id)
        assert owner is not None
        return Accepted(existing.id, owner.public_id, duplicate=True)
    conv = find_conversation(session, inbound.channel, inbound.sender)
    if conv is None:
        conv = _new_conversation(session, inbound.channel, inbound.sender)
    if inbound.kind == "text":
        language = inbound.language_hint or detect_language(inbound.text, conv.language)
    else:  # placeholders like "[image]" say nothing about the customer's language
        language = conv.language
    text, sealed_secret = inbound.text, None
    if conv.verification is not None and inbound.kind == "text" and vault is not None:
        text, sealed_secret = capture(conv.verification, text, vault)
    message = Message(
        conversation_id=conv.id,
        channel=inbound.channel,
        provider_msg_id=inbound.provider_msg_id,
        direction="in",
        sender="customer",
        kind=inbound.kind,
        text=redact(text),
        language=language,
        status="pending",
        created_at=inbound.received_at,
        sealed_secret=sealed_secret,
    )
    session.add(message)
    conv.language = language
    conv.last_message_at = utcnow()
    if inbound.reply_address is not None and vault is not None:
        conv.recipient_sealed = vault.seal(inbound.reply_address)
    if inbound.kind == "optout":
        conv.opted_out_at = utcnow()
    elif inbound.kind == "optin":
        conv.opted_out_at = None
    session.flush()
    return Accepted(message.id, conv.public_id, duplicate=False, text=message.text)
