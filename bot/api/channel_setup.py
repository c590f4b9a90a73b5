"""Channel set-up an administrator does once, from the staff app as from the command line:
registering the Telegram webhook (with the secret token Telegram then sends back)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from bot.api.deps import Address, Admin, ServicesDep, needs
from channels.telegram import set_webhook

router = APIRouter(prefix="/channels", tags=["channels"])


@router.post("/telegram/webhook", dependencies=[needs("admin")])
async def telegram_webhook(services: ServicesDep, actor: Admin, address: Address) -> dict[str, str]:
    """Tell Telegram to deliver updates to ``ANXIN_PUBLIC_URL/webhooks/telegram``."""
    s = services.settings
    if not s.telegram_enabled:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "请先配置 TELEGRAM_BOT_TOKEN 与 TELEGRAM_SECRET_TOKEN / set TELEGRAM_BOT_TOKEN and "
            "TELEGRAM_SECRET_TOKEN first",
        )
    url = f"{s.public_url.rstrip('/')}/webhooks/telegram"
    try:
        ok = await set_webhook(
            s.telegram_bot_token, s.telegram_api_base_url, url, s.telegram_secret_token
        )
    except Exception as exc:  # Telegram unreachable or refusing: say so, stay up
        ok = False
        reason = type(exc).__name__
    else:
        reason = "" if ok else "refused"
    await services.audit(
        actor, "channel.telegram_webhook", "channel", "telegram", address, f"{url} {reason}"
    )
    if not ok:  # the request was fine; what it depends on failed (424, not a 5xx)
        raise HTTPException(
            status.HTTP_424_FAILED_DEPENDENCY,
            f"Telegram 未接受 / Telegram did not accept it ({reason})",
        )
    return {"webhook": url}
