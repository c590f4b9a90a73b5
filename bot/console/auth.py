"""Console sign-in: argon2-checked passwords, sessions in Redis behind an HttpOnly cookie."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from anyio import to_thread
from fastapi import HTTPException, Request, WebSocket

from bot.access.accounts import SignIn, check_sign_in
from bot.core.config import Settings
from bot.web.services import Services

COOKIE = "anxin_session"
SESSION_TTL_S = 12 * 3600


def _key(services: Services, token: str) -> str:
    return f"{services.settings.redis_prefix}:session:{hashlib.sha256(token.encode()).hexdigest()}"


def _sessions_of(services: Services, name: str) -> str:
    """The set of a person's session keys, so that they can all be ended at once."""
    return f"{services.settings.redis_prefix}:sessions_of:{name}"


async def open_session(services: Services, name: str) -> str:
    token = secrets.token_urlsafe(32)
    key, index = _key(services, token), _sessions_of(services, name)
    async with services.events.redis.pipeline(transaction=True) as pipe:
        pipe.set(key, name, ex=SESSION_TTL_S)
        pipe.sadd(index, key)
        pipe.expire(index, SESSION_TTL_S)
        await pipe.execute()
    return token


async def end_sessions(services: Services, name: str) -> int:
    """End every console session of ``name`` (disabled, or their password reset): their
    next call is refused. Returns how many there were."""
    index = _sessions_of(services, name)
    keys = await services.events.redis.smembers(index)
    async with services.events.redis.pipeline(transaction=True) as pipe:
        if keys:
            pipe.delete(*keys)
        pipe.delete(index)
        done = await pipe.execute()
    return int(done[0]) if keys else 0


async def close_session(services: Services, token: str) -> None:
    await services.events.redis.delete(_key(services, token))


async def agent_of(services: Services, token: str | None) -> str | None:
    if not token:
        return None
    name = await services.events.redis.get(_key(services, token))
    return name.decode() if isinstance(name, bytes) else name


def bearer_request(request: Request) -> bool:
    """An API-token request: authenticated by its token, never by the session cookie."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(credentials.strip())


async def require_agent(request: Request) -> str:
    """The signed-in member of staff. A request with a bearer token is not a console
    request: its cookie is not used (the CSRF check is skipped for it)."""
    services: Services = request.app.state.services
    cookie = None if bearer_request(request) else request.cookies.get(COOKIE)
    name = await agent_of(services, cookie)
    if name is None:
        raise HTTPException(401, "请先登录 / please sign in")
    return name


async def socket_agent(websocket: WebSocket) -> str | None:
    services: Services = websocket.app.state.services
    return await agent_of(services, websocket.cookies.get(COOKIE))


async def admit(websocket: WebSocket) -> str | None:
    """The signed-in member of staff opening one of the console's sockets, accepted; None
    when refused (closed: 4403 from another site's page, 4401 without a session)."""
    services: Services = websocket.app.state.services
    if not origin_allowed(websocket, services.settings):
        await websocket.close(code=4403, reason="origin not allowed")
        return None
    name = await socket_agent(websocket)
    if name is None:
        await websocket.close(code=4401, reason="sign in first")
        return None
    await websocket.accept()
    return name


async def heartbeats(websocket: WebSocket) -> AsyncIterator[None]:
    """Each frame the page sends (text or bytes: any is a heartbeat), until it leaves or
    its session ends (signed out elsewhere, disabled, password reset: closed with 4401)."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        if await socket_agent(websocket) is None:
            await websocket.close(code=4401, reason="signed out")
            return
        yield


async def until_gone(websocket: WebSocket) -> None:
    """Wait until the page closes its socket (its frames are only keep-alives), or its
    session ends (closed with 4401)."""
    async for _ in heartbeats(websocket):
        pass


async def login(services: Services, name: str, password: str) -> tuple[str | None, SignIn] | None:
    """A new session's token and what the password opens; None for a wrong password. No
    session is opened while the person must first choose a new password."""
    found = await to_thread.run_sync(check_sign_in, services.db, name, password)
    if found is None:
        return None
    if found.must_change:
        return None, found
    return await open_session(services, name), found


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """A browser opening the console's WebSocket from another site's page sends that
    site's Origin (and the agent's cookie): refused. Allowed: the public URL's origin,
    ANXIN_ALLOWED_ORIGINS, and the page's own origin. No Origin at all is not a browser."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    allowed = {
        _origin(settings.public_url),
        f"{scheme}://{host}".lower(),
        *(_origin(o) for o in settings.allowed_origins.split(",") if o.strip()),
    }
    return origin.strip().lower() in allowed
