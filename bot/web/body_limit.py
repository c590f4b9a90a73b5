"""Request size limits for every route: 1 MiB, 6 MiB for a knowledge-base import (the
webhooks keep their own, smaller limit). A body announced larger is refused before it
is read; a body streamed without a length is cut off when it passes the limit. Either
way the answer is 413 with a reason, and nothing of it is processed."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from bot.web.asgi import HttpMiddleware

DEFAULT_LIMIT = 1024 * 1024
LARGER = {"/api/v1/kb/import": 6 * 1024 * 1024}
REFUSAL = json.dumps({"detail": "请求体过大 / request body too large"}, ensure_ascii=False).encode()


class BodyLimit(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = LARGER.get(scope.get("path", ""), DEFAULT_LIMIT)
        headers = dict(scope.get("headers") or [])
        announced = headers.get(b"content-length")
        if announced is not None and announced.isdigit() and int(announced) > limit:
            await _refuse(send)
            return
        seen = 0
        exceeded = False
        refused = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # stop reading; the app sees a cut body, we answer 413
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def answered(message: Message) -> None:
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused and message["type"] == "http.response.start":
                refused = True
                await _refuse(send)

        await self.app(scope, counted, answered)


async def _refuse(send: Send) -> None:
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(REFUSAL)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": REFUSAL})
