"""CSRF protection for the console's cookie session (double submit): signing in sets a
random ``anxin_csrf`` cookie that the console's pages (same origin) read and send back
as the ``X-CSRF-Token`` header on every request that changes something. A request
carrying the session cookie without the matching header is refused (403); API-token
requests (``Authorization: Bearer``) do not use the cookie and are not affected. This
comes on top of the SameSite=Strict session cookie."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from bot.console.auth import COOKIE as SESSION_COOKIE
from bot.web.asgi import HttpMiddleware

COOKIE = "anxin_csrf"
HEADER = "X-CSRF-Token"
SAFE = {"GET", "HEAD", "OPTIONS"}
EXEMPT = {"/console/api/login"}  # no session yet; SameSite and the password guard it


def issue(request: Request, response: Response, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        secrets.token_urlsafe(32),
        max_age=max_age,
        httponly=False,  # the console's own script reads it
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forged(request: Request) -> bool:
    """A state-changing request riding on the session cookie without the token."""
    if request.method in SAFE or request.url.path in EXEMPT:
        return False
    if SESSION_COOKIE not in request.cookies or "authorization" in request.headers:
        return False
    expected = request.cookies.get(COOKIE, "")
    given = request.headers.get(HEADER, "")
    return not (expected and hmac.compare_digest(expected, given))


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
