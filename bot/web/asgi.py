"""The shape shared by our middleware: pure ASGI (no extra task per request, unlike
Starlette's ``BaseHTTPMiddleware``), acting on HTTP requests and passing the rest
(WebSockets, lifespan) through untouched."""

from __future__ import annotations

from abc import ABC, abstractmethod

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware(ABC):
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    @abstractmethod
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request (call ``self.app`` to pass it on)."""
