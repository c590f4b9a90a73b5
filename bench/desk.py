"""How fast the ticket desk's lists answer at a million tickets, on PostgreSQL.

    python -m bench.desk --tickets 1000000

Seeds that many tickets (a scratch database ``anxin_bench_desk`` on 127.0.0.1, or
DATABASE_URL): 30,000 customers, 8 teams of 10 agents, six months of history, about a
third still open, deadlines spread so a few percent are at risk or breached. Then times
what the staff app asks for, through the same function the API calls
(``bot.tickets.worklist.page``, with its capped count):

- ``first_page``: an agent's default view (open tickets of their team and the pool, by
  due time, 50 rows);
- ``at_risk``: the "at risk" view of a supervisor who sees every team;
- ``search``: a supervisor's text search for a phrase in the descriptions (a trigram
  index serves it), and ``number_search`` a ticket number.

Each figure is the p95 of ``--repeat`` calls; the whole set runs three times and the
median of the three is reported. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable

import psycopg
from sqlalchemy import text

from bot.access.scopes import Scope
from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.core.models import utcnow
from bot.tickets.worklist import Filters, page

SCRATCH = "anxin_bench_desk"
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TEAMS = 8
AGENTS_PER_TEAM = 10
CUSTOMERS = 30_000
WORDS = (
    "信用卡 年费 转账 限额 挂失 密码 重置 网银 登录 手机银行 理财 赎回 贷款 还款 提前 利率 "
    "账单 分期 积分 兑换 柜台 排队 态度 ATM 吞卡 取款 失败 扣费 重复 到账 延迟 外汇 汇率 "
    "存款 证明 开户 销户 短信 验证码 收不到 冻结 解冻 诈骗 盗刷 退款 商户 争议"
).split()
PHRASE = "提前还款违约金"  # seeded into about one ticket in 2,000


def scratch_url(name: str = SCRATCH) -> str:
    """DATABASE_URL when set (PostgreSQL only), else a fresh scratch database ``name``."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        if not url.startswith("postgres"):
            raise SystemExit("this benchmark measures PostgreSQL: set DATABASE_URL to one")
        return url
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return ADMIN.rsplit("/", 1)[0] + f"/{name}"


def seed(db: Database, tickets: int) -> float:
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE staff_notices, escalation_events, ticket_events, followup_tasks,"
                " survey_responses, followups, outbox, messages, handoffs, tickets,"
                " conversations, users RESTART IDENTITY CASCADE"
            )
        )
        for team in range(TEAMS):
            for agent in range(AGENTS_PER_TEAM):
                conn.execute(
                    text(
                        "INSERT INTO users (name, role, password_hash, created_at, languages,"
                        " skills, capacity, team) VALUES (:n, 'agent', 'x', now(), 'zh', '', 3, :t)"
                    ),
                    {"n": f"agent{team}.{agent}", "t": f"team{team}"},
                )
        conn.execute(
            text(
                "INSERT INTO users (name, role, password_hash, created_at, languages, skills,"
                " capacity) VALUES ('sup', 'supervisor', 'x', now(), 'zh', '', 3)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO conversations (public_id, channel, external_user_id, language, mode,"
                " created_at, last_message_at, tier)"
                " SELECT md5(g::text), (ARRAY['webchat','wechat','wecom','sms','telegram'])[1 + g % 5],"
                " 'c' || g, 'zh', 'bot', now(), now(), 'standard' FROM generate_series(1, :n) g"
            ),
            {"n": CUSTOMERS},
        )
        # Descriptions: four words of a banking vocabulary, and now and then the phrase
        # the search looks for.
        conn.execute(
            text(
                """
INSERT INTO tickets (number, conversation_id, channel, category, priority, status,
  description, created_at, first_response_due_at, resolution_due_at, first_responded_at,
  calendar, team, assignee, due_at, at_risk_at, response_round)
SELECT 'AX' || to_char(x.created, 'YYMMDD') || lpad(g::text, 7, '0'),
  1 + g % :customers,
  (ARRAY['webchat','wechat','wecom','sms','telegram'])[1 + g % 5],
  (ARRAY['complaint','suggestion','inquiry','incident'])[1 + g % 4],
  (ARRAY['P1','P2','P3','P4'])[1 + (g / 7) % 4],
  x.status,
  w[1 + g % nw] || w[1 + (g / nw) % nw] || w[1 + (g / (nw * nw)) % nw] || w[1 + (g / 7) % nw]
     || CASE WHEN g % 2000 = 7 THEN :phrase ELSE '' END,
  x.created, x.created + interval '24 hours', x.due, CASE WHEN x.answered THEN x.created END,
  '24x7',
  CASE WHEN g % 10 = 0 THEN NULL ELSE 'team' || (g % :teams) END,
  CASE WHEN g % 3 = 0 OR g % 10 = 0 THEN NULL
       ELSE 'agent' || (g % :teams) || '.' || ((g / :teams) % :per_team) END,
  CASE WHEN x.status IN ('new', 'open') THEN x.due END,
  CASE WHEN x.status IN ('new', 'open') THEN x.due - (x.due - x.created) / 4 END,
  0
FROM generate_series(1, :n) g
CROSS JOIN (SELECT CAST(:w AS text[]) AS w, :nw AS nw) vocabulary
CROSS JOIN LATERAL (
  SELECT
    CASE WHEN g % 3 = 0 THEN now() - (g % 5000) * interval '1 minute'
         ELSE now() - interval '3 days' - (g % 180) * interval '1 day' END AS created,
    CASE WHEN g % 3 = 0 THEN (ARRAY['new','open','open','pending_customer'])[1 + g % 4]
         ELSE (ARRAY['resolved','closed'])[1 + g % 2] END AS status,
    g % 3 = 0 AND g % 4 <> 1 AS answered,
    CASE WHEN g % 3 = 0 THEN now() - (g % 5000) * interval '1 minute' + interval '72 hours'
         ELSE now() - interval '1 day' - (g % 180) * interval '1 day' END AS due
) x
"""
            ),
            {
                "n": tickets,
                "customers": CUSTOMERS,
                "teams": TEAMS,
                "per_team": AGENTS_PER_TEAM,
                "phrase": PHRASE,
                "w": WORDS,
                "nw": len(WORDS),
            },
        )
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(db: Database, call: Callable[[object], object], repeat: int) -> float:
    samples = []
    with db.session() as session:
        for _ in range(repeat):
            started = time.perf_counter()
            call(session)
            samples.append((time.perf_counter() - started) * 1000)
    return p95(samples)


def one_round(db: Database, repeat: int, rng: random.Random, number: str) -> dict[str, float]:
    everything = Scope(everything=True)

    def agent_scope() -> tuple[Scope, str, str]:
        team = rng.randrange(TEAMS)
        members = frozenset(f"agent{team}.{a}" for a in range(AGENTS_PER_TEAM))
        me = f"agent{team}.{rng.randrange(AGENTS_PER_TEAM)}"
        return Scope(False, members, own_team=f"team{team}"), me, f"team{team}"

    def first_page(session: object) -> object:
        scope, me, team = agent_scope()
        return page(session, scope, Filters(view="open"), me, team, utcnow())  # type: ignore[arg-type]

    def at_risk(session: object) -> object:
        return page(session, everything, Filters(view="at_risk"), "sup", None, utcnow())  # type: ignore[arg-type]

    def search(session: object) -> object:
        return page(
            session,  # type: ignore[arg-type]
            everything,
            Filters(view="all", q=PHRASE, sort="newest"),
            "sup",
            None,
            utcnow(),
        )

    def by_number(session: object) -> object:
        return page(session, everything, Filters(view="all", q=number), "sup", None, utcnow())  # type: ignore[arg-type]

    return {
        "first_page_p95_ms": timed(db, first_page, repeat),
        "at_risk_p95_ms": timed(db, at_risk, repeat),
        "search_p95_ms": timed(db, search, repeat),
        "number_search_p95_ms": timed(db, by_number, repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    url = scratch_url()
    upgrade(url)
    db = Database(url)
    rng = random.Random(7)
    seconds = seed(db, args.tickets)
    with db.engine.connect() as conn:
        running, at_risk, phrase_hits, number, trigram = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM tickets WHERE due_at IS NOT NULL),"
                " (SELECT count(*) FROM tickets WHERE due_at > now() AND at_risk_at <= now()),"
                " (SELECT count(*) FROM tickets WHERE description LIKE :p),"
                " (SELECT number FROM tickets ORDER BY id DESC LIMIT 1),"
                " (SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_tickets_description_trgm')"
            ),
            {"p": f"%{PHRASE}%"},
        ).one()
    print(
        f"seeded {args.tickets} tickets in {seconds:.1f} s: {running} with a running clock, "
        f"{at_risk} at risk, {phrase_hits} with the searched phrase",
        flush=True,
    )
    rounds = [one_round(db, args.repeat, rng, number) for _ in range(3)]
    db.dispose()
    result: dict[str, object] = {
        "tickets": args.tickets,
        "seed_seconds": round(seconds, 1),
        "running_clocks": running,
        "at_risk": at_risk,
        "search_hits": phrase_hits,
        "trigram_index": bool(trigram),
        "repeat": args.repeat,
    }
    for key in rounds[0]:
        result[key] = round(statistics.median(r[key] for r in rounds), 1)
        result[key.replace("_p95_ms", "_runs_ms")] = [round(r[key], 1) for r in rounds]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
