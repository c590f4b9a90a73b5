"""Types shared by every channel: one inbound shape, one outbound shape, one sender API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message, normalised at the edge. Nothing past here knows the provider."""

    channel: str
    provider_msg_id: str
    sender: str
    text: str
    received_at: datetime
    language_hint: str | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A stored reply on its way to the customer."""

    message_id: int
    conversation_public_id: str
    channel: str
    recipient: str
    sender: str
    text: str
    created_at: datetime
    buttons: tuple[Button, ...] = field(default_factory=tuple)


class DeliveryError(Exception):
    """A send failed in a way worth retrying."""


class ChannelSender(Protocol):
    """Sends one stored outbound message through a provider. Raises DeliveryError to retry."""

    channel: str

    async def send(self, message: OutboundMessage) -> None: ...


class InvalidInput(ValueError):
    """Customer input the service refuses, with a bilingual explanation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
