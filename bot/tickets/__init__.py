"""Tickets: categories, priority rules, SLA deadlines and quotable numbers."""
