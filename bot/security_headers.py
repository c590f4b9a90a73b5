"""Security headers on every response. Our own pages get a Content-Security-Policy
that allows only this origin (their scripts and styles are inline, nothing is loaded
from elsewhere). The console may not be framed; the web-chat page may, since banks
embed it in their own sites."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'"
)


async def add_security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    path = request.url.path
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not path.startswith("/chat"):
        headers.setdefault("X-Frame-Options", "DENY")
    if path.startswith(("/console", "/chat")):
        frame = "" if path.startswith("/chat") else "; frame-ancestors 'none'"
        headers.setdefault("Content-Security-Policy", CSP + frame)
    if request.url.scheme == "https":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
