"""The targets API: a team's supervisor sees their team's figures only; agents are
refused; an unknown period, figure or outcome is a 422 with a message; the list behind
a figure and its download hold the same tickets."""

from __future__ import annotations

import csv
import io

from bot.access.accounts import add_user
from tests.bot.sla.test_targets import seed_boundaries
from tests.helpers import agent_client


def test_scope_refusals_and_the_list_behind_a_figure(person, desk_db, settings) -> None:
    add_user(desk_db, "qian.sup", "supervisor", "pw-qian-sup-123", team="loans")
    seeded = seed_boundaries(desk_db)
    month = {"period": "month", "at": seeded.month.isoformat()}
    head = person("sun.sup")  # a supervisor without a team: every team
    everything = head.get("/api/v1/targets", params=month).json()
    assert everything["beside"]["tickets"] == 7 and everything["team"] is None
    cards = head.get("/api/v1/targets", params={**month, "team": "cards"}).json()
    assert cards["beside"]["tickets"] == 7

    loans_lead = agent_client(settings, "qian.sup", "pw-qian-sup-123")
    try:
        theirs = loans_lead.get("/api/v1/targets", params=month).json()
        assert theirs["team"] == "loans" and theirs["beside"]["tickets"] == 0
        refused = loans_lead.get("/api/v1/targets", params={**month, "team": "cards"})
        assert refused.status_code == 403 and "本团队" in refused.json()["detail"]
    finally:
        loans_lead.__exit__(None, None, None)
    assert person("wang.a").get("/api/v1/targets", params=month).status_code == 403

    for bad in ({"period": "year"}, {"at": "2026-13-01"}, {"at": "9999-12-31"}):
        answer = head.get("/api/v1/targets", params={**month, **bad})
        assert answer.status_code == 422 and answer.json()["detail"]
    missed = {**month, "figure": "major", "outcome": "missed"}
    assert head.get("/api/v1/targets/tickets", params={**missed, "figure": "x"}).status_code == 422
    assert head.get("/api/v1/targets/tickets", params={**missed, "outcome": "x"}).status_code == 422

    listed = head.get("/api/v1/targets/tickets", params=missed).json()
    numbers = [row["number"] for row in listed["items"]]
    assert listed["count"] == 2 and numbers == [seeded.numbers["d"], seeded.numbers["e"]]
    download = head.get("/api/v1/targets/export", params={**missed, "format": "csv"})
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][0] == "工单号" and [r[0] for r in rows[1:]] == numbers
    xlsx = head.get("/api/v1/targets/export", params={**month, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
