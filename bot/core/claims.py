"""Doing a scheduled job once across replicas: the first to add the claim's row (a unique
``channel_state`` key) does it, the others find the key taken."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.core.db import Database
from bot.core.models import ChannelState, utcnow

CLAIMS = "reports"


def claim_once(db: Database, key: str) -> bool:
    """True for the one caller that claimed ``key`` first."""
    try:
        with db.session() as session:
            session.add(ChannelState(channel=CLAIMS, key=key, value=utcnow().isoformat()))
        return True
    except IntegrityError:
        return False
