"""Security headers on every response. Our own pages get a Content-Security-Policy
that allows only this origin (their scripts and styles are inline, nothing is loaded
from elsewhere). The console may not be framed; the web-chat page may, since banks
embed it in their own sites."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from bot.web.asgi import HttpMiddleware

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'"
)


def security_headers(path: str, https: bool) -> dict[str, str]:
    """The headers a response to ``path`` gets (unless it set them itself)."""
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if not path.startswith("/chat"):
        headers["X-Frame-Options"] = "DENY"
    if path.startswith(("/console", "/chat")):
        frame = "" if path.startswith("/chat") else "; frame-ancestors 'none'"
        headers["Content-Security-Policy"] = CSP + frame
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


class SecurityHeaders(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = security_headers(scope["path"], scope.get("scheme") == "https")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
