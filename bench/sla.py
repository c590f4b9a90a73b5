"""How the SLA scanner copes with a large open-ticket backlog in PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/anxin_bench python -m bench.sla --tickets 1000000

Seeds that many open tickets (all with future deadlines), makes 500 of them due, and
times one scan that finds and escalates them (``scan_seconds``). Then 1,000 tickets
fall due over the next 30 seconds while the service's own SLA loop runs at the default
interval, and ``max_escalation_lag_seconds`` is the worst event time minus deadline.
The last line is one JSON object. The database is emptied first: use a scratch one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

from sqlalchemy import text

from bot.core.config import Settings
from bot.core.db import Database
from bot.core.live_events import LiveEvents
from bot.core.migrate import upgrade
from bot.pipeline.outbox import Delivery
from bot.pipeline.rasa_client import RasaClient
from bot.pipeline.worker import SlaLoop, Worker
from bot.sla.notify import Addresses, Notifier
from bot.sla.scanner import scan
from bot.sla.setup import ladder_config


def seed(db: Database, tickets: int) -> float:
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE escalation_events, ticket_events, outbox, messages, tickets, conversations RESTART IDENTITY CASCADE"
            )
        )
        cid = conn.execute(
            text(
                "INSERT INTO conversations (public_id, channel, external_user_id, language, mode, created_at, last_message_at)"
                " VALUES ('bench', 'webchat', 'bench', 'zh', 'bot', now(), now()) RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO tickets (number, conversation_id, category, priority, status, description, created_at,"
                " first_response_due_at, resolution_due_at, calendar, next_escalation_at, first_responded_at)"
                " SELECT 'B' || g, :cid, 'inquiry', 'P3', 'open', 'bench', now() - interval '1 hour',"
                " now() + interval '1 day', now() + interval '2 days' + (g % 86400) * interval '1 second', '24x7',"
                " now() + interval '1 day' + (g % 86400) * interval '1 second', now() FROM generate_series(1, :n) g"
            ),
            {"cid": cid, "n": tickets},
        )
        conn.execute(text("ANALYZE tickets"))
    return time.perf_counter() - started


def make_due(db: Database, first: int, last: int, in_seconds: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE tickets SET resolution_due_at = now() + {in_seconds}, created_at = now() - interval '4 hours',"
                f" next_escalation_at = now() + {in_seconds} WHERE id BETWEEN :a AND :b"
            ),
            {"a": first, "b": last},
        )


async def run_loop(settings: Settings, db: Database, seconds: float) -> None:
    events = LiveEvents(settings.redis_url, "bench-sla")
    worker = Worker(
        db,
        RasaClient("http://127.0.0.1:9", "", 1),
        Delivery(db, {}),
        sla=SlaLoop(
            ladder_config(settings), Notifier(db, events, Addresses(), None), settings.sla_scan_s
        ),
    )
    task = asyncio.create_task(worker.run_sla())
    await asyncio.sleep(seconds)
    worker.stop()
    await task
    await events.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = Settings()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a scratch PostgreSQL database")
    upgrade(url)
    db = Database(url)
    seed_seconds = seed(db, args.tickets)
    print(f"seeded {args.tickets} open tickets in {seed_seconds:.1f} s")

    make_due(db, 1, 500, "interval '-1 minute'")
    ladder = ladder_config(settings)
    started = time.perf_counter()
    written = scan(db, ladder)
    scan_seconds = time.perf_counter() - started
    print(
        f"one scan found the 500 due tickets among {args.tickets} and wrote {written} events in {scan_seconds:.3f} s"
    )

    make_due(db, 1001, 2000, "(id % 30) * interval '1 second'")
    asyncio.run(run_loop(settings, db, 40))
    with db.engine.connect() as conn:
        lag, count = conn.execute(
            text(
                "SELECT max(extract(epoch FROM created_at - due_at)), count(*) FROM escalation_events"
                " WHERE step = 'breach:resolution' AND ticket_id BETWEEN 1001 AND 2000"
            )
        ).one()
    db.dispose()
    result = {
        "tickets": args.tickets,
        "seed_seconds": round(seed_seconds, 1),
        "scan_seconds": round(scan_seconds, 3),
        "scan_events": written,
        "max_escalation_lag_seconds": round(float(lag or 0), 3),
        "breaches_escalated": int(count),
        "scan_interval_seconds": settings.sla_scan_s,
    }
    print(
        f"1000 deadlines over 30 s: {count} escalated, worst lag {result['max_escalation_lag_seconds']} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
