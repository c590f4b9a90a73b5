"""The custom actions in the real action server (``rasa run actions`` in .venv-rasa),
against a fake desk on 127.0.0.1: what each action asks the desk and what it says."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.processes import free_port, wait_for
from fakes.providers import FakeProvider, Recorded

ROOT = Path(__file__).resolve().parents[2]
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
TICKET = {
    "number": "AX26120200001",
    "priority": "P2",
    "first_response_due_display": "12月3日 09:00",
    "resolution_due_display": "12月4日 09:00",
    "summary": {"zh": "工单处理中", "en": "Your ticket is being handled"},
}


class FakeDesk(FakeProvider):
    """The desk's internal API. ``answers`` maps (method, path) to (status, body)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], tuple[int, Any]] = {}
        super().__init__()

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        """The answer for the exact path, or for a path ending in "*" that it starts with."""
        for (method, path), (status, body) in self.answers.items():
            exact = path == request.path
            if method == request.method and (exact or request.path.startswith(path.rstrip("*"))):
                if exact or path.endswith("*"):
                    return status, body, {}
        return 404, {"detail": "?"}, {}


@pytest.fixture(scope="module")
def desk() -> Iterator[FakeDesk]:
    fake = FakeDesk()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def action_server(desk: FakeDesk, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not RASA_BIN.exists():
        pytest.fail(f"{RASA_BIN} is missing: run make install")
    port = free_port()
    env = dict(
        os.environ,
        ANXIN_DESK_URL=desk.url,
        ANXIN_SERVICE_TOKEN="service-token-for-the-actions-test",
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    log = (tmp_path_factory.mktemp("actions") / "actions.log").open("wb")
    process = subprocess.Popen(
        [str(RASA_BIN), "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, timeout=120)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(autouse=True)
def fresh(desk: FakeDesk) -> None:
    desk.answers.clear()
    with desk._lock:
        desk.requests.clear()


def run(
    url: str,
    action: str,
    text: str,
    *,
    intent: str = "greet",
    language: str = "zh",
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Run one action as Rasa does; (what it said, the events it returned)."""
    sender = f"conv-{uuid.uuid4().hex[:8]}"
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "metadata": {"language": language, "inbound_id": 7, **(metadata or {})},
    }
    tracker = {
        "sender_id": sender,
        "slots": {"language": language, **(slots or {})},
        "latest_message": latest,
        "events": [*(events or []), {"event": "user", "text": text, "parse_data": latest}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    payload = {"next_action": action, "sender_id": sender, "tracker": tracker, "domain": {}}
    response = httpx.post(f"{url}/webhook", json=payload, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    return [r.get("text") or r.get("response") for r in body["responses"]], body["events"]


def test_a_complaint_opens_one_ticket_and_tells_its_number_and_deadline(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/tickets")] = (201, TICKET)
    said, events = run(
        action_server,
        "action_open_ticket",
        "柜台服务太差",
        slots={"ticket_category": "complaint", "ticket_details": "柜台服务太差"},
    )
    assert said == [
        "已为您登记工单，工单号 AX26120200001，优先级 P2。我们会在 12月3日 09:00 前首次答复您。"
        "您可随时发送「查询工单 AX26120200001」了解进度。"
    ]
    (call,) = desk.calls("/internal/tickets")
    assert call.headers["authorization"] == "Bearer service-token-for-the-actions-test"
    body = call.json()
    assert body["category"] == "complaint" and body["description"] == "柜台服务太差"
    assert body["idempotency_key"].startswith("ticket:") and body["idempotency_key"].endswith(":7")
    assert {"event": "slot", "name": "ticket_details", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


def test_a_lost_card_opens_a_p1_with_advice_and_a_place_in_the_queue(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/tickets")] = (201, {**TICKET, "priority": "P1"})
    desk.answers[("POST", "/api/v1/internal/handoffs")] = (
        200,
        {"queued": True, "position": 3, "wait_minutes": 4},
    )
    said, _ = run(
        action_server,
        "action_report_incident",
        "I lost my credit card",
        intent="report_card_lost",
        language="en",
    )
    assert said[0].startswith("I have opened an urgent ticket for you: AX26120200001 (priority P1)")
    assert "freeze the card" in said[0] and "(2 ahead of you)" in said[0]
    assert desk.calls("/internal/tickets")[0].json()["subcategory"] == "card_lost"
    assert desk.calls("/internal/handoffs")[0].json()["reason"] == "p1"


def test_a_desk_that_fails_gets_the_busy_apology(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/tickets")] = (500, {"detail": "boom"})
    said, _ = run(action_server, "action_report_incident", "有人盗刷我的卡", intent="report_fraud")
    assert said == ["抱歉，系统暂时繁忙，您的消息已记录，我们会尽快处理。"]


def test_ticket_status_asks_an_unverified_customer_to_prove_who_they_are(action_server, desk):
    path = f"/api/v1/internal/tickets/{TICKET['number']}"
    desk.answers[("GET", path)] = (403, {"detail": "identity required"})
    desk.answers[("POST", "/api/v1/internal/identity/checks")] = (
        200,
        {"zh": "请回复您登记的手机号码。", "en": "Please reply with your mobile number."},
    )
    said, _ = run(
        action_server,
        "action_ticket_status",
        "查询工单 ax26120200001",
        intent="ticket_status",
    )
    assert said == ["请回复您登记的手机号码。"]
    assert desk.calls("/identity/checks")[0].json()["ticket_number"] == TICKET["number"]


def test_ticket_status_tells_the_owner_and_says_the_desks_not_found(action_server, desk):
    path = f"/api/v1/internal/tickets/{TICKET['number']}"
    desk.answers[("GET", path)] = (200, TICKET)
    said, _ = run(action_server, "action_ticket_status", f"check {TICKET['number']}", language="en")
    assert said == ["Your ticket is being handled"]
    desk.answers[("GET", path)] = (404, {"detail": {"zh": "未找到该工单", "en": "No such ticket"}})
    said, _ = run(action_server, "action_ticket_status", f"查询 {TICKET['number']}")
    assert said == ["未找到该工单"]


def test_a_question_gets_did_you_mean_choices_from_the_knowledge_base(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/kb/match")] = (
        200,
        {
            "decision": "suggested",
            "confidence": 0.4,
            "key": None,
            "answer": None,
            "choices": [
                {"number": 1, "key": "pw", "question": "How do I reset my password?"},
                {"number": 2, "key": "lim", "question": "What is my transfer limit?"},
            ],
        },
    )
    said, events = run(action_server, "action_answer_faq", "password?", intent="faq", language="en")
    assert said == [
        "Did you mean one of these? Reply with its number:\n"
        "1. How do I reset my password?\n2. What is my transfer limit?\n"
        'Reply "none" if none fits.'
    ]
    assert next(e for e in events if e.get("name") == "kb_hit")["value"] is None


def test_the_second_misunderstanding_in_a_row_goes_to_a_person(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/kb/match")] = (
        200,
        {"decision": "unanswered", "confidence": 0.1, "key": None, "answer": None, "choices": []},
    )
    desk.answers[("POST", "/api/v1/internal/tickets")] = (201, TICKET)
    desk.answers[("POST", "/api/v1/internal/handoffs")] = (200, {"queued": False})
    earlier = {
        "event": "user",
        "text": "asdf",
        "parse_data": {"intent": {"name": "nlu_fallback"}},
    }
    said, _ = run(
        action_server,
        "action_handle_fallback",
        "qwer",
        intent="nlu_fallback",
        events=[earlier],
    )
    assert said[0].startswith(
        "抱歉，我还是没能理解您的问题，我为您转接人工客服。目前没有人工坐席在线"
    )
    assert desk.calls("/internal/tickets")[0].json()["subcategory"] == "fallback"


FORM_DOMAIN = {
    "forms": {"ticket_form": {"required_slots": ["ticket_details"]}},
    "slots": {
        "ticket_details": {"type": "text", "mappings": [{"type": "from_text"}]},
        "ticket_category": {"type": "categorical", "mappings": [{"type": "custom"}]},
        "requested_slot": {"type": "any", "mappings": [{"type": "custom"}]},
    },
}


def validate(url: str, text: str, *, asked: bool) -> list[dict[str, Any]]:
    """Run ``validate_ticket_form`` as Rasa does after the slot was filled from ``text``
    (on the request itself, or as the answer to the form's question); its events."""
    sender = f"conv-{uuid.uuid4().hex[:8]}"
    latest = {"text": text, "intent": {"name": "complaint"}, "entities": [], "metadata": {}}
    slots = {
        "language": "zh",
        "ticket_details": text,
        "ticket_category": "complaint",
        "requested_slot": "ticket_details" if asked else None,
    }
    tracker = {
        "sender_id": sender,
        "slots": slots,
        "latest_message": latest,
        "events": [
            {"event": "user", "text": text, "parse_data": latest},
            {"event": "slot", "name": "ticket_details", "value": text},
        ],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": "ticket_form"},
        "latest_action_name": "ticket_form",
    }
    payload = {
        "next_action": "validate_ticket_form",
        "sender_id": sender,
        "tracker": tracker,
        "domain": FORM_DOMAIN,
    }
    response = httpx.post(f"{url}/webhook", json=payload, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def slot_value(events: list[dict[str, Any]], name: str) -> Any:
    return next(e["value"] for e in events if e.get("event") == "slot" and e["name"] == name)


def test_a_request_that_says_what_happened_fills_the_form_at_once(action_server):
    words = "投诉：柜台把我的钱转错了账户"
    assert slot_value(validate(action_server, words, asked=False), "ticket_details") == words
    english = "Complaint: I was charged the same fee twice"
    assert slot_value(validate(action_server, english, asked=False), "ticket_details") == english
    # Naming the request only: the form asks what happened.
    assert slot_value(validate(action_server, "我要投诉", asked=False), "ticket_details") is None
    # Once asked, whatever the customer answers is the description.
    assert slot_value(validate(action_server, "柜员态度差", asked=True), "ticket_details") == (
        "柜员态度差"
    )


def test_never_mind_calls_the_form_off(action_server, desk):
    events = validate(action_server, "算了，不投诉了", asked=True)
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert slot_value(events, "ticket_details") is None
    said, _ = run(action_server, "action_open_ticket", "算了", slots={"ticket_details": None})
    assert said == [] and desk.calls("/internal/tickets") == []  # nothing filed


def test_another_message_about_an_open_need_adds_to_its_ticket(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/tickets")] = (201, {**TICKET, "reused": True})
    said, _ = run(
        action_server,
        "action_open_ticket",
        "还有，柜员也没道歉",
        slots={"ticket_category": "complaint", "ticket_details": "还有，柜员也没道歉"},
    )
    assert said[0].startswith(
        "您的工单 AX26120200001 正在处理中（优先级 P2），已将您刚才说的补充到工单里"
    )
    assert desk.calls("/internal/tickets")[0].json()["reuse"] == "same_need"


def test_asking_for_a_person_again_joins_the_open_ticket(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/tickets")] = (201, {**TICKET, "reused": True})
    desk.answers[("POST", "/api/v1/internal/handoffs")] = (200, {"queued": False})
    said, _ = run(action_server, "action_request_human", "转人工", intent="request_human")
    assert "您的工单 AX26120200001 正在处理中" in said[0] and "已为您登记工单" not in said[0]
    assert desk.calls("/internal/tickets")[0].json()["reuse"] == "conversation"


def test_a_regulator_threat_is_a_p1_complaint_with_a_named_next_step(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/tickets")] = (201, {**TICKET, "priority": "P1"})
    desk.answers[("POST", "/api/v1/internal/handoffs")] = (200, {"queued": False})
    said, _ = run(
        action_server,
        "action_request_human",
        "再不处理我就打12378投诉",
        intent="request_human",
        metadata={"handoff_reason": "escalation", "text": "再不处理我就打12378投诉"},
    )
    assert said[0].startswith("非常理解您的心情，我们会认真对待您的问题。已将它升级为加急处理")
    assert "客服人员将在 12月3日 09:00 前联系您" in said[0]
    body = desk.calls("/internal/tickets")[0].json()
    assert (body["category"], body["subcategory"]) == ("complaint", "escalation_risk")
    assert desk.calls("/internal/handoffs")[0].json()["reason"] == "escalation"


def test_out_of_scope_twice_is_not_a_misunderstanding(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/kb/match")] = (
        200,
        {"decision": "unanswered", "confidence": 0.1, "key": None, "answer": None, "choices": []},
    )
    earlier = {
        "event": "user",
        "text": "今天天气怎么样",
        "parse_data": {"intent": {"name": "out_of_scope"}},
    }
    said, _ = run(
        action_server,
        "action_handle_fallback",
        "明天会下雨吗",
        intent="out_of_scope",
        events=[earlier],
    )
    assert said == ["utter_out_of_scope"]  # the domain's response, not a handoff
    assert desk.calls("/internal/tickets") == []


def test_off_shift_the_web_visitor_hears_when_people_are_back_and_is_asked_for_a_number(
    action_server, desk
):
    desk.answers[("POST", "/api/v1/internal/tickets")] = (201, {**TICKET, "query_code": True})
    desk.answers[("POST", "/api/v1/internal/handoffs")] = (
        200,
        {
            "queued": False,
            "agents_online": 0,
            "back_at_display": "2026-12-04 08:30",
            "callback_asked": True,
        },
    )
    said, _ = run(action_server, "action_request_human", "转人工", intent="request_human")
    assert said[0].startswith(
        "现在没有人工客服值班，下一班于 2026-12-04 08:30 开始。已为您登记工单 AX26120200001。"
    )
    assert "在其他渠道查询时请使用查询码 ⟦QC:AX26120200001⟧" in said[0]
    assert said[0].endswith(
        "如需回电，请直接回复您的手机号码（仅用于本工单回电）；不需要请回复「不用了」。"
    )


def test_ticket_status_without_a_number_lists_the_customers_own(action_server, desk):
    second = {**TICKET, "number": "AX26120200002"}
    second["summary"] = {"zh": "第二张工单处理中", "en": "The second one is being handled"}
    listing: dict[str, Any] = {"tickets": [TICKET, second]}
    desk.answers[("GET", "/api/v1/internal/conversations/*")] = (200, listing)
    said, _ = run(action_server, "action_ticket_status", "我的工单怎么样了", intent="ticket_status")
    assert said == ["工单处理中\n第二张工单处理中"]
    listing["tickets"] = []
    said, _ = run(action_server, "action_ticket_status", "my ticket?", language="en")
    assert said[0].startswith("I found no open ticket from this chat.")


UNANSWERED = {
    "decision": "unanswered",
    "confidence": 0.1,
    "key": None,
    "answer": None,
    "choices": [],
}


def test_words_the_assistant_cannot_place_go_onto_the_open_ticket(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/kb/match")] = (200, UNANSWERED)
    desk.answers[("POST", "/api/v1/internal/conversations/*")] = (
        200,
        {**TICKET, "summary": {"zh": "工单 AX26120200001 处理中。", "en": "Ticket is open."}},
    )
    said, _ = run(
        action_server, "action_handle_fallback", "他们还威胁说要上门", intent="nlu_fallback"
    )
    assert said == ["已将您说的补充到工单中，处理人员会一并查看。工单 AX26120200001 处理中。"]
    (call,) = desk.calls("/additions")
    assert call.json() == {"text": "他们还威胁说要上门"}
    assert desk.calls("/internal/tickets") == []  # no second ticket, no handoff
    # a question the knowledge base cannot answer is added the same way
    said, _ = run(action_server, "action_answer_faq", "大概几天能到", intent="faq", language="en")
    assert said == [
        "I have added what you said to your ticket for the person handling it. Ticket is open."
    ]


def test_without_an_open_ticket_the_usual_answers_stand(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/kb/match")] = (200, UNANSWERED)
    desk.answers[("POST", "/api/v1/internal/conversations/*")] = (404, {"detail": "none"})
    said, _ = run(action_server, "action_answer_faq", "大概几天能到", intent="faq")
    assert said[0].startswith("抱歉，这个问题我暂时没有确切的答案")


def test_out_of_scope_is_not_offered_banking_questions(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/kb/match")] = (
        200,
        {
            "decision": "suggested",
            "confidence": 0.45,
            "key": "fx_exchange",
            "answer": None,
            "choices": [{"number": 1, "key": "fx_exchange", "question": "怎么购汇？"}],
        },
    )
    said, _ = run(action_server, "action_handle_fallback", "今天上海下雨吗", intent="out_of_scope")
    assert said == ["utter_out_of_scope"]
    assert desk.calls("/additions") == []  # the weather is not added to a ticket either


def test_a_card_number_sent_is_warned_about_before_the_answer(action_server, desk):
    desk.answers[("POST", "/api/v1/internal/kb/match")] = (
        200,
        {
            "decision": "answered",
            "confidence": 0.9,
            "key": "balance_check",
            "answer": "在手机银行查看余额。",
            "choices": [],
        },
    )
    said, _ = run(
        action_server, "action_answer_faq", "卡号[卡号/card ****5671] 还剩多少钱", intent="faq"
    )
    assert said == [
        "为了您的安全，请不要在聊天中发送完整卡号、密码或验证码，已收到的卡号已自动遮盖。在手机银行查看余额。"
    ]
