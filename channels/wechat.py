"""WeChat Official Account: callback verification, plaintext and safe (AES) mode, and
replies through the customer-service message API (客服消息).

The webhook answers ``success`` as soon as the message is stored (WeChat allows 5 s);
the reply goes out later through the outbox. WeChat's three tries are de-duplicated
by MsgId (messages) or FromUserName+CreateTime (events).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import xmltodict
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse
from redis.asyncio import Redis
from redis.exceptions import RedisError
from wechatpy import parse_message
from wechatpy.events import ClickEvent, SubscribeEvent, UnsubscribeEvent
from wechatpy.messages import ImageMessage, TextMessage, VoiceMessage

from bot.core.redis_pipe import Pipelined
from bot.pipeline.messages import DeliveryError, InboundMessage, OutboundMessage, quick_reply_lines
from bot.pipeline.port import ChannelPort
from channels.json_http import JsonHttp
from channels.webhook_common import port_of, read_body, require_enabled
from channels.wechat_crypto import WINDOW_S, MessageCrypto, SignatureError, check_signature
from channels.wechat_token import CALL_ERRORS, SharedToken, TokenError, post_with_token

CHANNEL = "wechat"
WINDOW_CLOSED = 45015  # the customer has not written in 48 hours
FATAL = {45047, 43004, 40003, 43019}  # over quota, unfollowed, bad openid, blocked

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])


def inbound_from_xml(xml: str) -> InboundMessage | None:
    """Parse a (decrypted) callback body; None for types we do not handle."""
    message = parse_message(xml)
    now = datetime.now(UTC)
    source = str(message.source or "")
    if not source:
        raise ValueError("no FromUserName")
    msg_id = f"msg:{message.id}"
    if isinstance(message, TextMessage):
        return InboundMessage(
            CHANNEL, msg_id, source, str(message.content or "")[:2000] or "[empty]", now
        )
    if isinstance(message, VoiceMessage):
        if message.recognition:
            return InboundMessage(CHANNEL, msg_id, source, str(message.recognition), now)
        return InboundMessage(CHANNEL, msg_id, source, "[voice]", now, kind="voice")
    if isinstance(message, ImageMessage):
        return InboundMessage(CHANNEL, msg_id, source, "[image]", now, kind="image")
    created = int(message.create_time.timestamp()) if message.create_time else 0
    event_id = f"event:{source}:{created}"
    if isinstance(message, SubscribeEvent):
        return InboundMessage(
            CHANNEL, f"{event_id}:subscribe", source, "[subscribe]", now, kind="event:subscribe"
        )
    if isinstance(message, UnsubscribeEvent):
        return InboundMessage(
            CHANNEL,
            f"{event_id}:unsubscribe",
            source,
            "[unsubscribe]",
            now,
            kind="event:unsubscribe",
        )
    if isinstance(message, ClickEvent) and message.key:
        # Menu keys are configured as the words the customer would have typed.
        return InboundMessage(CHANNEL, f"{event_id}:click", source, str(message.key)[:200], now)
    return None


async def remember_nonce(
    commands: Pipelined, prefix: str, nonce: str, timestamp: str, body: bytes
) -> None:
    """Refuse a replayed (nonce, timestamp) carrying a different body.

    WeChat's own retries repeat the request exactly and pass (MsgId de-duplicates them);
    plaintext mode does not sign the body, so a captured signature reused with another
    body inside the window is refused.
    """
    key = f"{prefix}:wechat:nonce:{timestamp}:{nonce}"
    digest = hashlib.sha256(body).hexdigest()
    stored = await commands.call("SET", key, digest, "NX", "EX", WINDOW_S * 2)
    if not stored:
        seen = await commands.call("GET", key)
        seen_text = seen.decode() if isinstance(seen, bytes) else seen
        if seen_text != digest:
            raise SignatureError("replayed nonce")


def _crypto(port: ChannelPort) -> MessageCrypto | None:
    s = port.settings
    return (
        MessageCrypto(s.wechat_token, s.wechat_aes_key, s.wechat_app_id)
        if s.wechat_aes_key
        else None
    )


@router.get("/webhooks/wechat", response_class=PlainTextResponse)
async def wechat_verify(request: Request) -> str:
    """URL verification: echo ``echostr`` when the signature is right."""
    port = port_of(request)
    require_enabled(port.settings.wechat_enabled, CHANNEL)
    q = request.query_params
    try:
        check_signature(
            port.settings.wechat_token,
            q.get("signature", ""),
            q.get("timestamp", ""),
            q.get("nonce", ""),
        )
    except SignatureError as exc:
        raise HTTPException(403, str(exc)) from exc
    return q.get("echostr", "")


@router.post("/webhooks/wechat", response_class=PlainTextResponse)
async def wechat_callback(request: Request) -> str:
    port = port_of(request)
    settings = port.settings
    require_enabled(settings.wechat_enabled, CHANNEL)
    q = request.query_params
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    body = await read_body(request)
    crypto = _crypto(port)
    try:
        check_signature(settings.wechat_token, q.get("signature", ""), timestamp, nonce)
        if crypto is not None:
            xml = _decrypt_body(
                crypto,
                body,
                q.get("msg_signature", ""),
                timestamp,
                nonce,
                q.get("encrypt_type", ""),
            )
        else:
            xml = body.decode("utf-8")
        await remember_nonce(port.events.commands, settings.redis_prefix, nonce, timestamp, body)
    except SignatureError as exc:
        raise HTTPException(403, str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise HTTPException(400, "body is not UTF-8") from exc
    except RedisError as exc:
        log.warning("WeChat replay check failed (%s); answered 503", type(exc).__name__)
        raise HTTPException(503, "replay cache unavailable, retry") from exc
    try:
        inbound = inbound_from_xml(xml)
    except Exception as exc:  # wechatpy raises assorted errors on malformed XML
        raise HTTPException(400, "not a WeChat message") from exc
    if inbound is not None:
        await port.store(inbound)
    return "success"


def _decrypt_body(
    crypto: MessageCrypto,
    body: bytes,
    msg_signature: str,
    timestamp: str,
    nonce: str,
    encrypt_type: str,
) -> str:
    """Safe mode: the body must be encrypted and carry a valid msg_signature."""
    if encrypt_type != "aes":
        raise SignatureError("safe mode requires encrypt_type=aes")
    try:
        encrypted = str(xmltodict.parse(body.decode("utf-8"))["xml"]["Encrypt"])
    except Exception as exc:
        raise SignatureError("no Encrypt element") from exc
    check_signature(crypto.token, msg_signature, timestamp, nonce, encrypted)
    return crypto.decrypt(encrypted)


class WeChatSender:
    """Replies through 客服消息; outside the 48-hour window, through a template message."""

    channel = CHANNEL

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        api_base_url: str,
        redis: Redis,
        prefix: str,
        template_id: str = "",
    ) -> None:
        self._base = api_base_url.rstrip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self._template_id = template_id
        self._http = JsonHttp(timeout_s=10)
        self.token = SharedToken(redis, f"{prefix}:wechat:token:{app_id}", self._fetch_token)

    async def close(self) -> None:
        await self._http.close()

    async def _fetch_token(self) -> tuple[str, int]:
        response = await self._http.get(
            f"{self._base}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self._app_id,
                "secret": self._app_secret,
            },
        )
        data = response.json()
        if "access_token" not in data:
            raise TokenError(f"token request failed: errcode {data.get('errcode')}")
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def _call(self, path: str, payload: dict[str, Any]) -> int:
        data = await post_with_token(
            self._http, f"{self._base}{path}", self.token, payload, "WeChat"
        )
        return int(data.get("errcode", 0))

    async def send(self, message: OutboundMessage) -> str | None:
        text = quick_reply_lines(message)
        try:
            errcode = await self._call(
                "/cgi-bin/message/custom/send",
                {"touser": message.recipient, "msgtype": "text", "text": {"content": text}},
            )
            if errcode == WINDOW_CLOSED:
                return await self._send_template(message, text)
        except CALL_ERRORS as exc:
            raise DeliveryError(type(exc).__name__) from exc
        if errcode == 0:
            return None
        raise DeliveryError(f"WeChat errcode {errcode}", permanent=errcode in FATAL)

    async def _send_template(self, message: OutboundMessage, text: str) -> str:
        if not self._template_id:
            raise DeliveryError(
                "48-hour window closed and no WECHAT_TEMPLATE_ID",
                permanent=True,
                window_closed=True,
            )
        errcode = await self._call(
            "/cgi-bin/message/template/send",
            {
                "touser": message.recipient,
                "template_id": self._template_id,
                "data": {"content": {"value": text}},
            },
        )
        if errcode != 0:
            raise DeliveryError(
                f"template message failed: errcode {errcode}", permanent=errcode in FATAL
            )
        return "template"
