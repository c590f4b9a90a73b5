"""Security headers on every response. Our own pages get a Content-Security-Policy
that allows scripts only from this origin or carrying the nonce minted for that one
response (``request.state.csp_nonce``, which the templates put on their ``<script>``
tags), so an injected inline script does not run. Styles stay inline-capable (a style
cannot run code). The console may not be framed; the web-chat page may, since banks
embed it in their own sites."""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from bot.web.asgi import HttpMiddleware

NONCE_KEY = "csp_nonce"
PAGES = ("/console", "/chat")


def content_security_policy(nonce: str, framed: bool) -> str:
    policy = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'"
    )
    return policy if framed else policy + "; frame-ancestors 'none'"


def security_headers(path: str, https: bool, nonce: str | None = None) -> dict[str, str]:
    """The headers a response to ``path`` gets (unless it set them itself)."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if not path.startswith("/chat"):
        headers["X-Frame-Options"] = "DENY"
    if path.startswith(PAGES):
        headers["Content-Security-Policy"] = content_security_policy(
            nonce or secrets.token_urlsafe(16), framed=path.startswith("/chat")
        )
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


class SecurityHeaders(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        nonce = None
        if scope["path"].startswith(PAGES):
            nonce = secrets.token_urlsafe(16)
            scope.setdefault("state", {})[NONCE_KEY] = nonce
        extra = security_headers(scope["path"], scope.get("scheme") == "https", nonce)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
