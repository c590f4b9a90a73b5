"""Custom actions: language detection, FAQ answers, tickets and their status."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction, ValidationAction
from rasa_sdk.types import DomainDict

from actions import texts
from actions.desk_client import (
    NOT_QUEUED,
    DeskClient,
    DeskError,
    Handoff,
    IdentityRequired,
    TicketNotFound,
)
from actions.details import has_details, is_cancel

TICKET_NUMBER = re.compile(r"\b(AX\d{11})\b", re.IGNORECASE)

INCIDENT_BY_INTENT = {
    "report_card_lost": "card_lost",
    "report_fraud": "fraud",
    "report_account_compromised": "account_compromised",
}


def language_of(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return "en" if value == "en" else "zh"


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
    dispatcher.utter_message(text=texts.DESK_DOWN.to(language))
    return []


class ValidateSlotMappings(ValidationAction):
    """Fills the ``language`` slot after every customer message, so replies follow it."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The service desk detects the language (bot/core/lang.py) and sends it as metadata."""
        metadata = tracker.latest_message.get("metadata") or {}
        hinted = metadata.get("language")
        return {"language": hinted if hinted in ("zh", "en") else language_of(tracker)}


class ValidateTicketForm(FormValidationAction):
    """The ticket form asks only for what is missing: a request that already says what
    happened opens the ticket at once, and 「算了」/"never mind" calls it off."""

    def name(self) -> str:
        return "validate_ticket_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        if tracker.active_loop_name == "ticket_form" and is_cancel(text):
            dispatcher.utter_message(text=texts.TICKET_CANCELLED.to(language_of(tracker)))
            return [
                SlotSet("ticket_details", None),
                SlotSet("ticket_category", None),
                SlotSet("requested_slot", None),
                ActiveLoop(None),
            ]
        return await super().run(dispatcher, tracker, domain)

    def validate_ticket_details(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """The words that start the request count only when they say what happened;
        once asked, whatever the customer answers is the description."""
        text = str(slot_value or "").strip()
        asked = tracker.get_slot("requested_slot") == "ticket_details"
        return {"ticket_details": text if text and (asked or has_details(text)) else None}


async def answer_from_kb(
    dispatcher: CollectingDispatcher, tracker: Tracker, choices: bool = True
) -> tuple[bool, list[EventType]]:
    """Ask the knowledge base; (whether the customer got an answer or choices, events).
    Without ``choices`` only an answer counts (a question understood to be outside
    banking is not offered "did you mean" banking questions)."""
    language = language_of(tracker)
    text = tracker.latest_message.get("text") or ""
    try:
        match = await DeskClient().kb_match(tracker.sender_id, text, language)
    except DeskError:
        return True, desk_down(dispatcher, language)
    reply = texts.kb_reply(match) if choices or match.decision == "answered" else None
    if reply is None:
        return False, []
    warning = texts.CARD_NUMBER_SENT.to(language) if texts.CARD_MASK in text else ""
    dispatcher.utter_message(text=warning + reply.to(language))
    return True, [SlotSet("kb_hit", match.key)]


class ActionAnswerFaq(Action):
    """A question for the knowledge base: answer, offer the closest three questions, or
    say so and offer a person."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        helped, events = await answer_from_kb(dispatcher, tracker)
        if helped or await added_to_ticket(dispatcher, tracker):
            return events
        dispatcher.utter_message(text=texts.NO_RELIABLE_ANSWER.to(language_of(tracker)))
        return []


async def added_to_ticket(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Words the assistant cannot place, while the conversation has a ticket opened in
    the last day, are more about that need: they go onto it, and the customer hears
    where it stands (「大概什么时候答复」, "the card is still with me")."""
    language = language_of(tracker)
    text = str(metadata_of(tracker).get("text") or tracker.latest_message.get("text") or "")
    try:
        ticket = await DeskClient().add_to_ticket(tracker.sender_id, text)
    except DeskError:
        return False
    if ticket is None:
        return False
    dispatcher.utter_message(
        text=texts.added_to_ticket(ticket.summary_zh, ticket.summary_en).to(language)
    )
    return True


async def join_queue(client: DeskClient, tracker: Tracker, number: str, reason: str) -> Handoff:
    """Queue the conversation for a person as well (not queued when the desk fails)."""
    try:
        return await client.request_handoff(tracker.sender_id, number, reason)
    except DeskError:
        return NOT_QUEUED


class ActionOpenTicket(Action):
    """Opens a complaint, suggestion or inquiry collected by ``ticket_form``."""

    def name(self) -> str:
        return "action_open_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        category = tracker.get_slot("ticket_category") or "inquiry"
        details = tracker.get_slot("ticket_details")
        reset: list[EventType] = [SlotSet("ticket_details", None), SlotSet("ticket_category", None)]
        if not details:  # called off (validate_ticket_form said so)
            return reset
        client = DeskClient()
        try:
            ticket = await client.open_ticket(
                tracker.sender_id,
                category,
                details,
                idempotency_key(tracker, "ticket"),
                reuse="same_need",
            )
        except DeskError:
            return desk_down(dispatcher, language) + reset
        # A VIP who raises an issue is served by a person as well.
        said = texts.ticket_opened(ticket).to(language)
        if is_vip(tracker):
            queued = texts.also_queued(await join_queue(client, tracker, ticket.number, "vip"))
            said += queued.to(language) if queued else ""
        dispatcher.utter_message(text=said)
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
                reuse="same_need",
            )
        except DeskError:
            return desk_down(dispatcher, language)
        handoff = await join_queue(client, tracker, ticket.number, "p1")
        advice = texts.INCIDENT_ADVICE.get(subcategory)
        said = texts.incident_opened(ticket, advice, texts.also_queued(handoff))
        dispatcher.utter_message(text=said.to(language) + texts.callback_ask(handoff).to(language))
        return []


async def hand_to_person(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str
) -> list[EventType]:
    """Record the request for a person on the conversation's open ticket, or a new one,
    join the queue when anyone is on shift, and say honestly what happens next. A threat
    to go to the regulator, the media or a court is a P1 complaint (the rules say so)."""
    language = language_of(tracker)
    metadata = metadata_of(tracker)
    words = str(metadata.get("text") or tracker.latest_message.get("text") or "")
    escalation = reason == "escalation"
    client = DeskClient()
    try:
        ticket = await client.open_ticket(
            tracker.sender_id,
            "complaint" if escalation else "inquiry",
            words,
            idempotency_key(tracker, "human"),
            subcategory="escalation_risk"
            if escalation
            else "human_request"
            if reason == "customer_request"
            else reason,
            reuse="conversation",
        )
    except DeskError:
        return desk_down(dispatcher, language)
    handoff = await join_queue(client, tracker, ticket.number, reason)
    intro = texts.HANDOFF_INTRO.get(reason)
    said = texts.handed_over(ticket, handoff).to(language)
    dispatcher.utter_message(text=(intro.to(language) if intro else "") + said)
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
        if reason not in ("anger", "distress", "escalation"):
            reason = "vip" if is_vip(tracker) else "customer_request"
        return await hand_to_person(dispatcher, tracker, reason)


NOT_UNDERSTOOD = ("nlu_fallback",)


def fallbacks_in_a_row(tracker: Tracker) -> int:
    """How many of the customer's latest messages in a row the assistant did not
    understand and the knowledge base could not answer either. A question understood
    to be outside what the bank answers (the weather) is not a misunderstanding."""
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
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        out_of_scope = intent == "out_of_scope"
        helped, events = await answer_from_kb(dispatcher, tracker, choices=not out_of_scope)
        if helped:
            return events
        if not out_of_scope and await added_to_ticket(dispatcher, tracker):
            return []
        vip = is_vip(tracker)
        if fallbacks_in_a_row(tracker) >= (1 if vip else 2):
            return await hand_to_person(dispatcher, tracker, "vip" if vip else "fallback")
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
        client = DeskClient()
        if not number:
            return await self.list_own(dispatcher, client, tracker, language)
        number = number.upper()
        try:
            ticket = await client.ticket_status(tracker.sender_id, number)
        except IdentityRequired:
            try:
                said = await client.start_identity_check(tracker.sender_id, number)
            except DeskError:
                return desk_down(dispatcher, language)
            dispatcher.utter_message(text=said.en if language == "en" else said.zh)
            return [SlotSet("ticket_number", None)]
        except TicketNotFound as missing:  # the desk says it, in both languages
            dispatcher.utter_message(text=missing.en if language == "en" else missing.zh)
            return [SlotSet("ticket_number", None)]
        except DeskError:
            return desk_down(dispatcher, language)
        dispatcher.utter_message(text=ticket.summary_en if language == "en" else ticket.summary_zh)
        return [SlotSet("ticket_number", None)]

    @staticmethod
    async def list_own(
        dispatcher: CollectingDispatcher, client: DeskClient, tracker: Tracker, language: str
    ) -> list[EventType]:
        """No number given: the customer's own open tickets (those this conversation
        opened, or while verified their customer's), else how to ask with a number."""
        try:
            tickets = await client.open_tickets(tracker.sender_id)
        except DeskError:
            return desk_down(dispatcher, language)
        if not tickets:
            dispatcher.utter_message(text=texts.ASK_TICKET_NUMBER.to(language))
            return []
        lines = [t.summary_en if language == "en" else t.summary_zh for t in tickets]
        dispatcher.utter_message(text="\n".join(lines))
        return []
