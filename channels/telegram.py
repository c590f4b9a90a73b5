"""Telegram: webhook with the secret-token header, replies with sendMessage.

Updates are de-duplicated by ``update_id`` (the inbox's UNIQUE constraint); quick
replies become an inline keyboard whose taps arrive as callback queries.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.core.security import same_secret
from bot.pipeline.messages import DeliveryError, InboundMessage, OutboundMessage
from channels.webhook_common import port_of, read_body, require_enabled

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
CALLBACK_DATA_MAX_BYTES = 64

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])


def make_bot(token: str, api_base_url: str) -> Bot:
    base = api_base_url.rstrip("/")
    return Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=HTTPXRequest(connection_pool_size=8, connect_timeout=5, read_timeout=10),
    )


def parse_update(data: Any) -> tuple[InboundMessage | None, str | None]:
    """Turn an update into an inbound message (or None to ignore) and a callback id to answer."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ValueError("not a Telegram update")
    update = Update.de_json(data, None)
    now = datetime.now(UTC)
    provider_id = f"update:{update.update_id}"
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if chat is None or not query.data:
            return None, query.id
        return InboundMessage(CHANNEL, provider_id, str(chat.id), query.data, now), query.id
    message = update.message
    if message is None:
        return None, None  # edits, channel posts, member updates: nothing to answer
    sender = str(message.chat.id)
    if message.text:
        return InboundMessage(CHANNEL, provider_id, sender, message.text, now), None
    kind = "voice" if message.voice is not None else "image"
    return InboundMessage(CHANNEL, provider_id, sender, f"[{kind}]", now, kind=kind), None


def keyboard(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(b.title, callback_data=b.payload)]
        for b in message.buttons
        if 0 < len(b.payload.encode()) <= CALLBACK_DATA_MAX_BYTES
    ]
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramSender:
    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, message: OutboundMessage) -> str | None:
        try:
            await self._bot.send_message(
                chat_id=int(message.recipient), text=message.text, reply_markup=keyboard(message)
            )
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            raise DeliveryError("rate limited", retry_after=seconds) from exc
        except (Forbidden, BadRequest, InvalidToken) as exc:
            # Blocked by the user, chat gone, bad token: retrying will not help.
            raise DeliveryError(f"refused: {type(exc).__name__}", permanent=True) from exc
        except TelegramError as exc:
            raise DeliveryError(type(exc).__name__) from exc
        return None

    async def answer_callback(self, callback_id: str) -> None:
        try:
            await asyncio.wait_for(self._bot.answer_callback_query(callback_id), timeout=5)
        except (TelegramError, TimeoutError):
            log.info("could not answer a Telegram callback query")


@router.post("/webhooks/telegram")
async def telegram_webhook(request: Request) -> dict[str, bool]:
    port = port_of(request)
    settings = port.settings
    require_enabled(settings.telegram_enabled, CHANNEL)
    given = request.headers.get(SECRET_HEADER, "")
    if not same_secret(given, settings.telegram_secret_token):
        raise HTTPException(403, "missing or wrong secret token")
    body = await read_body(request)
    try:
        inbound, callback_id = parse_update(json.loads(body))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise HTTPException(400, "not a Telegram update") from exc
    if inbound is not None:
        await port.store(inbound)
    sender = port.senders.get(CHANNEL)
    if callback_id is not None and isinstance(sender, TelegramSender):
        port.in_background(sender.answer_callback(callback_id))
    return {"ok": True}


async def set_webhook(token: str, api_base_url: str, url: str, secret_token: str) -> bool:
    """Register ``url`` with Telegram (the CLI's ``telegram set-webhook``)."""
    bot = make_bot(token, api_base_url)
    return bool(
        await bot.set_webhook(
            url=url, secret_token=secret_token, allowed_updates=["message", "callback_query"]
        )
    )
