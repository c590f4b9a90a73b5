"""The application's error answers: a value the database cannot hold is the request's
fault (422 with a reason), never a 500 and never a 503."""

from __future__ import annotations

import gc
import sys
import time

from fastapi.testclient import TestClient

from bot.access.tokens import create_token
from bot.core.db import Database
from bot.web.app import create_app


def test_numbers_too_large_for_the_database_are_422(customer, settings) -> None:
    db = Database(settings.database_url)
    token = create_token(db, "big-numbers", ["tickets:write"])
    db.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    review = customer.post(
        "/api/v1/qa/reviews", json={"handoff_id": 2**40, "scores": {}}, headers=headers
    )
    assert review.status_code == 422
    done = customer.post(
        f"/api/v1/followup-tasks/{2**70}/done", json={"outcome": "reached"}, headers=headers
    )
    assert done.status_code in (404, 422), done.text
    assert done.status_code != 500


def test_start_up_freezes_its_heap_and_shares_the_interpreter_finely(settings, app_db) -> None:
    switch_interval = sys.getswitchinterval()
    gc.unfreeze()
    try:
        with TestClient(create_app(settings)):
            for _ in range(100):  # the knowledge base is indexed first, in a thread
                if gc.get_freeze_count() > 0:
                    break
                time.sleep(0.1)
            assert gc.get_freeze_count() > 10_000
            for _ in range(100):  # and then the interpreter lock is shared finely
                if sys.getswitchinterval() < 0.001:
                    break
                time.sleep(0.1)
            assert sys.getswitchinterval() < 0.001
    finally:
        gc.unfreeze()
        sys.setswitchinterval(switch_interval)
