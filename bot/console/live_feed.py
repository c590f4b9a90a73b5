"""An agent's live feed: the messages of the chats they hold, without a database
query for every message of every conversation.

Each console socket hears every conversation's events (one pattern subscription) and
forwards those of its agent's chats. Which chats those are is kept in memory and read
again when the staff channel says the queue changed (an accept, a transfer, an offer
is published there before anything is said in the chat), and when a message comes from
a chat not in the list and the list is older than ``MAX_AGE_S``. A message from a chat
in the list is checked against the database before it is forwarded, as the chat may
just have been ended or passed on. Before, every console asked the database about
every message: at 300 messages a second, 300 queries a second per open console.
"""

from __future__ import annotations

import time

from anyio import to_thread
from sqlalchemy import Select, select

from bot.core.db import Database
from bot.core.models import Conversation, Handoff

MAX_AGE_S = 5.0
QUEUE_CHANGED = frozenset({"queue", "offer"})  # staff frames after which the list is read


def _held(agent: str) -> Select[str]:
    return (
        select(Conversation.public_id)
        .join(Handoff, Handoff.conversation_id == Conversation.id)
        .where(Handoff.agent == agent, Handoff.state == "active")
    )


def held_by(db: Database, agent: str) -> set[str]:
    """The public ids of the conversations ``agent`` is talking in now."""
    with db.engine.connect() as connection:
        return set(connection.scalars(_held(agent)))


def holds(db: Database, agent: str, conversation_public_id: str) -> bool:
    with db.engine.connect() as connection:
        query = _held(agent).where(Conversation.public_id == conversation_public_id)
        return connection.scalar(query) is not None


class HeldChats:
    """Which conversations' events go to one agent's console."""

    def __init__(self, db: Database, agent: str) -> None:
        self.db = db
        self.agent = agent
        self._held: set[str] = set()
        self._read_at = float("-inf")

    async def refresh(self) -> None:
        self._held = await to_thread.run_sync(held_by, self.db, self.agent)
        self._read_at = time.monotonic()

    async def staff_frame(self, frame_type: object) -> None:
        if frame_type in QUEUE_CHANGED:
            await self.refresh()

    async def forwards(self, conversation_public_id: str) -> bool:
        """Whether an event of this conversation goes to the agent."""
        if conversation_public_id not in self._held:
            if time.monotonic() - self._read_at <= MAX_AGE_S:
                return False
            await self.refresh()  # read just now: no need to ask again below
            return conversation_public_id in self._held
        if await to_thread.run_sync(holds, self.db, self.agent, conversation_public_id):
            return True
        self._held.discard(conversation_public_id)
        return False
