"""SMS: Twilio-compatible inbound webhook and outbound REST, or a generic HTTP gateway.

Inbound Twilio requests are authenticated with ``X-Twilio-Signature`` (HMAC-SHA1 of the
public URL plus the sorted form parameters). Phone numbers are personal data: the
conversation is keyed by a pseudonym and the number is kept encrypted. STOP / 退订
opts the customer out (recorded; nothing more is sent) and START / 订阅 opts back in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.core.contact_vault import ContactVault
from bot.core.security import same_secret
from bot.pipeline.messages import DeliveryError, InboundMessage, OutboundMessage, quick_reply_lines
from channels.webhook_common import port_of, read_body, require_enabled

CHANNEL = "sms"
OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "退订", "TD", "T"}
OPT_IN = {"START", "UNSTOP", "YES", "订阅"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

router = APIRouter(tags=["channels"])


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(token, url + key+value pairs)), keys
    sorted, and a repeated key's distinct values sorted (as Twilio's SDKs compute it)."""
    payload = url + "".join(key + value for key, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def kind_of(body: str, media_count: int) -> str:
    word = body.strip().upper()
    if word in OPT_OUT:
        return "optout"
    if word in OPT_IN:
        return "optin"
    if not body.strip() and media_count > 0:
        return "image"
    return "text"


def inbound_sms(
    vault: ContactVault, sid: str, phone: str, body: str, media_count: int = 0
) -> InboundMessage:
    if not sid or not phone:
        raise ValueError("message id and sender are required")
    kind = kind_of(body, media_count)
    text = body.strip() or f"[{kind}]"
    return InboundMessage(
        channel=CHANNEL,
        provider_msg_id=sid,
        sender=vault.pseudonym(phone),
        text=text[:2000],
        received_at=datetime.now(UTC),
        kind=kind,
        reply_address=phone,
    )


def split_message(text: str, limit: int) -> list[str]:
    """Split a long reply into numbered parts of at most ``limit`` characters."""
    if len(text) <= limit:
        return [text]
    size = limit - 8  # room for the "(12/12) " prefix
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    return [f"({n}/{len(chunks)}) {chunk}" for n, chunk in enumerate(chunks, start=1)]


def _raise_for(response: httpx.Response, parts_done: int) -> None:
    if response.status_code < 300:
        return
    if response.status_code == 429 or response.status_code >= 500:
        retry_after = response.headers.get("Retry-After")
        raise DeliveryError(
            f"provider answered {response.status_code}",
            retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            parts_done=parts_done,
        )
    raise DeliveryError(
        f"provider refused the message ({response.status_code})",
        parts_done=parts_done,
        permanent=True,
    )


async def send_parts(
    message: OutboundMessage, max_chars: int, post: Callable[[str, int], Awaitable[httpx.Response]]
) -> None:
    """Send the parts of a reply that have not gone out yet, in order."""
    parts = split_message(quick_reply_lines(message), max_chars)
    for index in range(message.parts_sent, len(parts)):
        try:
            response = await post(parts[index], index)
        except httpx.HTTPError as exc:
            raise DeliveryError(type(exc).__name__, parts_done=index) from exc
        _raise_for(response, index)


class TwilioSender:
    channel = CHANNEL

    def __init__(
        self, account_sid: str, auth_token: str, sender: str, api_base_url: str, max_chars: int
    ) -> None:
        self._url = f"{api_base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._from = sender
        self._max_chars = max_chars
        self._http = httpx.AsyncClient(auth=(account_sid, auth_token), timeout=10)

    async def send(self, message: OutboundMessage) -> str | None:
        async def post(part: str, _: int) -> httpx.Response:
            return await self._http.post(
                self._url, data={"To": message.recipient, "From": self._from, "Body": part}
            )

        await send_parts(message, self._max_chars, post)
        return None


class GatewaySender:
    """A domestic SMS gateway: POST {"to", "text", "id"} with a bearer token."""

    channel = CHANNEL

    def __init__(self, url: str, token: str, max_chars: int) -> None:
        self._url = url
        self._max_chars = max_chars
        self._http = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10)

    async def send(self, message: OutboundMessage) -> str | None:
        async def post(part: str, index: int) -> httpx.Response:
            body = {"to": message.recipient, "text": part, "id": f"{message.message_id}-{index}"}
            return await self._http.post(self._url, json=body)

        await send_parts(message, self._max_chars, post)
        return None


def public_url(request: Request, configured: str) -> str:
    """The URL Twilio signed: the configured public URL (behind a proxy) or the request's."""
    if not configured:
        return str(request.url)
    query = request.url.query
    return f"{configured}?{query}" if query else configured


@router.post("/webhooks/sms")
async def twilio_webhook(request: Request) -> Response:
    port = port_of(request)
    settings = port.settings
    require_enabled(settings.twilio_enabled, CHANNEL)
    assert port.vault is not None  # required at start-up when SMS is on
    body = await read_body(request)
    try:
        params = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, "body must be form-encoded UTF-8") from exc
    expected = twilio_signature(
        settings.twilio_auth_token, public_url(request, settings.sms_public_url), params
    )
    if not same_secret(request.headers.get("X-Twilio-Signature", ""), expected):
        raise HTTPException(403, "missing or wrong X-Twilio-Signature")
    fields = dict(params)
    try:
        media = int(fields.get("NumMedia", "0") or 0)
        inbound = inbound_sms(
            port.vault,
            fields.get("MessageSid", ""),
            fields.get("From", ""),
            fields.get("Body", ""),
            media,
        )
    except ValueError as exc:
        raise HTTPException(400, "MessageSid and From are required") from exc
    await port.store(inbound)
    return Response(EMPTY_TWIML, media_type="text/xml")


class GatewayInbound(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=128)
    phone: str = Field(min_length=3, max_length=32, alias="from")
    text: str = Field(default="", max_length=2000)


@router.post("/webhooks/sms/gateway")
async def gateway_webhook(request: Request) -> dict[str, bool]:
    """Inbound SMS from a generic gateway: JSON {"id", "from", "text"}, bearer token."""
    port = port_of(request)
    settings = port.settings
    require_enabled(bool(settings.sms_gateway_url), CHANNEL)
    assert port.vault is not None
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not same_secret(token, settings.sms_gateway_token):
        raise HTTPException(403, "missing or wrong bearer token")
    try:
        payload = GatewayInbound.model_validate_json(await read_body(request))
    except ValidationError as exc:
        raise HTTPException(400, "expected JSON {id, from, text}") from exc
    await port.store(inbound_sms(port.vault, f"gw:{payload.id}", payload.phone, payload.text))
    return {"ok": True}
