"""Request size limits: a body over the limit gets 413 with a reason, whether it
announces its length or streams without one; the service stays up."""

from __future__ import annotations

from bot.access.tokens import create_token
from bot.core.db import Database


def test_oversized_bodies_are_refused_413(customer, settings) -> None:
    db = Database(settings.database_url)
    token = create_token(db, "big-bodies", ["kb:read"])
    db.dispose()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    big = b'{"text": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    announced = customer.post("/api/v1/kb/try", content=big, headers=headers)
    assert announced.status_code == 413 and "too large" in announced.json()["detail"]

    def chunks():
        yield b'{"text": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'"}'

    streamed = customer.post("/api/v1/kb/try", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    small = customer.post("/api/v1/kb/try", json={"text": "网银密码忘了"}, headers=headers)
    assert small.status_code == 200  # still up, and normal bodies pass
