"""How fast the retention purge clears expired customers' data on PostgreSQL.

    python -m bench.retention [--conversations 100000] [--held 1000] [--recent 10000]

Seeds (a scratch database ``anxin_bench_retention`` on 127.0.0.1, or DATABASE_URL) that
many conversations whose last message is seven years old (plus ``--held`` more like them
under a legal hold), each a customer bound by an SMS
code (their sealed number, vault key and identity check), four messages (two replies
with their outbox rows and delivery attempts), a ticket resolved seven years ago with
three history entries, a knowledge-base question; one in ten with a handoff and a
quality flag, one in three a 回访 with a call, one in five a survey answer;
``--recent`` more customers wrote last week.
Then runs the purge once (``bot.privacy.purge``, the nightly job's code) and checks that
every expired, unheld conversation is gone with its messages, tickets and vault
entries, and that the held and the recent ones are untouched, row for row. The last line
is one JSON object: ``purged``, ``held_kept``, ``seconds`` and the rows per table.
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import text

from bench.desk import scratch_url
from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.privacy.purge import Purge

SCRATCH = "anxin_bench_retention"
PER_CONVERSATION = (
    "messages",
    "outbox",
    "delivery_attempts",
    "tickets",
    "ticket_events",
    "customers",
    "vault_keys",
    "identity_checks",
    "kb_queries",
    "handoffs",
    "qa_flags",
    "followup_tasks",
    "followup_attempts",
    "followups",
    "survey_responses",
)

SEED = [
    # conversations 1..n are old; n+1..n+recent wrote a week ago; customer i is bound to
    # conversation i
    """INSERT INTO customers (phone_pseudonym, phone_sealed, phone_tail, created_at)
       SELECT 'p-' || md5(g::text), 'k1|p-' || md5(g::text) || '|sealed', lpad((g % 10000)::text, 4, '0'),
              now() - CASE WHEN g <= :n THEN interval '7 years' ELSE interval '8 days' END
       FROM generate_series(1, :total) g""",
    """INSERT INTO vault_keys (pseudonym, wrapped, created_at)
       SELECT phone_pseudonym, 'wrapped-key', created_at FROM customers""",
    """INSERT INTO conversations (public_id, channel, external_user_id, language, mode, created_at,
         last_message_at, tier, customer_id)
       SELECT md5('c' || g), (ARRAY['webchat','wechat','wecom','sms','telegram'])[1 + g % 5],
              'u' || g, 'zh', 'bot', c.created_at, c.created_at + interval '1 day', 'standard', g
       FROM generate_series(1, :total) g JOIN customers c ON c.id = g""",
    """INSERT INTO identity_checks (conversation_id, state, phone_pseudonym, phone_sealed, attempts,
         created_at)
       SELECT id, 'verified', 'p-' || md5(id::text), 'k1|sealed', 1, created_at FROM conversations""",
    """INSERT INTO messages (conversation_id, channel, provider_msg_id, direction, sender, kind, text,
         status, attempts, created_at, reply_to_id)
       SELECT c.id, c.channel, 'm' || c.id || '-' || k, CASE WHEN k % 2 = 1 THEN 'in' ELSE 'out' END,
              CASE WHEN k % 2 = 1 THEN 'customer' ELSE 'bot' END, 'text',
              CASE WHEN k % 2 = 1 THEN '我的信用卡账单有问题，尾号' || c.id ELSE '已为您登记工单' END,
              'done', 0, c.created_at + k * interval '1 minute', NULL
       FROM conversations c CROSS JOIN generate_series(1, 4) k""",
    """UPDATE messages o SET reply_to_id = i.id FROM messages i
       WHERE o.direction = 'out' AND i.conversation_id = o.conversation_id
         AND i.created_at = o.created_at - interval '1 minute'""",
    """INSERT INTO outbox (message_id, status, attempts, created_at, next_attempt_at, parts_sent,
         sent_at)
       SELECT id, 'sent', 1, created_at, created_at, 1, created_at FROM messages
       WHERE direction = 'out'""",
    """INSERT INTO delivery_attempts (outbox_id, attempt, at, ok)
       SELECT id, 1, created_at, true FROM outbox""",
    """INSERT INTO tickets (number, conversation_id, channel, category, priority, status,
         description, created_at, first_response_due_at, resolution_due_at, first_responded_at,
         resolved_at, closed_at, calendar, response_round, reopen_count)
       SELECT 'AX' || lpad(c.id::text, 11, '0'), c.id, c.channel, 'complaint', 'P3', 'closed',
              '客户反映账单金额不对', c.created_at, c.created_at + interval '1 day',
              c.created_at + interval '3 days', c.created_at + interval '1 hour',
              c.created_at + interval '5 hours', c.created_at + interval '6 hours', '24x7', 0, 0
       FROM conversations c""",
    """INSERT INTO ticket_events (ticket_id, at, actor, action, body)
       SELECT t.id, t.created_at + k * interval '1 hour', 'li.agent',
              (ARRAY['created','note','status'])[k], CASE WHEN k = 2 THEN '客户来电补充' END
       FROM tickets t CROSS JOIN generate_series(1, 3) k""",
    """INSERT INTO kb_queries (conversation_id, language, text, decision, confidence, choices,
         created_at)
       SELECT id, 'zh', '信用卡年费多少', 'answered', 0.9, '[]', created_at FROM conversations""",
    """INSERT INTO handoffs (conversation_id, ticket_id, reason, state, agent, queued_at, ended_at,
         passed_over)
       SELECT c.id, c.id, 'customer_request', 'ended', 'li.agent', c.created_at,
              c.created_at + interval '10 minutes', '[]'
       FROM conversations c WHERE c.id % 10 = 0""",
    """INSERT INTO qa_flags (handoff_id, conversation_id, agent, rule_key, created_at)
       SELECT id, conversation_id, 'li.agent', 'greeting', queued_at FROM handoffs""",
    """INSERT INTO followup_plans (category, tier, delay_hours, active)
       SELECT '*', '*', 24, true WHERE NOT EXISTS (SELECT 1 FROM followup_plans)""",
    """INSERT INTO followup_tasks (ticket_id, plan_id, reason, due_at, created_at, state, attempts,
         satisfaction, done_at, outcome)
       SELECT t.id, (SELECT min(id) FROM followup_plans), 'plan', t.resolved_at + interval '1 day',
              t.resolved_at, 'reached', 1, 'satisfied', t.resolved_at + interval '1 day', '满意'
       FROM tickets t WHERE t.id % 3 = 0""",
    """INSERT INTO followup_attempts (task_id, number, at, actor, result, satisfaction, note)
       SELECT id, 1, done_at, 'li.agent', 'reached', 'satisfied', '客户表示满意'
       FROM followup_tasks""",
    """INSERT INTO followups (ticket_id, conversation_id, kind, state, created_at, expires_at,
         answered_at, answer)
       SELECT t.id, t.conversation_id, 'survey', 'answered', t.resolved_at,
              t.resolved_at + interval '1 day', t.resolved_at + interval '1 hour', '5'
       FROM tickets t WHERE t.id % 5 = 0""",
    """INSERT INTO survey_responses (followup_id, ticket_id, score, comment, created_at)
       SELECT id, ticket_id, 5, '很满意', answered_at FROM followups""",
    """INSERT INTO legal_holds (scope, customer_id, label, reason, set_by, set_at)
       SELECT 'customer', g, '客户 #' || g, '诉讼保全', 'legal.zhou', now()
       FROM generate_series(1, :held) g""",
]


def seed(db: Database, old: int, held: int, recent: int) -> float:
    started = time.perf_counter()
    params = {"n": old, "total": old + recent, "held": held}
    with db.engine.begin() as conn:
        for statement in SEED:
            conn.execute(text(statement), params)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def counts(db: Database, where: str) -> dict[str, int]:
    """Rows per table belonging to the conversations ``where`` selects (``c`` aliases them)."""
    owned = f"SELECT c.id FROM conversations c WHERE {where}"
    tickets = f"SELECT id FROM tickets WHERE conversation_id IN ({owned})"
    queries = {
        "conversations": f"SELECT count(*) FROM ({owned}) x",
        "messages": f"SELECT count(*) FROM messages WHERE conversation_id IN ({owned})",
        "tickets": f"SELECT count(*) FROM ({tickets}) x",
        "ticket_events": f"SELECT count(*) FROM ticket_events WHERE ticket_id IN ({tickets})",
        "customers": f"SELECT count(*) FROM customers WHERE id IN (SELECT customer_id FROM conversations c WHERE {where})",
        "identity_checks": f"SELECT count(*) FROM identity_checks WHERE conversation_id IN ({owned})",
    }
    with db.engine.connect() as conn:
        return {name: int(conn.execute(text(sql)).scalar_one()) for name, sql in queries.items()}


def table_rows(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            name: int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
            for name in ("conversations", *PER_CONVERSATION)
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000, help="expired, to purge")
    parser.add_argument("--held", type=int, default=1_000, help="expired too, but held")
    parser.add_argument("--recent", type=int, default=10_000, help="customers of last week")
    args = parser.parse_args()
    url = scratch_url(SCRATCH)
    upgrade(url)
    db = Database(url)
    expired = args.held + args.conversations  # the held ones come first
    seed_seconds = seed(db, expired, args.held, args.recent)
    before = table_rows(db)
    held_where = f"c.customer_id <= {args.held}"
    recent_where = f"c.id > {expired}"
    held_before, recent_before = counts(db, held_where), counts(db, recent_where)
    print(
        f"seeded {expired} expired conversations ({args.held} of them held) and "
        f"{args.recent} recent in {seed_seconds:.1f} s: {before}"
    )
    report = Purge(db).run()
    after = table_rows(db)
    expired_left = counts(db, f"c.id <= {expired} AND c.customer_id > {args.held}")
    held_after, recent_after = counts(db, held_where), counts(db, recent_where)
    keys_left = after["vault_keys"]
    db.dispose()
    purged = before["conversations"] - after["conversations"]
    ok = (
        purged == args.conversations
        and not any(expired_left.values())
        and held_after == held_before
        and recent_after == recent_before
        and keys_left == args.held + args.recent
    )
    result = {
        "database": "postgresql",
        "conversations": args.conversations,
        "purged": purged,
        "held_kept": report.held_kept,
        "held_untouched": held_after == held_before,
        "recent_untouched": recent_after == recent_before,
        "seconds": round(report.seconds, 2),
        "rows_removed": sum(before[t] - after[t] for t in before),
        "removed": {t: before[t] - after[t] for t in before},
        "seed_seconds": round(seed_seconds, 1),
        "ok": ok,
    }
    print(
        f"purged {purged} conversations ({result['rows_removed']} rows) in {result['seconds']} s;"
        f" held kept {report.held_kept}; held and recent untouched: {ok}"
    )
    print(json.dumps(result))
    if not ok:
        raise SystemExit(f"the purge left expired data or touched kept data: {expired_left}")


if __name__ == "__main__":
    main()
