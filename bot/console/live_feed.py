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
from collections.abc import Callable

from anyio import to_thread
from sqlalchemy import select

from bot.db import Database
from bot.models import Conversation, Handoff

MAX_AGE_S = 5.0
QUEUE_CHANGED = frozenset({"queue", "offer"})  # staff frames after which the list is read


def held_by(db: Database, agent: str) -> set[str]:
    """The public ids of the conversations ``agent`` is talking in now."""
    with db.engine.connect() as connection:
        return set(
            connection.scalars(
                select(Conversation.public_id)
                .join(Handoff, Handoff.conversation_id == Conversation.id)
                .where(Handoff.agent == agent, Handoff.state == "active")
            )
        )


def holds(db: Database, agent: str, conversation_public_id: str) -> bool:
    with db.engine.connect() as connection:
        found = connection.scalar(
            select(Handoff.id)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(
                Conversation.public_id == conversation_public_id,
                Handoff.agent == agent,
                Handoff.state == "active",
            )
        )
    return found is not None


class HeldChats:
    """Which conversations' events go to one agent's console."""

    def __init__(
        self,
        db: Database,
        agent: str,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.agent = agent
        self.max_age_s = max_age_s
        self._clock = clock
        self._held: set[str] = set()
        self._read_at = float("-inf")
        self.reads = 0  # for the tests: how often the list was read

    async def refresh(self) -> None:
        self._held = await to_thread.run_sync(held_by, self.db, self.agent)
        self._read_at = self._clock()
        self.reads += 1

    async def staff_frame(self, frame_type: object) -> None:
        if frame_type in QUEUE_CHANGED:
            await self.refresh()

    async def forwards(self, conversation_public_id: str) -> bool:
        """Whether an event of this conversation goes to the agent."""
        if (
            conversation_public_id not in self._held
            and self._clock() - self._read_at > self.max_age_s
        ):
            await self.refresh()
        if conversation_public_id not in self._held:
            return False
        if await to_thread.run_sync(holds, self.db, self.agent, conversation_public_id):
            return True
        self._held.discard(conversation_public_id)
        return False
