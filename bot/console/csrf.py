"""CSRF protection for the console's cookie session: signing in sets an ``anxin_csrf``
cookie that the console's pages (same origin) read and send back as the
``X-CSRF-Token`` header on every request that changes something. The token is derived
from the session itself (an HMAC keyed by the session token), so a token planted by
someone else, with a matching header, does not fit the victim's session. A request
carrying the session cookie without the right header is refused (403). Only a bearer
token skips the check, and then the cookie is not used (``bearer_request``). This comes
on top of the SameSite=Strict session cookie."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from bot.console.auth import COOKIE as SESSION_COOKIE
from bot.console.auth import bearer_request
from bot.web.asgi import HttpMiddleware

COOKIE = "anxin_csrf"
HEADER = "X-CSRF-Token"
SAFE = {"GET", "HEAD", "OPTIONS"}
EXEMPT = {"/console/api/login", "/console/api/password"}  # no session yet; the password guards them


def token_for(session: str) -> str:
    """The CSRF token that belongs to a session."""
    return hmac.new(session.encode(), b"anxin-csrf", hashlib.sha256).hexdigest()


def issue(request: Request, response: Response, session: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        token_for(session),
        max_age=max_age,
        httponly=False,  # the console's own script reads it
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forged(request: Request) -> bool:
    """A state-changing request riding on the session cookie without the token."""
    if request.method in SAFE or request.url.path in EXEMPT:
        return False
    session = request.cookies.get(SESSION_COOKIE)
    if not session or bearer_request(request):
        return False
    given = request.headers.get(HEADER, "")
    return not hmac.compare_digest(token_for(session), given)


class CsrfGuard(HttpMiddleware):
    """Refuses forged requests (see ``forged``)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if forged(Request(scope)):
            refused = JSONResponse(
                {"detail": "请求缺少有效的 CSRF 令牌 / missing or wrong CSRF token"},
                status_code=403,
            )
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)
