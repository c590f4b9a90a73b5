"""A ticket's query code: the customer's other way to ask about a ticket from another
channel when no SMS one-time code can be sent.

The code is made when the assistant opens the ticket. Only its keyed hash is kept for
checking; the code itself is sealed in the contact vault until the reply that tells it
is written. That reply leaves the action server with a marker instead of the code
(``⟦QC:AX…⟧``: neither Rasa nor its tracker store ever sees the code); the worker
stores the reply with the code masked and gives the outbox the sealed text to send,
then erases the sealed code: it is told once.
"""

from __future__ import annotations

import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.contact_vault import ContactVault
from bot.core.models import Ticket

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed back
LENGTH = 8
MARK = re.compile(r"⟦QC:(AX\d{11})⟧")
MASK = "[查询码/query code]"
# Eight letters and digits with at least one of each, on its own: a code typed back.
IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]{0,7}\d)(?=[A-Za-z0-9]{0,7}[A-Za-z])[A-Za-z0-9]{8}(?![A-Za-z0-9])"
)


def mark(number: str) -> str:
    """What the action server writes where the code goes."""
    return f"⟦QC:{number}⟧"


def _digest(vault: ContactVault, number: str, code: str) -> str:
    return vault.pseudonym(f"query-code:{number}:{code.upper()}")


def issue(ticket: Ticket, vault: ContactVault) -> None:
    """Give a numbered ticket its code (hash to check it, sealed to tell it once)."""
    assert ticket.number is not None
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    while not (any(c.isdigit() for c in code) and any(c.isalpha() for c in code)):
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    ticket.query_code_hash = _digest(vault, ticket.number, code)
    ticket.query_code_sealed = vault.seal(code)


def matches(ticket: Ticket, vault: ContactVault, code: str) -> bool:
    if ticket.number is None or ticket.query_code_hash is None:
        return False
    return hmac.compare_digest(ticket.query_code_hash, _digest(vault, ticket.number, code))


def fill(
    session: Session, conversation_id: int, text: str, vault: ContactVault | None
) -> tuple[str, str | None]:
    """A reply with markers: (the text to store, code masked; the sealed text the outbox
    sends, or None when there is nothing to tell). Only the conversation that opened a
    ticket is told its code, and only once."""
    found = MARK.findall(text)
    if not found:
        return text, None
    told = text
    for number in found:
        ticket = session.scalar(
            select(Ticket)
            .where(Ticket.number == number, Ticket.conversation_id == conversation_id)
            .with_for_update()
        )
        code = None
        if ticket is not None and ticket.query_code_sealed and vault is not None:
            code = vault.open(ticket.query_code_sealed)
            ticket.query_code_sealed = None
        told = told.replace(mark(number), code or MASK)
    stored = MARK.sub(MASK, text)
    return stored, (vault.seal(told) if vault is not None and told != stored else None)
