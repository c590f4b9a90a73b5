"""Everything the custom actions say to a customer, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

from actions.desk_client import Handoff, KbMatch, OpenedTicket


@dataclass(frozen=True, slots=True)
class Said:
    zh: str
    en: str

    def to(self, language: str) -> str:
        return self.en if language == "en" else self.zh


DESK_DOWN = Said(
    "抱歉，系统暂时繁忙，您的消息已记录，我们会尽快处理。",
    "Sorry, our system is busy. Your message is recorded and we will follow up.",
)
NO_RELIABLE_ANSWER = Said(
    "抱歉，这个问题我暂时没有确切的答案，已记录下来供我们完善知识库。"
    "如需人工客服解答，请回复「转人工」。",
    "Sorry, I do not have a reliable answer to that yet; I have noted it so we can "
    'add one. To ask a person, send "talk to a person".',
)
CARD_NUMBER_SENT = Said(
    "为了您的安全，请不要在聊天中发送完整卡号、密码或验证码，已收到的卡号已自动遮盖。",
    "For your safety, please do not send full card numbers, passwords or codes in a chat; "
    "the card number you sent has been masked. ",
)
CARD_MASK = "[卡号/card"
ASK_TICKET_NUMBER = Said(
    "没有找到您在本次对话中登记的处理中工单。如有工单号，请发送「查询工单」加工单号，"
    "例如「查询工单 AX26112800001」。",
    'I found no open ticket from this chat. If you have a ticket number, send "check '
    'ticket" with it, for example "check ticket AX26112800001".',
)
TICKET_CANCELLED = Said(
    "好的，已取消，没有为您登记。如有其他需要，随时告诉我。",
    "All right, I have not filed anything. Tell me any time if you need something else.",
)
INCIDENT_ADVICE = {
    "card_lost": Said(
        "为防止盗刷，您也可以立即在手机银行「卡片管理」中临时冻结该卡。",
        "To stop misuse, you can also freeze the card now under Card Management in the app.",
    ),
    "fraud": Said(
        "请不要再向对方转账，并保留聊天记录和转账凭证；如已被骗请同时拨打 110 报警。",
        "Do not send the other party any more money and keep all records; "
        "if you were defrauded, please also report it to the police (110).",
    ),
    "account_compromised": Said(
        "请立即修改登录密码，切勿向任何人透露验证码。",
        "Please change your login password now and never share verification codes.",
    ),
}
HANDOFF_INTRO = {
    "anger": Said(
        "非常抱歉给您带来了不好的体验，我马上请人工客服为您处理。",
        "I am very sorry for the trouble. I am getting a person to help you right away. ",
    ),
    "distress": Said(
        "听起来您现在很不容易，我马上请人工客服和您联系。如有人身危险，请立即拨打 110 或 120。",
        "I am sorry you are going through this. I am getting a person for you now. "
        "If anyone is in danger, please call 110 or 120 immediately. ",
    ),
    "fallback": Said(
        "抱歉，我还是没能理解您的问题，我为您转接人工客服。",
        "Sorry, I still could not understand. Let me get a person to help you. ",
    ),
    "vip": Said(
        "尊敬的客户，我为您转接专属客服。", "Let me connect you with your dedicated agent. "
    ),
    "escalation": Said(
        "非常理解您的心情，我们会认真对待您的问题。已将它升级为加急处理，并通知值班主管亲自跟进。",
        "I understand, and we take this seriously. I have made it urgent and told the "
        "supervisor on duty, who will follow it up personally. ",
    ),
}


def kb_reply(match: KbMatch) -> Said | None:
    """What to say for the knowledge base's decision, or None when it has no answer."""
    if match.decision == "answered" and match.answer:
        return Said(match.answer, match.answer)
    if match.decision == "suggested" and match.choices:
        lines = "\n".join(f"{c.number}. {c.question}" for c in match.choices)
        return Said(
            f"您是想问以下哪个问题？请回复序号：\n{lines}\n都不是请回复「都不是」。",
            f"Did you mean one of these? Reply with its number:\n{lines}\n"
            'Reply "none" if none fits.',
        )
    return None


def added_to_ticket(summary_zh: str, summary_en: str) -> Said:
    return Said(
        f"已将您说的补充到工单中，处理人员会一并查看。{summary_zh}",
        f"I have added what you said to your ticket for the person handling it. {summary_en}",
    )


def query_code_note(ticket: OpenedTicket) -> Said:
    """The query code (a marker the desk fills in and masks) for asking elsewhere."""
    if not ticket.query_code:
        return Said("", "")
    mark = f"⟦QC:{ticket.number}⟧"
    return Said(
        f"在其他渠道查询时请使用查询码 {mark}，请妥善保管。",
        f" To ask about it from another channel, use the query code {mark}; keep it safe.",
    )


def still_open(ticket: OpenedTicket) -> Said:
    """The customer asked again while their ticket is open: no second ticket."""
    return Said(
        f"您的工单 {ticket.number} 正在处理中（优先级 {ticket.priority}），"
        f"已将您刚才说的补充到工单里，不会重复登记。",
        f"Your ticket {ticket.number} is already being handled (priority {ticket.priority}); "
        "I have added what you just said to it rather than open another one. ",
    )


def ticket_opened(ticket: OpenedTicket) -> Said:
    if ticket.reused:
        again = still_open(ticket)
        return Said(
            again.zh + f"我们会在 {ticket.first_response_due_display} 前答复您。",
            again.en + f"We will respond by {ticket.first_response_due_display}.",
        )
    code = query_code_note(ticket)
    return Said(
        f"已为您登记工单，工单号 {ticket.number}，优先级 {ticket.priority}。"
        f"我们会在 {ticket.first_response_due_display} 前首次答复您。"
        f"您可随时发送「查询工单 {ticket.number}」了解进度。{code.zh}",
        f"Your ticket {ticket.number} is open with priority {ticket.priority}. "
        f"We will respond by {ticket.first_response_due_display}. "
        f'Send "check ticket {ticket.number}" any time for its status.{code.en}',
    )


def incident_opened(ticket: OpenedTicket, advice: Said | None, queue_note: Said | None) -> Said:
    tail_zh = (advice.zh if advice else "") + (queue_note.zh if queue_note else "")
    tail_en = (advice.en if advice else "") + (queue_note.en if queue_note else "")
    if ticket.reused:
        again = still_open(ticket)
        return Said(again.zh + tail_zh, again.en + tail_en)
    code = query_code_note(ticket)
    tail_zh, tail_en = tail_zh + code.zh, tail_en + code.en
    return Said(
        f"已为您登记紧急工单，工单号 {ticket.number}（优先级 P1）。"
        f"专人将在 {ticket.resolution_due_display} 前为您处理完毕。{tail_zh}",
        f"I have opened an urgent ticket for you: {ticket.number} (priority P1). "
        f"A specialist will resolve it by {ticket.resolution_due_display}. {tail_en}",
    )


def also_queued(handoff: Handoff) -> Said | None:
    """The sentence saying the customer is queued for a person as well, if they are."""
    if not handoff.queued:
        return None
    ahead = handoff.position - 1
    return Said(
        f"同时已为您转接人工客服，您前面还有 {ahead} 位客户。",
        f" You are also being connected to an agent ({ahead} ahead of you).",
    )


def callback_ask(handoff: Handoff) -> Said:
    """The request for a call-back number, when the desk waits for one (an anonymous
    web-chat visitor with nobody on shift)."""
    if not handoff.callback_asked:
        return Said("", "")
    return Said(
        "网页对话关闭后我们将无法再联系到您：如需回电，请直接回复您的手机号码"
        "（仅用于本工单回电）；不需要请回复「不用了」。",
        " Once this page is closed we cannot reach you: if you would like a call back, "
        'reply with your mobile number (used for this call only), or "no thanks".',
    )


def handed_over(ticket: OpenedTicket, handoff: Handoff) -> Said:
    """Where the customer stands: their place in the queue, or honestly that nobody is
    on shift, when people are back, and (where the channel cannot reach them later) a
    request for a call-back number."""
    opened = (
        still_open(ticket)
        if ticket.reused
        else Said(f"已为您登记工单 {ticket.number}。", f"I have opened ticket {ticket.number}. ")
    )
    if handoff.queued:
        ahead = handoff.position - 1
        return Said(
            f"正在为您转接人工客服，您前面还有 {ahead} 位客户，"
            f"预计等待约 {handoff.wait_minutes} 分钟。工单号 {ticket.number}。",
            f"Connecting you to an agent. There are {ahead} customers ahead of you; "
            f"the expected wait is about {handoff.wait_minutes} minutes. "
            f"Your ticket is {ticket.number}.",
        )
    if handoff.back_at_display:
        absent = Said(
            f"现在没有人工客服值班，下一班于 {handoff.back_at_display} 开始。",
            f"No agent is on shift now; the next shift starts at {handoff.back_at_display}. ",
        )
    else:
        absent = Said("目前没有人工坐席在线。", "No agent is on shift right now. ")
    when = ticket.first_response_due_display
    promise = Said(
        f"客服人员将在 {when} 前联系您。", f"A member of staff will contact you by {when}."
    )
    code = Said("", "") if ticket.reused else query_code_note(ticket)
    ask = callback_ask(handoff)
    return Said(
        absent.zh + opened.zh + promise.zh + code.zh + ask.zh,
        absent.en + opened.en + promise.en + code.en + ask.en,
    )
