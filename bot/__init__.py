"""Anxin service desk: inbox/outbox, conversations, tickets, APIs and web chat."""
