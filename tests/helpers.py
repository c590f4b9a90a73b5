"""Helpers for tests that drive the ASGI app."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.testclient import WebSocketTestSession


def new_id() -> str:
    return uuid.uuid4().hex


def receive_until(
    ws: WebSocketTestSession, predicate: Callable[[dict[str, Any]], bool], limit: int = 20
) -> dict[str, Any]:
    """Read frames until one matches (the worker replies asynchronously)."""
    for _ in range(limit):
        frame = ws.receive_json()
        if predicate(frame):
            return frame
    raise AssertionError("expected frame never arrived")


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
