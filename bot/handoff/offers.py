"""One routing pass, run by the worker's sweeper and right after anything that changes
who is waiting or who is free: absent agents' chats back to the queue, stale offers
withdrawn, new offers made and announced to the console."""

from __future__ import annotations

import logging
from datetime import datetime

from anyio import to_thread

from bot.core.db import Database
from bot.core.live_events import LiveEvents
from bot.handoff.presence import Presence
from bot.handoff.queue import requeue_absent
from bot.handoff.routing import dispatch, next_offer_expiry

log = logging.getLogger(__name__)


class OfferRouter:
    def __init__(
        self, db: Database, presence: Presence, events: LiveEvents, offer_seconds: float
    ) -> None:
        self.db = db
        self.presence = presence
        self.events = events
        self.offer_seconds = offer_seconds

    async def run_once(self) -> datetime | None:
        """Route what waits; returns when the next open offer runs out (to wake then)."""
        online = await self.presence.online()
        moved = await to_thread.run_sync(requeue_absent, self.db, online)
        for conversation in moved:
            log.info("an agent went offline; conversation %s is back in the queue", conversation)
        available = await self.presence.available()
        offers = await to_thread.run_sync(dispatch, self.db, available, self.offer_seconds)
        for offer in offers:
            await self.events.publish_staff(
                {
                    "type": "offer",
                    "handoff_id": offer.handoff_id,
                    "agent": offer.agent,
                    "expires_at": offer.expires_at.isoformat(),
                }
            )
        if moved or offers:
            await self.events.publish_staff({"type": "queue"})
        return await to_thread.run_sync(next_offer_expiry, self.db)
