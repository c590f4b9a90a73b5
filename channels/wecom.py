"""WeCom customer service (微信客服): encrypted callbacks, then pull with ``kf/sync_msg``.

The callback only says "there are new messages"; it is answered at once and the
messages are pulled from the durable cursor (kept in ``channel_state``), stored, and
only then is the cursor advanced, so a crash re-reads rather than loses (the msgid
de-duplicates). Replies go out with ``kf/send_msg``, carrying our own msgid so WeCom
itself refuses a duplicate. WeCom lets a business send at most 5 messages in the 48
hours after a customer's message; that budget is tracked in Redis.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import xmltodict
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.pipeline.messages import DeliveryError, InboundMessage, OutboundMessage, quick_reply_lines
from bot.pipeline.port import ChannelPort
from channels.json_http import JsonHttp
from channels.webhook_common import port_of, read_body, require_enabled
from channels.wechat_crypto import MessageCrypto, SignatureError, check_signature
from channels.wechat_token import CALL_ERRORS, SharedToken, TokenError, post_with_token

CHANNEL = "wecom"
ORIGIN_CUSTOMER = 3
BUDGET = 5
BUDGET_WINDOW_S = 48 * 3600
# kf/service_state/trans states
STATE_ASSISTANT, STATE_QUEUE, STATE_HUMAN, STATE_ENDED = 1, 2, 3, 4

log = logging.getLogger(__name__)
_SEND_ERRORS: tuple[type[Exception], ...] = (*CALL_ERRORS, DeliveryError)  # refund these
router = APIRouter(tags=["channels"])


def recipient_of(external_userid: str, open_kfid: str) -> str:
    """A customer is reached through one customer-service account: keep both."""
    return f"{open_kfid}|{external_userid}"


def inbound_from_kf(item: dict[str, Any]) -> InboundMessage | None:
    """One ``msg_list`` entry → inbound message (customer messages only)."""
    if item.get("origin") != ORIGIN_CUSTOMER:
        return None
    msgid, user, kfid = (
        str(item.get("msgid", "")),
        str(item.get("external_userid", "")),
        str(item.get("open_kfid", "")),
    )
    if not msgid or not user or not kfid:
        return None
    sender = recipient_of(user, kfid)
    now = datetime.now(UTC)
    msgtype = item.get("msgtype")
    if msgtype == "text":
        content = str((item.get("text") or {}).get("content", "")).strip()
        return InboundMessage(CHANNEL, msgid, sender, content[:2000] or "[empty]", now)
    if msgtype in ("image", "voice", "video", "file"):
        kind = "voice" if msgtype == "voice" else "image"
        return InboundMessage(CHANNEL, msgid, sender, f"[{msgtype}]", now, kind=kind)
    return None


class WeComClient:
    """The WeCom APIs we use, with a shared access token."""

    def __init__(
        self, corp_id: str, secret: str, api_base_url: str, redis: Redis, prefix: str
    ) -> None:
        self._base = api_base_url.rstrip("/")
        self._corp_id, self._secret = corp_id, secret
        self._http = JsonHttp(timeout_s=10)
        self.redis, self.prefix = redis, prefix
        self.token = SharedToken(redis, f"{prefix}:wecom:token:{corp_id}", self._fetch_token)

    async def close(self) -> None:
        await self._http.close()

    async def _fetch_token(self) -> tuple[str, int]:
        response = await self._http.get(
            f"{self._base}/cgi-bin/gettoken",
            params={"corpid": self._corp_id, "corpsecret": self._secret},
        )
        data = response.json()
        if not data.get("access_token"):
            raise TokenError(f"gettoken failed: errcode {data.get('errcode')}")
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    async def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await post_with_token(
            self._http, f"{self._base}{path}", self.token, payload, "WeCom"
        )

    def _budget_key(self, recipient: str) -> str:
        return f"{self.prefix}:wecom:budget:{recipient}"

    async def open_budget(self, recipient: str) -> None:
        """A customer wrote: we may send up to BUDGET messages in the next 48 hours."""
        await self.redis.set(self._budget_key(recipient), 0, ex=BUDGET_WINDOW_S)

    async def spend_budget(self, recipient: str) -> int:
        """Take one message from the budget; returns how many were used (0: window closed)."""
        key = self._budget_key(recipient)
        if not await self.redis.exists(key):
            return 0
        used = int(await self.redis.incr(key))
        return used

    async def refund_budget(self, recipient: str) -> None:
        """A send that did not go out does not count."""
        key = self._budget_key(recipient)
        if await self.redis.exists(key):
            await self.redis.decr(key)

    async def transfer(self, recipient: str, state: int) -> None:
        kfid, user = recipient.split("|", 1)
        data = await self.call(
            "/cgi-bin/kf/service_state/trans",
            {"open_kfid": kfid, "external_userid": user, "service_state": state},
        )
        if int(data.get("errcode", 0)) not in (0, 95016):  # 95016: already in that state
            log.warning("kf/service_state/trans answered errcode %s", data.get("errcode"))


class WeComSender:
    channel = CHANNEL

    def __init__(self, client: WeComClient) -> None:
        self.client = client

    async def close(self) -> None:
        await self.client.close()

    async def send(self, message: OutboundMessage) -> str | None:
        try:
            used = await self.client.spend_budget(message.recipient)
        except RedisError as exc:
            raise DeliveryError(type(exc).__name__) from exc
        if used == 0:
            raise DeliveryError(
                "48-hour window closed (no customer message)", permanent=True, window_closed=True
            )
        if used > BUDGET:
            raise DeliveryError(
                f"over WeCom's {BUDGET} messages per 48 hours", permanent=True, window_closed=True
            )
        kfid, user = message.recipient.split("|", 1)
        payload = {
            "touser": user,
            "open_kfid": kfid,
            "msgid": f"anxin-{message.message_id}",
            "msgtype": "text",
            "text": {"content": quick_reply_lines(message)},
        }
        try:
            errcode = int(
                (await self.client.call("/cgi-bin/kf/send_msg", payload)).get("errcode", 0)
            )
        except _SEND_ERRORS as exc:
            await self.client.refund_budget(message.recipient)  # it did not go out
            if isinstance(exc, DeliveryError):
                raise
            raise DeliveryError(type(exc).__name__) from exc
        if errcode in (0, 95019):  # 95019: this msgid was already sent
            return None
        await self.client.refund_budget(message.recipient)
        raise DeliveryError(
            f"kf/send_msg errcode {errcode}", permanent=errcode in (95001, 95004, 95018)
        )


async def pull_messages(port: ChannelPort, client: WeComClient, open_kfid: str, token: str) -> int:
    """Pull everything new for one account from the durable cursor; returns messages stored."""
    lock = client.redis.lock(
        f"{client.prefix}:wecom:sync:{open_kfid}", timeout=60, blocking_timeout=30
    )
    stored = 0
    async with lock:
        cursor = await port.load_cursor(CHANNEL, f"cursor:{open_kfid}")
        while True:
            payload: dict[str, Any] = {
                "cursor": cursor,
                "token": token,
                "limit": 1000,
                "open_kfid": open_kfid,
            }
            data = await client.call("/cgi-bin/kf/sync_msg", payload)
            if int(data.get("errcode", 0)) != 0:
                log.warning("kf/sync_msg answered errcode %s", data.get("errcode"))
                return stored
            for item in data.get("msg_list") or []:
                inbound = inbound_from_kf(item) if isinstance(item, dict) else None
                if inbound is None:
                    continue
                accepted = await port.store(inbound)
                await client.open_budget(inbound.sender)
                if not accepted.duplicate:
                    stored += 1
                    await client.transfer(inbound.sender, STATE_ASSISTANT)
            cursor = str(data.get("next_cursor") or cursor)
            await port.save_cursor(CHANNEL, f"cursor:{open_kfid}", cursor)
            if not data.get("has_more"):
                return stored


def _crypto(port: ChannelPort) -> MessageCrypto:
    s = port.settings
    return MessageCrypto(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id)


@router.get("/webhooks/wecom", response_class=PlainTextResponse)
async def wecom_verify(request: Request) -> str:
    port = port_of(request)
    require_enabled(port.settings.wecom_enabled, CHANNEL)
    q = request.query_params
    crypto = _crypto(port)
    try:
        echostr = q.get("echostr", "")
        check_signature(
            crypto.token,
            q.get("msg_signature", ""),
            q.get("timestamp", ""),
            q.get("nonce", ""),
            echostr,
        )
        return crypto.decrypt(echostr)
    except SignatureError as exc:
        raise HTTPException(403, str(exc)) from exc


@router.post("/webhooks/wecom", response_class=PlainTextResponse)
async def wecom_callback(request: Request) -> str:
    port = port_of(request)
    require_enabled(port.settings.wecom_enabled, CHANNEL)
    q = request.query_params
    crypto = _crypto(port)
    body = await read_body(request)
    try:
        encrypted = str(xmltodict.parse(body.decode("utf-8"))["xml"]["Encrypt"])
    except Exception as exc:
        raise HTTPException(403, "no encrypted body") from exc
    try:
        check_signature(
            crypto.token,
            q.get("msg_signature", ""),
            q.get("timestamp", ""),
            q.get("nonce", ""),
            encrypted,
        )
        event = xmltodict.parse(crypto.decrypt(encrypted))["xml"]
    except SignatureError as exc:
        raise HTTPException(403, str(exc)) from exc
    except Exception as exc:
        raise HTTPException(400, "not a WeCom event") from exc
    sender = port.senders.get(CHANNEL)
    if event.get("Event") == "kf_msg_or_event" and isinstance(sender, WeComSender):
        port.in_background(
            _pull_logged(
                port, sender.client, str(event.get("OpenKfId", "")), str(event.get("Token", ""))
            )
        )
    return "success"


async def _pull_logged(port: ChannelPort, client: WeComClient, open_kfid: str, token: str) -> None:
    try:
        await pull_messages(port, client, open_kfid, token)
    except Exception:
        # The cursor was not advanced past anything unstored; the next callback resumes.
        log.exception("pulling WeCom messages failed; will resume from the stored cursor")
