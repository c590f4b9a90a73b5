"""An account locked after too many wrong passwords: administrators hear of it at once
(a notice on every staff console, the audit trail, an e-mail to ANXIN_SECURITY_EMAILS)."""

from __future__ import annotations

import logging

from anyio import to_thread

from bot.access.accounts import lock_user
from bot.sla.notify import send_text
from bot.sla.setup import smtp
from bot.web.services import Services

log = logging.getLogger(__name__)


async def lock_and_alert(services: Services, name: str, address: str | None, failures: int) -> bool:
    """Lock ``name`` and tell administrators; False when there is no such account."""
    if not await to_thread.run_sync(lock_user, services.db, name):
        return False
    detail = f"{failures} wrong passwords within an hour; last from {address or '-'}"
    log.error("account %s locked: %s", name, detail)
    await services.audit("system", "account.locked", "user", name, address, detail)
    await services.events.publish_staff(
        {"type": "security", "event": "account_locked", "user": name, "detail": detail}
    )
    mail = smtp(services.settings)
    for to in filter(None, (a.strip() for a in services.settings.security_emails.split(","))):
        if mail is None:
            log.warning("no SMTP server: the lock of %s is not e-mailed to %s", name, to)
            break
        try:
            await to_thread.run_sync(
                send_text,
                mail,
                to,
                f"[安心客服] 账户已锁定 / account locked: {name}",
                f"账户 / Account: {name}\n原因 / Reason: {detail}\n"
                f"解锁 / Unlock: python -m bot user unlock {name}\n",
            )
        except OSError as exc:
            log.warning("could not e-mail the lock of %s: %s", name, type(exc).__name__)
    return True
