"""How fast the service targets report answers for a month, at a million tickets, on
PostgreSQL.

    python -m bench.kpi --tickets 1000000

Seeds that many tickets (a scratch database ``anxin_bench_kpi`` on 127.0.0.1, or
DATABASE_URL) spread evenly over the twelve months before this one: 300,000 customers
on five channels (one ticket in ten is its customer's second about the same thing within
minutes: a repeat contact), each ticket with its conversation's inbound message, a first response
for nine in ten, a resolution for most (P1s in hours, others in a day or two), one in
twenty reopened, a handoff for one in ten, a plan 回访 for one in three resolved tickets
and a survey answer for one in five, plus one customer-only conversation for every two
tickets (what the assistant kept). Then times what the staff app asks for the last of
those months, through the same functions the API calls: the report
(``bot.sla.targets.find`` + ``report``, ``report_seconds``) and the tickets behind
"major issues within 4 h" that missed (``behind_seconds``). Each is the median of three
runs. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.desk import scratch_url
from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.core.models import utcnow
from bot.sla import targets

SCRATCH = "anxin_bench_kpi"
CUSTOMERS = 300_000
ZONE = "Asia/Shanghai"
MONTHS = 12


def months() -> tuple[date, date]:
    """The first day of the first seeded month and of the last one."""
    this = datetime.now(ZoneInfo(ZONE)).date().replace(day=1)
    last = (this - timedelta(days=1)).replace(day=1)
    first = last
    for _ in range(MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, last


SEED = """
INSERT INTO tickets (number, conversation_id, channel, category, subcategory, priority, status,
  description, created_at, first_response_due_at, resolution_due_at, first_responded_at,
  resolved_at, reopen_count, calendar, team, assignee, response_round)
SELECT 'AX' || lpad(g::text, 11, '0'),
  1 + x.src % :customers,
  (ARRAY['webchat','wechat','wecom','sms','telegram'])[1 + x.src % 5],
  x.category, CASE WHEN x.category = 'incident' THEN 'card_lost' END,
  x.priority,
  CASE WHEN x.resolved IS NULL THEN 'open' ELSE 'resolved' END,
  'bench', x.created, x.created + interval '24 hours', x.created + interval '72 hours',
  CASE WHEN g % 10 <> 0 THEN x.created + (g % 1500) * interval '1 minute' END,
  x.resolved, CASE WHEN g % 20 = 0 THEN 1 ELSE 0 END, '24x7',
  'team' || (g % 8), 'agent' || (g % 80), 0
FROM generate_series(1, :n) g
CROSS JOIN LATERAL (SELECT CASE WHEN g % 10 = 0 THEN g - 5 ELSE g END AS src) s
CROSS JOIN LATERAL (
  SELECT
    CAST(:start AS timestamptz) + (g::float8 / :n) * (CAST(:end AS timestamptz) - CAST(:start AS timestamptz)) AS created,
    (ARRAY['complaint','suggestion','inquiry','incident'])[1 + s.src % 4] AS category,
    s.src,
    CASE WHEN g % 4 = 3 THEN 'P1' ELSE (ARRAY['P2','P3','P4'])[1 + g % 3] END AS priority
) y0
CROSS JOIN LATERAL (
  SELECT y0.created, y0.category, y0.priority, y0.src,
    CASE WHEN g % 17 = 0 THEN NULL
         WHEN y0.priority = 'P1' THEN y0.created + (60 + g % 240) * interval '1 minute'
         ELSE y0.created + (60 + g % 2880) * interval '1 minute' END AS resolved
) x
"""


def seed(db: Database, tickets: int) -> float:
    started = time.perf_counter()
    first, last = months()
    tz = ZoneInfo(ZONE)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(
        (last + timedelta(days=32)).replace(day=1), datetime.min.time(), tzinfo=tz
    )
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE staff_notices, escalation_events, ticket_events, followup_attempts,"
                " followup_tasks, survey_responses, followups, followup_plans, outbox, messages,"
                " handoffs, tickets, conversations RESTART IDENTITY CASCADE"
            )
        )
        conn.execute(
            text(
                "INSERT INTO conversations (public_id, channel, external_user_id, language, mode,"
                " created_at, last_message_at, tier)"
                " SELECT md5(g::text), (ARRAY['webchat','wechat','wecom','sms','telegram'])[1 + g % 5],"
                " 'c' || g, 'zh', 'bot', :start, :start, 'standard'"
                " FROM generate_series(1, :n) g"
            ),
            {"n": CUSTOMERS + tickets // 2, "start": start},
        )
        conn.execute(text(SEED), {"n": tickets, "customers": CUSTOMERS, "start": start, "end": end})
        # each ticket's customer wrote in just before it; the kept conversations once
        conn.execute(
            text(
                "INSERT INTO messages (conversation_id, channel, provider_msg_id, direction, sender,"
                " kind, text, status, attempts, created_at)"
                " SELECT conversation_id, channel, 't' || id, 'in', 'customer', 'text', '你好',"
                " 'done', 0, created_at - interval '1 minute' FROM tickets"
            )
        )
        conn.execute(
            text(
                "INSERT INTO messages (conversation_id, channel, provider_msg_id, direction, sender,"
                " kind, text, status, attempts, created_at)"
                " SELECT :customers + g, 'webchat', 'k' || g, 'in', 'customer', 'text', '你好',"
                " 'done', 0, CAST(:start AS timestamptz)"
                "   + (g::float8 / :kept) * (CAST(:end AS timestamptz) - CAST(:start AS timestamptz))"
                " FROM generate_series(1, :kept) g"
            ),
            {"customers": CUSTOMERS, "kept": tickets // 2, "start": start, "end": end},
        )
        conn.execute(
            text(
                "INSERT INTO handoffs (conversation_id, ticket_id, reason, state, queued_at,"
                " passed_over) SELECT conversation_id, id, 'customer_request', 'ended', created_at,"
                " '[]' FROM tickets WHERE id % 10 = 0"
            )
        )
        plan = conn.execute(
            text(
                "INSERT INTO followup_plans (category, tier, delay_hours, active)"
                " VALUES ('*', '*', 24, true) RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO followup_tasks (ticket_id, plan_id, reason, due_at, created_at, state,"
                " attempts, satisfaction, done_at)"
                " SELECT id, :plan, 'plan', resolved_at + interval '1 day', resolved_at,"
                " CASE WHEN id % 20 = 0 THEN 'unreached' ELSE 'reached' END, 1,"
                " CASE WHEN id % 20 = 0 THEN NULL ELSE 'satisfied' END,"
                " resolved_at + interval '1 day'"
                " FROM tickets WHERE resolved_at IS NOT NULL AND id % 3 = 0"
            ),
            {"plan": plan},
        )
        conn.execute(
            text(
                "INSERT INTO followups (ticket_id, conversation_id, kind, state, created_at,"
                " expires_at, answered_at, answer)"
                " SELECT id, conversation_id, 'survey', 'answered', resolved_at,"
                " resolved_at + interval '1 day', resolved_at + interval '1 hour', '5'"
                " FROM tickets WHERE resolved_at IS NOT NULL AND id % 5 = 0"
            )
        )
        conn.execute(
            text(
                "INSERT INTO survey_responses (followup_id, ticket_id, score, created_at)"
                " SELECT f.id, f.ticket_id, 1 + f.ticket_id % 5, f.answered_at FROM followups f"
            )
        )
        for table in (
            "tickets",
            "messages",
            "conversations",
            "handoffs",
            "followup_tasks",
            "survey_responses",
        ):
            conn.execute(text(f"ANALYZE {table}"))
    return time.perf_counter() - started


def timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    url = scratch_url(SCRATCH)
    upgrade(url)
    db = Database(url)
    seed_seconds = seed(db, args.tickets)
    print(f"seeded {args.tickets} tickets over {MONTHS} months in {seed_seconds:.1f} s")
    _, last = months()
    win = targets.window("month", last, ZONE)
    goals = targets.Goals()
    found: list[targets.Found] = []

    def report() -> None:
        with db.session() as session:
            done = targets.find(session, win, goals, utcnow())
            targets.report(done)
            found.append(done)

    def behind() -> None:
        with db.session() as session:
            targets.behind(session, win, goals, utcnow(), None, "major", "missed")

    report_runs = [timed(report) for _ in range(3)]
    behind_runs = [timed(behind) for _ in range(3)]
    summary = targets.report(found[-1])
    db.dispose()
    result = {
        "database": "postgresql",
        "tickets": args.tickets,
        "month": win.label,
        "month_tickets": summary["beside"]["tickets"],
        "seed_seconds": round(seed_seconds, 1),
        "report_seconds": round(statistics.median(report_runs), 3),
        "report_runs_seconds": [round(x, 3) for x in report_runs],
        "behind_seconds": round(statistics.median(behind_runs), 3),
        "answered": summary["targets"]["answered"]["value"],
        "major": summary["targets"]["major"]["value"],
        "handling_hours": summary["targets"]["handling"]["value"],
        "containment": summary["beside"]["containment"]["value"],
        "repeat": summary["beside"]["repeat"]["value"],
    }
    print(
        f"{win.label}: {result['month_tickets']} tickets; report {result['report_seconds']} s"
        f" (median of {report_runs}), tickets behind a figure {result['behind_seconds']} s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
