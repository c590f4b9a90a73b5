"""Provider webhooks answered without FastAPI's routing and request handling.

A provider's POST to a webhook is the one request that comes hundreds of times a
second (and a new web-chat customer's ``POST /chat/session`` comes with it). Matching it against the routes and running it through FastAPI's request
handling (dependency solving, response serialisation, exception middleware) was a
fifth of the web process's event-loop CPU at 300 messages a second (py-spy), for
endpoints that take the request and nothing else. This middleware sits inside the
size limit, CSRF check and security headers, and calls those endpoints directly: the
same function, the same status code and response class as the route declares, the
same error answers (``bot.web.error_responses``). Everything else goes on to the router.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.web.asgi import HttpMiddleware
from bot.web.error_responses import response_for

PREFIX = "/webhooks/"
ALSO = frozenset({"/chat/session"})  # each new web-chat customer opens one


@dataclass(frozen=True)
class _Endpoint:
    call: Callable[[Request], Awaitable[Any]]
    status_code: int
    response_class: type[Response]

    def render(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        return self.response_class(result, status_code=self.status_code)


def fast_endpoints(routes: Iterable[BaseRoute]) -> dict[str, _Endpoint]:
    """The webhook POST routes whose endpoint takes only the request."""
    found: dict[str, _Endpoint] = {}
    for route in routes:
        if not (
            isinstance(route, APIRoute)
            and (route.path.startswith(PREFIX) or route.path in ALSO)
            and "POST" in (route.methods or ())
            and list(inspect.signature(route.endpoint).parameters) == ["request"]
        ):
            continue
        response_class = route.response_class
        if isinstance(response_class, DefaultPlaceholder):
            response_class = response_class.value
        found[route.path] = _Endpoint(
            route.endpoint, route.status_code or 200, response_class or JSONResponse
        )
    return found


class WebhookFastPath(HttpMiddleware):
    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute]) -> None:
        super().__init__(app)
        self.endpoints = fast_endpoints(routes)
        self.served = 0

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope["path"]) if scope["method"] == "POST" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        self.served += 1
        try:
            response = endpoint.render(await endpoint.call(Request(scope, receive)))
        except Exception as exc:
            answer = response_for(exc)
            if answer is None:
                raise  # ours: the server-error middleware answers 500 and logs it
            response = answer
        await response(scope, receive, send)
