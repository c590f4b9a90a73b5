"""JSON over HTTP for the providers' APIs (WeChat, WeCom), on aiohttp.

aiohttp rather than httpx, as for Rasa (``bot.pipeline.rasa_client``): httpx's pool looks at
every pooled connection's socket before each request, and sending the replies was most
of the worker's CPU outside the database (py-spy at 300 messages a second offered).
A session belongs to the event loop it was made in; another loop gets its own."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp

# What a request may raise besides a bad body (ValueError from ``JsonResponse.json``).
HTTP_ERRORS: tuple[type[Exception], ...] = (aiohttp.ClientError, asyncio.TimeoutError)


@dataclass(frozen=True, slots=True)
class JsonResponse:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON (raises ValueError when it is not)."""
        return json.loads(self.body)


class JsonHttp:
    def __init__(self, timeout_s: float = 10.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._loop = loop
        return self._session

    async def get(self, url: str, params: dict[str, str]) -> JsonResponse:
        async with self._client().get(url, params=params) as response:
            return JsonResponse(response.status, await response.read())

    async def post(self, url: str, params: dict[str, str], payload: Any) -> JsonResponse:
        """POST ``payload`` as UTF-8 JSON (not \\u-escaped: WeChat shows escapes as typed)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        async with self._client().post(url, params=params, data=body, headers=headers) as response:
            return JsonResponse(response.status, await response.read())

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session, self._loop = None, None
