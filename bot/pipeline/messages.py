"""The message types: one inbound shape, one reply shape, one outbound shape, one sender API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class BotReply:
    """One message the assistant says, before it is stored."""

    text: str
    buttons: tuple[Button, ...] = ()
    # What the outbox sends instead of ``text`` when the reply tells a secret once (a
    # ticket's query code): sealed in the contact vault; the stored text masks it.
    sealed_text: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message, normalised at the edge. Nothing past here knows the provider."""

    channel: str
    provider_msg_id: str
    sender: str
    text: str
    received_at: datetime
    language_hint: str | None = None
    # text | image | voice | event:subscribe | event:unsubscribe | optout | optin
    kind: str = "text"
    # The address to reply to when it is personal data (a phone number); it is stored
    # encrypted, and ``sender`` is then a pseudonym of it.
    reply_address: str | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the inbox answers a channel: the stored row, or that it was stored before."""

    message_id: int
    conversation_public_id: str
    duplicate: bool
    text: str = ""  # as stored: personal data and any one-time code masked


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message of a conversation as a customer's own page shows it again."""

    id: int
    provider_msg_id: str
    direction: str
    sender: str
    text: str
    buttons: tuple[Button, ...]
    created_at: datetime
    author: str | None  # as on the way out: the agent's public name


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
    parts_sent: int = 0  # parts of a long message the provider already accepted
    # an agent's message: the name the customer sees (display name and 工号, never the login)
    author: str | None = None


class DeliveryError(Exception):
    """A send failed. Retried with backoff unless ``permanent``.

    ``retry_after`` is the provider's own wait (rate limiting); ``parts_done`` how many
    parts of a long message went out before the failure, so they are not sent twice;
    ``window_closed`` that the channel may not message this customer now (WeChat's and
    WeCom's 48-hour rule), so another of the customer's channels may be tried.
    """

    def __init__(
        self,
        reason: str,
        *,
        retry_after: float | None = None,
        parts_done: int | None = None,
        permanent: bool = False,
        window_closed: bool = False,
    ) -> None:
        super().__init__(reason)
        self.window_closed = window_closed
        self.reason = reason
        self.retry_after = retry_after
        self.parts_done = parts_done
        self.permanent = permanent


class ChannelSender(Protocol):
    """Sends one stored outbound message through a provider.

    Returns the route taken when it was not the normal one (e.g. ``"template"`` when
    WeChat's 48-hour window was closed), else None. Raises DeliveryError on failure.
    """

    channel: str

    async def send(self, message: OutboundMessage) -> str | None: ...


def quick_reply_lines(message: OutboundMessage) -> str:
    """Text channels without buttons show the quick replies as lines to type."""
    if not message.buttons:
        return message.text
    options = "\n".join(f"· {b.payload}" for b in message.buttons)
    return f"{message.text}\n{options}"


class InvalidInput(ValueError):
    """Customer input the service refuses, with a bilingual explanation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
