"""The figures as a table, for CSV and XLSX downloads (bot.api.table_export)."""

from __future__ import annotations

from bot.sla.figures import Figures, Group

HEADER = (
    "dimension",
    "value",
    "tickets",
    "first_response_avg_minutes",
    "handling_avg_hours",
    "breach_rate",
    "p1_within_4h_rate",
)


def rows(figures: Figures) -> list[list[str | int | float | None]]:
    def line(dimension: str, value: str, g: Group) -> list[str | int | float | None]:
        return [
            dimension,
            value,
            g.tickets,
            g.first_response_avg_minutes,
            g.handling_avg_hours,
            g.breach_rate,
            g.p1_within_4h_rate,
        ]

    table = [line("overall", "all", figures.overall)]
    for dimension, groups in (
        ("priority", figures.by_priority),
        ("channel", figures.by_channel),
        ("team", figures.by_team),
    ):
        table += [line(dimension, key, group) for key, group in groups.items()]
    f = figures.followup
    table += [
        ["followup", "tasks_due", f.tasks_due, None, None, None, None],
        ["followup", "coverage", f.coverage, None, None, None, None],
        ["followup", "csat_avg", f.csat_avg, None, None, None, None],
        ["followup", "csat_satisfied_rate", f.csat_satisfied_rate, None, None, None, None],
    ]
    return table
