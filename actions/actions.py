"""Custom actions: language detection, FAQ answers, tickets and their status."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.desk_client import DeskClient, DeskError, IdentityRequired, TicketNotFound

TICKET_NUMBER = re.compile(r"\b(AX\d{11})\b", re.IGNORECASE)

INCIDENT_BY_INTENT = {
    "report_card_lost": "card_lost",
    "report_fraud": "fraud",
    "report_account_compromised": "account_compromised",
}


def language_of(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return "en" if value == "en" else "zh"


def say(language: str, zh: str, en: str) -> str:
    return en if language == "en" else zh


def idempotency_key(tracker: Tracker, purpose: str) -> str:
    """One ticket per customer message, even if the message is processed twice."""
    metadata = tracker.latest_message.get("metadata") or {}
    inbound = metadata.get("inbound_id") or tracker.latest_message.get("message_id")
    return f"{purpose}:{tracker.sender_id}:{inbound}"


def metadata_of(tracker: Tracker) -> dict[str, Any]:
    metadata = tracker.latest_message.get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def is_vip(tracker: Tracker) -> bool:
    return metadata_of(tracker).get("tier") == "vip"


def desk_down(dispatcher: CollectingDispatcher, language: str) -> list[EventType]:
    dispatcher.utter_message(
        text=say(
            language,
            "抱歉，系统暂时繁忙，您的消息已记录，我们会尽快处理。",
            "Sorry, our system is busy. Your message is recorded and we will follow up.",
        )
    )
    return []


class ValidateSlotMappings(ValidationAction):
    """Fills the ``language`` slot after every customer message, so replies follow it."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The service desk detects the language (bot/lang.py) and sends it as metadata."""
        metadata = tracker.latest_message.get("metadata") or {}
        hinted = metadata.get("language")
        return {"language": hinted if hinted in ("zh", "en") else language_of(tracker)}


def kb_reply(language: str, match: dict[str, Any]) -> str | None:
    """What to say for the knowledge base's decision, or None when it has no answer."""
    if match.get("decision") == "answered" and match.get("answer"):
        return str(match["answer"])
    if match.get("decision") == "suggested" and match.get("choices"):
        lines = "\n".join(f"{c['number']}. {c['question']}" for c in match["choices"])
        return say(
            language,
            f"您是想问以下哪个问题？请回复序号：\n{lines}\n都不是请回复「都不是」。",
            f"Did you mean one of these? Reply with its number:\n{lines}\n"
            'Reply "none" if none fits.',
        )
    return None


async def answer_from_kb(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> tuple[bool, list[EventType]]:
    """Ask the knowledge base; (whether the customer got an answer or choices, events)."""
    language = language_of(tracker)
    text = tracker.latest_message.get("text") or ""
    try:
        match = await DeskClient().kb_match(tracker.sender_id, text, language)
    except DeskError:
        return True, desk_down(dispatcher, language)
    reply = kb_reply(language, match)
    if reply is None:
        return False, []
    dispatcher.utter_message(text=reply)
    return True, [SlotSet("kb_hit", match.get("key"))]


class ActionAnswerFaq(Action):
    """A question for the knowledge base: answer, offer the closest three questions, or
    say so and offer a person."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        helped, events = await answer_from_kb(dispatcher, tracker)
        if helped:
            return events
        dispatcher.utter_message(
            text=say(
                language_of(tracker),
                "抱歉，这个问题我暂时没有确切的答案，已记录下来供我们完善知识库。"
                "如需人工客服解答，请回复「转人工」。",
                "Sorry, I do not have a reliable answer to that yet; I have noted it so we can "
                'add one. To ask a person, send "talk to a person".',
            )
        )
        return []


def ticket_reply(language: str, ticket: dict[str, Any]) -> str:
    return say(
        language,
        f"已为您登记工单，工单号 {ticket['number']}，优先级 {ticket['priority']}。"
        f"我们会在 {ticket['first_response_due_display']} 前首次答复您。"
        f"您可随时发送「查询工单 {ticket['number']}」了解进度。",
        f"Your ticket {ticket['number']} is open with priority {ticket['priority']}. "
        f"We will respond by {ticket['first_response_due_display']}. "
        f'Send "check ticket {ticket["number"]}" any time for its status.',
    )


async def join_queue(client: DeskClient, tracker: Tracker, number: str, reason: str) -> str:
    """Queue the conversation for a person as well; the sentence saying so, or ""."""
    try:
        handoff = await client.request_handoff(tracker.sender_id, number, reason)
    except DeskError:
        return ""
    if not handoff.get("queued"):
        return ""
    ahead = handoff["position"] - 1
    return say(
        language_of(tracker),
        f"同时已为您转接人工客服，您前面还有 {ahead} 位客户。",
        f" You are also being connected to an agent ({ahead} ahead of you).",
    )


class ActionOpenTicket(Action):
    """Opens a complaint, suggestion or inquiry collected by ``ticket_form``."""

    def name(self) -> str:
        return "action_open_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        category = tracker.get_slot("ticket_category") or "inquiry"
        details = tracker.get_slot("ticket_details") or tracker.latest_message.get("text") or ""
        reset: list[EventType] = [SlotSet("ticket_details", None), SlotSet("ticket_category", None)]
        client = DeskClient()
        try:
            ticket = await client.open_ticket(
                tracker.sender_id, category, details, idempotency_key(tracker, "ticket")
            )
        except DeskError:
            return desk_down(dispatcher, language) + reset
        # A VIP who raises an issue is served by a person as well.
        note = await join_queue(client, tracker, ticket["number"], "vip") if is_vip(tracker) else ""
        dispatcher.utter_message(text=ticket_reply(language, ticket) + note)
        return reset


class ActionReportIncident(Action):
    """Card lost or stolen, fraud, account compromised: a P1 ticket at once."""

    def name(self) -> str:
        return "action_report_incident"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        subcategory = INCIDENT_BY_INTENT.get(intent, "other")
        client = DeskClient()
        try:
            ticket = await client.open_ticket(
                tracker.sender_id,
                "incident",
                tracker.latest_message.get("text") or "",
                idempotency_key(tracker, "incident"),
                subcategory=subcategory,
            )
        except DeskError:
            return desk_down(dispatcher, language)
        advice = {
            "card_lost": say(
                language,
                "为防止盗刷，您也可以立即在手机银行「卡片管理」中临时冻结该卡。",
                "To stop misuse, you can also freeze the card now under Card Management in the app.",
            ),
            "fraud": say(
                language,
                "请不要再向对方转账，并保留聊天记录和转账凭证；如已被骗请同时拨打 110 报警。",
                "Do not send the other party any more money and keep all records; "
                "if you were defrauded, please also report it to the police (110).",
            ),
            "account_compromised": say(
                language,
                "请立即修改登录密码，切勿向任何人透露验证码。",
                "Please change your login password now and never share verification codes.",
            ),
        }.get(subcategory, "")
        queue_note = await join_queue(client, tracker, ticket["number"], "p1")
        dispatcher.utter_message(
            text=say(
                language,
                f"已为您登记紧急工单，工单号 {ticket['number']}（优先级 P1）。"
                f"专人将在 {ticket['resolution_due_display']} 前为您处理完毕。{advice}{queue_note}",
                f"I have opened an urgent ticket for you: {ticket['number']} (priority P1). "
                f"A specialist will resolve it by {ticket['resolution_due_display']}. {advice}{queue_note}",
            )
        )
        return []


def handoff_text(language: str, ticket: dict[str, Any], handoff: dict[str, Any]) -> str:
    """Where the customer stands: their place in the queue, or honestly that nobody is on shift."""
    if handoff.get("queued"):
        return say(
            language,
            f"正在为您转接人工客服，您前面还有 {handoff['position'] - 1} 位客户，"
            f"预计等待约 {handoff['wait_minutes']} 分钟。工单号 {ticket['number']}。",
            f"Connecting you to an agent. There are {handoff['position'] - 1} customers ahead of you; "
            f"the expected wait is about {handoff['wait_minutes']} minutes. Your ticket is {ticket['number']}.",
        )
    return say(
        language,
        f"目前没有人工坐席在线。已为您登记工单 {ticket['number']}，"
        f"客服人员将在 {ticket['first_response_due_display']} 前联系您。",
        f"No agent is on shift right now. I have opened ticket {ticket['number']}; "
        f"a member of staff will contact you by {ticket['first_response_due_display']}.",
    )


INTRO = {
    "anger": (
        "非常抱歉给您带来了不好的体验，我马上请人工客服为您处理。",
        "I am very sorry for the trouble. I am getting a person to help you right away.",
    ),
    "distress": (
        "听起来您现在很不容易，我马上请人工客服和您联系。如有人身危险，请立即拨打 110 或 120。",
        "I am sorry you are going through this. I am getting a person for you now. "
        "If anyone is in danger, please call 110 or 120 immediately.",
    ),
    "fallback": (
        "抱歉，我还是没能理解您的问题，我为您转接人工客服。",
        "Sorry, I still could not understand. Let me get a person to help you.",
    ),
    "vip": ("尊敬的客户，我为您转接专属客服。", "Let me connect you with your dedicated agent."),
}


async def hand_to_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str
) -> list[EventType]:
    """Record the request for a person as a ticket, join the queue when anyone is on
    shift, and say honestly what happens next."""
    language = language_of(tracker)
    metadata = metadata_of(tracker)
    words = str(metadata.get("text") or tracker.latest_message.get("text") or "")
    client = DeskClient()
    try:
        ticket = await client.open_ticket(
            tracker.sender_id,
            "inquiry",
            words,
            idempotency_key(tracker, "human"),
            subcategory="human_request" if reason == "customer_request" else reason,
        )
    except DeskError:
        return desk_down(dispatcher, language)
    try:
        handoff = await client.request_handoff(tracker.sender_id, ticket["number"], reason)
    except DeskError:
        handoff = {"queued": False}
    zh, en = INTRO.get(reason, ("", ""))
    intro = say(language, zh, en + " " if en else "")
    dispatcher.utter_message(text=intro + handoff_text(language, ticket, handoff))
    return []


class ActionRequestHuman(Action):
    """The customer asked for a person, or the desk saw anger or distress in their words
    (it then sends this intent with the reason in the metadata)."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reason = metadata_of(tracker).get("handoff_reason")
        if reason not in ("anger", "distress"):
            reason = "vip" if is_vip(tracker) else "customer_request"
        return await hand_to_person(dispatcher, tracker, reason)


NOT_UNDERSTOOD = ("nlu_fallback", "out_of_scope")


def fallbacks_in_a_row(tracker: Tracker) -> int:
    """How many of the customer's latest messages in a row the assistant did not
    understand and the knowledge base could not answer either."""
    count = 0
    helped = False
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == "kb_hit" and event.get("value"):
            helped = True
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in NOT_UNDERSTOOD or helped:
            break
        count += 1
    return count


class ActionHandleFallback(Action):
    """Not understood, or out of scope: the knowledge base may still know (entries added
    since training); otherwise ask to rephrase (or say what we can do), and the second
    time in a row (the first, for a VIP) hand the conversation to a person rather than
    go round in circles."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        helped, events = await answer_from_kb(dispatcher, tracker)
        if helped:
            return events
        vip = is_vip(tracker)
        if fallbacks_in_a_row(tracker) >= (1 if vip else 2):
            return await hand_to_person(dispatcher, tracker, "vip" if vip else "fallback")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        out_of_scope = intent == "out_of_scope"
        dispatcher.utter_message(response="utter_out_of_scope" if out_of_scope else "utter_default")
        return []


class ActionTicketStatus(Action):
    """Tells the owner of a ticket where it stands; nobody else learns anything."""

    def name(self) -> str:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        number = next(tracker.get_latest_entity_values("ticket_number"), None)
        if not number:
            found = TICKET_NUMBER.search(tracker.latest_message.get("text") or "")
            number = found.group(1) if found else None
        if not number:
            dispatcher.utter_message(
                text=say(
                    language,
                    "请告诉我工单号，例如「查询工单 AX26112800001」。",
                    'Please tell me the ticket number, for example "check ticket AX26112800001".',
                )
            )
            return []
        number = number.upper()
        client = DeskClient()
        try:
            ticket = await client.ticket_status(tracker.sender_id, number)
        except IdentityRequired:
            try:
                said = await client.start_identity_check(tracker.sender_id, number)
            except DeskError:
                return desk_down(dispatcher, language)
            dispatcher.utter_message(text=say(language, said["zh"], said["en"]))
            return [SlotSet("ticket_number", None)]
        except TicketNotFound as missing:  # the desk says it, in both languages
            dispatcher.utter_message(text=say(language, missing.zh, missing.en))
            return [SlotSet("ticket_number", None)]
        except DeskError:
            return desk_down(dispatcher, language)
        dispatcher.utter_message(
            text=say(language, ticket["summary"]["zh"], ticket["summary"]["en"])
        )
        return [SlotSet("ticket_number", None)]
