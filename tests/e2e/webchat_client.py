"""A web-chat customer on a WebSocket, as the /chat page is: the end-to-end tests talk
to the whole stack through it."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import websockets

from launcher.stack import Stack


class Customer:
    def __init__(self, stack: Stack, settle_s: float = 2.0) -> None:
        self.stack = stack
        self.url = stack.service_url.replace("http", "ws") + "/chat/ws"
        self.settle_s = settle_s  # how long after a reply further replies are awaited

    async def __aenter__(self) -> Customer:
        async with httpx.AsyncClient(base_url=self.stack.service_url) as http:
            opened = await http.post("/chat/session")
        assert opened.status_code == 201, opened.text
        self.session = opened.json()["session"]
        self.ws = await websockets.connect(self.url)
        await self.ws.send(json.dumps({"type": "hello", "session": self.session}))
        history = json.loads(await self.ws.recv())
        assert history["type"] == "history"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def say(self, text: str, wait_s: float = 30.0) -> list[dict]:
        """Send one message; return the assistant's replies to it."""
        await self.ws.send(json.dumps({"type": "message", "id": uuid.uuid4().hex, "text": text}))
        replies: list[dict] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            wait = deadline - loop.time() if not replies else self.settle_s
            try:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout=max(wait, 0.1)))
            except TimeoutError:
                break
            if frame["type"] == "ack":
                self.conversation = frame["conversation_id"]
            if frame["type"] == "message" and frame["sender"] == "bot":
                replies.append(frame)
        assert replies, f"no reply to {text!r}"
        return replies


def text_of(replies: list[dict]) -> str:
    return "\n".join(r["text"] for r in replies)
