"""SLA clocks: calendars, policies, the escalation ladder and its durable scanner."""
