"""VIP customers, configured by staff: handed to a person sooner, served first, by
agents with the ``vip`` skill when one is free.

A VIP is a channel identity (WeChat openid, Telegram chat id, web visitor id; for SMS
the phone number, stored only as its keyed pseudonym like every SMS conversation)."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.core.contact_vault import ContactVault
from bot.core.db import Database
from bot.core.models import Conversation, VipCustomer


def identity(channel: str, external_id: str, vault: ContactVault | None) -> str:
    """The key a conversation of this channel is stored under."""
    if channel == "sms":
        if vault is None:
            raise ValueError("SMS VIPs need ANXIN_DATA_KEY (phone numbers are pseudonymised)")
        return vault.pseudonym(external_id)
    return external_id


def add(db: Database, channel: str, key: str) -> None:
    with db.session() as session:
        if not is_vip(session, channel, key):
            session.add(VipCustomer(channel=channel, external_user_id=key))
        session.execute(
            update(Conversation)
            .where(Conversation.channel == channel, Conversation.external_user_id == key)
            .values(tier="vip")
        )


def remove(db: Database, channel: str, key: str) -> bool:
    with db.session() as session:
        gone = session.execute(
            delete(VipCustomer).where(
                VipCustomer.channel == channel, VipCustomer.external_user_id == key
            )
        )
        session.execute(
            update(Conversation)
            .where(Conversation.channel == channel, Conversation.external_user_id == key)
            .values(tier="standard")
        )
        return bool(getattr(gone, "rowcount", 0))


def listing(db: Database) -> list[tuple[str, str]]:
    with db.session() as session:
        return [
            (v.channel, v.external_user_id)
            for v in session.scalars(select(VipCustomer).order_by(VipCustomer.id))
        ]


def is_vip(session: Session, channel: str, key: str) -> bool:
    return (
        session.scalar(
            select(VipCustomer.id).where(
                VipCustomer.channel == channel, VipCustomer.external_user_id == key
            )
        )
        is not None
    )
