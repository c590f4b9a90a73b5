"""The port the channels plug into: everything a channel module may ask of the service.

A channel verifies, parses and normalises a provider's webhook into an
``InboundMessage`` and hands it to ``store``; it sends with its own sender. It sees the
settings, the contact vault and the live events of the core, and nothing else: no
database, no models, no service container (``bot.web.services.Services`` implements
this port).
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, Protocol

from bot.core.config import Settings
from bot.core.contact_vault import ContactVault
from bot.core.live_events import LiveEvents
from bot.pipeline.messages import Accepted, ChannelSender, InboundMessage, StoredMessage


class ChannelPort(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def vault(self) -> ContactVault | None:
        """Seals and pseudonymises personal addresses (phone numbers); None when the
        deployment has no data key (then no channel that needs one is on)."""

    @property
    def events(self) -> LiveEvents:
        """Live pushes to the pages watching a conversation, and shared Redis commands."""

    @property
    def senders(self) -> Mapping[str, ChannelSender]: ...

    async def store(self, inbound: InboundMessage) -> Accepted:
        """Store before acknowledging (exactly once), wake the worker, push it live."""

    async def open_conversation(self, channel: str, external_id: str) -> str:
        """The public id of the identity's conversation, opened if it has none."""

    async def recent_messages(
        self, channel: str, external_id: str, limit: int
    ) -> tuple[str | None, list[StoredMessage]]:
        """The conversation's public id (None: none yet) and its last messages."""

    async def load_cursor(self, channel: str, key: str) -> str:
        """A provider's read position ("" when none is kept)."""

    async def save_cursor(self, channel: str, key: str, value: str) -> None: ...

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` after the webhook has answered (kept until it ends)."""
