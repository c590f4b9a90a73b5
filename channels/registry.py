"""Which channels are on (their credentials are set) and the sender for each."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter

from bot.pipeline.messages import ChannelSender
from bot.pipeline.port import ChannelPort
from channels import sms, telegram, webchat, wechat, wecom

ROUTERS: tuple[APIRouter, ...] = (
    webchat.router,
    wechat.router,
    wecom.router,
    sms.router,
    telegram.router,
)


def make_senders(port: ChannelPort) -> dict[str, ChannelSender]:
    """A sender for every configured channel (web chat is always on)."""
    s = port.settings
    senders: dict[str, ChannelSender] = {webchat.CHANNEL: webchat.WebchatSender(port.events)}
    if s.wechat_enabled:
        senders[wechat.CHANNEL] = wechat.WeChatSender(
            s.wechat_app_id,
            s.wechat_app_secret,
            s.wechat_api_base_url,
            port.events.redis,
            s.redis_prefix,
            s.wechat_template_id,
        )
    if s.wecom_enabled:
        client = wecom.WeComClient(
            s.wecom_corp_id,
            s.wecom_secret,
            s.wecom_api_base_url,
            port.events.redis,
            s.redis_prefix,
        )
        senders[wecom.CHANNEL] = wecom.WeComSender(client)
    if s.sms_enabled:
        if port.vault is None:
            raise RuntimeError("SMS needs ANXIN_DATA_KEY to keep phone numbers encrypted")
        if s.twilio_enabled:
            senders[sms.CHANNEL] = sms.TwilioSender(
                s.twilio_account_sid,
                s.twilio_auth_token,
                s.twilio_from,
                s.twilio_api_base_url,
                s.sms_max_chars,
            )
        else:
            senders[sms.CHANNEL] = sms.GatewaySender(
                s.sms_gateway_url, s.sms_gateway_token, s.sms_max_chars
            )
    if s.telegram_enabled:
        senders[telegram.CHANNEL] = telegram.TelegramSender(
            telegram.make_bot(s.telegram_bot_token, s.telegram_api_base_url)
        )
    return senders


async def close_senders(senders: Mapping[str, ChannelSender]) -> None:
    """Close the provider clients that hold a connection pool of their own (aiohttp)."""
    for sender in senders.values():
        close = getattr(sender, "close", None)
        if close is not None:
            await close()
