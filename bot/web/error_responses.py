"""The answers to errors a request can end in, for the app's exception handlers and
for the webhooks' fast path (``bot.web.fast_path``) alike."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from bot.tickets.commands import CommandRefused

log = logging.getLogger(__name__)


def refused(exc: CommandRefused) -> JSONResponse:
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


def http_error(exc: HTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def too_deep() -> JSONResponse:
    # The JSON parser gives up on a body nested past the interpreter's recursion limit.
    return JSONResponse({"detail": "请求嵌套过深 / the body is nested too deeply"}, status_code=400)


def out_of_range() -> JSONResponse:
    # A number or value the database cannot hold: the request's fault, not ours.
    return JSONResponse({"detail": "数值超出范围 / a value is out of range"}, status_code=422)


def database_down(exc: DBAPIError) -> JSONResponse:
    # 503 so a provider (or the page) retries instead of taking 200-and-lost.
    log.error("database error: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
    return JSONResponse(
        {"detail": "服务暂时不可用，请稍后重试 / service temporarily unavailable, retry later"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


def response_for(exc: Exception) -> JSONResponse | None:
    """The answer to ``exc``, or None for an error that is ours (a 500)."""
    if isinstance(exc, HTTPException):
        return http_error(exc)
    if isinstance(exc, CommandRefused):
        return refused(exc)
    if isinstance(exc, RecursionError):
        return too_deep()
    if isinstance(exc, (DataError, OverflowError)):  # DataError is a DBAPIError: first
        return out_of_range()
    if isinstance(exc, DBAPIError):
        return database_down(exc)
    return None
