"""Which channels are on (their credentials are set) and the sender for each."""

from __future__ import annotations

from fastapi import APIRouter

from bot.services import Services
from channels import sms, telegram, webchat, wechat, wecom

ROUTERS: tuple[APIRouter, ...] = (
    webchat.router,
    wechat.router,
    wecom.router,
    sms.router,
    telegram.router,
)


def configure_senders(services: Services) -> None:
    """Register a sender for every configured channel (web chat is always on)."""
    s = services.settings
    services.senders[webchat.CHANNEL] = webchat.WebchatSender(services.events)
    if s.wechat_enabled:
        services.senders[wechat.CHANNEL] = wechat.WeChatSender(
            s.wechat_app_id,
            s.wechat_app_secret,
            s.wechat_api_base_url,
            services.events.redis,
            s.redis_prefix,
            s.wechat_template_id,
        )
    if s.wecom_enabled:
        client = wecom.WeComClient(
            s.wecom_corp_id,
            s.wecom_secret,
            s.wecom_api_base_url,
            services.events.redis,
            s.redis_prefix,
        )
        services.senders[wecom.CHANNEL] = wecom.WeComSender(client)
    if s.sms_enabled:
        if services.vault is None:
            raise RuntimeError("SMS needs ANXIN_DATA_KEY to keep phone numbers encrypted")
        if s.twilio_enabled:
            services.senders[sms.CHANNEL] = sms.TwilioSender(
                s.twilio_account_sid,
                s.twilio_auth_token,
                s.twilio_from,
                s.twilio_api_base_url,
                s.sms_max_chars,
            )
        else:
            services.senders[sms.CHANNEL] = sms.GatewaySender(
                s.sms_gateway_url, s.sms_gateway_token, s.sms_max_chars
            )
    if s.telegram_enabled:
        services.senders[telegram.CHANNEL] = telegram.TelegramSender(
            telegram.make_bot(s.telegram_bot_token, s.telegram_api_base_url)
        )


async def close_senders(services: Services) -> None:
    """Close the provider clients that hold a connection pool of their own (aiohttp)."""
    for sender in services.senders.values():
        close = getattr(sender, "close", None)
        if close is not None:
            await close()
