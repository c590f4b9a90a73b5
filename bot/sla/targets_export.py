"""The targets report and the tickets behind a figure as tables with Chinese headers
(CSV and XLSX downloads, the weekly e-mail)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.sla.targets import TicketRow
from bot.tickets.policy import CATEGORY_LABELS

NAMES = {
    "answered": ("24小时内响应率", "answered within {hours:g} h"),
    "handling": ("平均处理时长（小时）", "average handling time (h)"),
    "major": ("重大问题4小时内解决率", "major issues within {hours:g} h"),
    "revisit": ("回访覆盖率", "回访 coverage"),
    "satisfaction": ("满意度", "satisfaction"),
    "repeat": ("重复来电率", "repeat contacts"),
    "fcr": ("一次解决率", "first-contact resolution"),
    "containment": ("机器人独立解决率", "contained by the assistant"),
}
STATUS = {"green": "达标", "red": "未达标", None: "无数据"}
OUTCOME = {"met": "达标", "missed": "未达标", "pending": "未到期"}
CHANNELS = {
    "webchat": "网页",
    "wechat": "微信公众号",
    "wecom": "企业微信客服",
    "sms": "短信",
    "telegram": "Telegram",
}

REPORT_HEADER = ("指标", "目标", "实际", "达标数", "未达标数", "未到期数", "状态")
TREND_HEADER = (
    "时段",
    "新建工单",
    "24小时内响应率",
    "重大问题4小时内解决率",
    "平均处理时长（小时）",
)
TICKET_HEADER = (
    "工单号",
    "优先级",
    "类别",
    "渠道",
    "团队",
    "处理人",
    "创建时间",
    "首次人工响应",
    "解决时间",
    "重开次数",
)


def _name(key: str, figure: dict[str, Any]) -> str:
    zh, _ = NAMES[key]
    return zh.replace("24", f"{figure.get('hours', 24):g}") if key == "answered" else zh


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def report_rows(report: dict[str, Any]) -> list[list[Any]]:
    """One row per target and per figure beside them, then the trend."""
    rows: list[list[Any]] = []
    for key, figure in report["targets"].items():
        if key == "handling":
            goal = f"≤ {figure['goal']:g}"
            value = "" if figure["value"] is None else figure["value"]
        else:
            goal, value = f"≥ {_percent(figure['goal'])}", _percent(figure["value"])
        rows.append(
            [
                _name(key, figure),
                goal,
                value,
                figure["met"],
                figure["missed"],
                figure["pending"],
                STATUS[figure["status"]],
            ]
        )
    satisfaction = report["targets"]["satisfaction"]
    rows.append(["回访满意率", "", _percent(satisfaction["revisit_satisfied"]), "", "", "", ""])
    beside = report["beside"]
    for key in ("repeat", "fcr"):
        figure = beside[key]
        rows.append(
            [NAMES[key][0], "", _percent(figure["value"]), figure["met"], figure["missed"], "", ""]
        )
    contained = beside["containment"]
    rows.append(
        [
            NAMES["containment"][0],
            "",
            _percent(contained["value"]),
            contained["contained"],
            "",
            "",
            "",
        ]
    )
    rows.append(["新建工单", "", beside["tickets"], "", "", "", ""])
    for category, count in beside["by_category"].items():
        rows.append(
            [
                f"类别：{CATEGORY_LABELS.get(category, {}).get('zh', category)}",
                "",
                count,
                "",
                "",
                "",
                "",
            ]
        )
    complaints = beside["complaints"]
    rows.append(["投诉量", "", complaints["total"], "", "", "", ""])
    for channel, count in complaints["by_channel"].items():
        rows.append(
            [f"投诉量（渠道：{CHANNELS.get(channel, channel)}）", "", count, "", "", "", ""]
        )
    for team, count in complaints["by_team"].items():
        rows.append([f"投诉量（团队：{team or '未分配'}）", "", count, "", "", "", ""])
    rows.append([])
    rows.append(list(TREND_HEADER))
    for point in report["trend"]:
        rows.append(
            [
                point["label"],
                point["tickets"],
                _percent(point["answered"]),
                _percent(point["major"]),
                "" if point["handling_hours"] is None else point["handling_hours"],
            ]
        )
    return rows


def ticket_rows(tickets: list[TicketRow], zone: str) -> list[list[Any]]:
    tz = ZoneInfo(zone)

    def local(moment: Any) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    return [
        [
            t.number,
            t.priority,
            CATEGORY_LABELS.get(t.category, {}).get("zh", t.category),
            CHANNELS.get(t.channel, t.channel),
            t.team or "未分配",
            t.assignee or "",
            local(t.created_at),
            local(t.first_responded_at),
            local(t.resolved_at),
            t.reopen_count,
        ]
        for t in tickets
    ]
