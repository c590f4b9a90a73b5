"""Custom actions: language detection, FAQ answers, tickets and their status."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.desk_client import DeskClient, DeskError

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


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        selectors = tracker.latest_message.get("response_selector") or {}
        selector = selectors.get("faq") or selectors.get("default") or {}
        response_key = (selector.get("response") or {}).get("intent_response_key") or ""
        key = response_key.split("/", 1)[-1]
        try:
            answer = await DeskClient().faq_answer(key, language) if key else None
        except DeskError:
            return desk_down(dispatcher, language)
        if not answer:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(text=answer)
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
        try:
            ticket = await DeskClient().open_ticket(
                tracker.sender_id, category, details, idempotency_key(tracker, "ticket")
            )
        except DeskError:
            return desk_down(dispatcher, language) + reset
        dispatcher.utter_message(text=ticket_reply(language, ticket))
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
        try:
            handoff = await client.request_handoff(tracker.sender_id, ticket["number"], "p1")
        except DeskError:
            handoff = {"queued": False}
        queue_note = ""
        if handoff.get("queued"):
            queue_note = say(
                language,
                f"同时已为您转接人工客服，您前面还有 {handoff['position'] - 1} 位客户。",
                f" You are also being connected to an agent ({handoff['position'] - 1} ahead of you).",
            )
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


class ActionRequestHuman(Action):
    """Records the request for a person as a ticket and says honestly when they will call."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        client = DeskClient()
        try:
            ticket = await client.open_ticket(
                tracker.sender_id,
                "inquiry",
                tracker.latest_message.get("text") or "",
                idempotency_key(tracker, "human"),
                subcategory="human_request",
            )
        except DeskError:
            return desk_down(dispatcher, language)
        try:
            handoff = await client.request_handoff(
                tracker.sender_id, ticket["number"], "customer_request"
            )
        except DeskError:
            handoff = {"queued": False}
        dispatcher.utter_message(text=handoff_text(language, ticket, handoff))
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
        try:
            ticket = await DeskClient().ticket_status(tracker.sender_id, number)
        except DeskError:
            return desk_down(dispatcher, language)
        if ticket is None:
            dispatcher.utter_message(
                text=say(
                    language,
                    f"没有找到您名下的工单 {number}，请核对工单号。",
                    f"I could not find ticket {number} among your tickets. Please check the number.",
                )
            )
            return [SlotSet("ticket_number", None)]
        label = ticket["status_label"][language]
        dispatcher.utter_message(
            text=say(
                language,
                f"工单 {number}（{ticket['category_label']['zh']}，优先级 {ticket['priority']}）"
                f"当前状态：{label}。预计在 {ticket['resolution_due_display']} 前处理完毕。",
                f"Ticket {number} ({ticket['category_label']['en']}, priority {ticket['priority']}) "
                f"is {label}. It is due to be resolved by {ticket['resolution_due_display']}.",
            )
        )
        return [SlotSet("ticket_number", None)]
