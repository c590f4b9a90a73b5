"""Routing the queue: who gets offered a chat, decline, offers that run out, away, capacity."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.access.accounts import add_user
from bot.core.models import Handoff
from bot.handoff.routing import AgentSlot, Need, choose
from bot.web.app import create_app
from fakes.processes import wait_for
from tests.helpers import agent_client, ask_for_human, beat


def slot(name: str, load: int = 0, capacity: int = 3, skills: str = "", languages: str = "zh,en"):
    return AgentSlot(
        name=name,
        languages=frozenset(languages.split(",")),
        skills=frozenset(s for s in skills.split(",") if s),
        capacity=capacity,
        load=load,
        last_accepted=0.0,
    )


def need(language: str = "zh", category: str | None = None, vip: bool = False, passed=()):
    return Need(language, category, vip, frozenset(passed))


def test_least_loaded_by_share_of_capacity() -> None:
    agents = [slot("a", load=2, capacity=3), slot("b", load=2, capacity=5), slot("c", load=3)]
    assert choose(agents, need()) == "b"


def test_full_agents_and_those_who_passed_are_skipped() -> None:
    assert choose([slot("a", load=3, capacity=3)], need()) is None
    assert choose([slot("a"), slot("b", load=1)], need(passed={"a"})) == "b"
    assert choose([slot("a")], need(passed={"a"})) is None


def test_language_is_required() -> None:
    agents = [slot("zh-only", languages="zh"), slot("bilingual", load=2, languages="zh,en")]
    assert choose(agents, need("en")) == "bilingual"
    assert choose([slot("zh-only", languages="zh")], need("en")) is None


def test_vip_and_category_skills_come_before_load() -> None:
    agents = [
        slot("idle"),
        slot("vip-desk", load=2, skills="vip"),
        slot("cards", skills="incident"),
    ]
    assert choose(agents, need(vip=True)) == "vip-desk"
    assert choose(agents, need(category="incident")) == "cards"
    assert choose(agents, need(category="complaint")) in {"idle", "cards"}
    # With nobody skilled for it, the chat still goes to someone who speaks the language.
    assert choose([slot("idle")], need(vip=True, category="complaint")) == "idle"


def test_longest_idle_breaks_ties() -> None:
    recent = AgentSlot("recent", frozenset({"zh"}), frozenset(), 3, 0, last_accepted=200.0)
    idle = AgentSlot("idle", frozenset({"zh"}), frozenset(), 3, 0, last_accepted=100.0)
    assert choose([recent, idle], need()) == "idle"


def _offered_to(db) -> str | None:
    with db.session() as s:
        return s.scalar(select(Handoff.offered_to))


def test_offer_goes_to_the_skilled_agent_and_passes_on_decline(customer, settings, app_db) -> None:
    add_user(app_db, "zhao.min", "agent", "pw-zhao-min-123", skills="inquiry", languages="zh")
    beat(settings, "li.na", "zhao.min")
    ask_for_human(customer)  # an inquiry ticket, in Chinese
    assert _offered_to(app_db) == "zhao.min"
    li = agent_client(settings, "li.na", "pw-li-na-123")
    zhao = agent_client(settings, "zhao.min", "pw-zhao-min-123")
    try:
        [item] = zhao.get("/console/api/queue").json()
        assert item["offered_to"] == "zhao.min" and item["offer_expires_at"]
        url = f"/console/api/handoffs/{item['handoff_id']}"
        assert li.post(f"{url}/decline").status_code == 409  # not offered to her
        assert zhao.post(f"{url}/decline").status_code == 200
        assert _offered_to(app_db) == "li.na"
        assert zhao.post(f"{url}/decline").status_code == 409  # no longer his
        assert li.post(f"{url}/accept").status_code == 200
        with app_db.session() as s:
            handoff = s.scalar(select(Handoff))
            assert handoff is not None
            assert (handoff.agent, handoff.offered_to, handoff.passed_over) == (
                "li.na",
                None,
                ["zhao.min"],
            )
    finally:
        for client in (li, zhao):
            client.__exit__(None, None, None)


@pytest.fixture
def quick_offers(settings, app_db):
    quick = settings.model_copy(update={"offer_seconds": 1.0})
    with TestClient(create_app(quick)) as client:
        yield client


def test_an_offer_not_taken_in_time_goes_to_the_next_agent(quick_offers, settings, app_db) -> None:
    beat(settings, "li.na", "wang.wei")
    ask_for_human(quick_offers)
    first = _offered_to(app_db)
    assert first in {"li.na", "wang.wei"}
    second = {"li.na", "wang.wei"} - {first}
    wait_for(lambda: _offered_to(app_db) in second, timeout=10)
    # Nobody left who has not let it pass: it waits in the pool, still queued.
    wait_for(lambda: _offered_to(app_db) is None, timeout=10)
    with app_db.session() as s:
        handoff = s.scalar(select(Handoff))
        assert handoff is not None and handoff.state == "queued"
        assert sorted(handoff.passed_over) == ["li.na", "wang.wei"]


def test_away_and_full_agents_get_no_offers(customer, settings, app_db) -> None:
    add_user(app_db, "sun.li", "agent", "pw-sun-li-123", capacity=1)
    beat(settings, "sun.li", "wang.wei")
    sun = agent_client(settings, "sun.li", "pw-sun-li-123")
    wang = agent_client(settings, "wang.wei", "pw-wang-wei-123")
    try:
        assert wang.post("/console/api/status", json={"status": "away"}).status_code == 200
        assert wang.get("/console/api/status").json() == {"status": "away"}
        ask_for_human(customer, "visitor-one")
        assert _offered_to(app_db) == "sun.li"
        [item] = sun.get("/console/api/queue").json()
        assert sun.post(f"/console/api/handoffs/{item['handoff_id']}/accept").status_code == 200
        ask_for_human(customer, "visitor-two")  # sun.li is full, wang.wei away
        with app_db.session() as s:
            waiting = s.scalar(select(Handoff).where(Handoff.state == "queued"))
            assert waiting is not None and waiting.offered_to is None
        assert wang.post("/console/api/status", json={"status": "online"}).status_code == 200
        with app_db.session() as s:
            assert s.scalar(select(Handoff.offered_to).where(Handoff.state == "queued")) == (
                "wang.wei"
            )
        assert wang.post("/console/api/status", json={"status": "busy"}).status_code == 422
    finally:
        for client in (sun, wang):
            client.__exit__(None, None, None)


def test_a_team_only_gets_offers_for_chats_transferred_to_it(customer, settings, app_db) -> None:
    assert choose([slot("a")], Need("zh", None, False, frozenset(), team="cards")) is None
    add_user(app_db, "qian.card", "agent", "pw-qian-card-123", team="cards")
    beat(settings, "li.na")
    ask_for_human(customer)
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        [item] = li.get("/console/api/queue").json()
        url = f"/console/api/handoffs/{item['handoff_id']}"
        assert li.post(f"{url}/accept").status_code == 200
        moved = li.post(f"{url}/transfer", json={"team": "cards", "note": "信用卡问题"})
        assert moved.status_code == 200
        assert _offered_to(app_db) is None  # li.na is not in the team, and gave it back
        beat(settings, "wang.wei", "qian.card")
        customer.app.state.services.wake_scanner()
        wait_for(lambda: _offered_to(app_db) == "qian.card")
    finally:
        li.__exit__(None, None, None)
