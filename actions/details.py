"""Whether a customer's message already says what happened, and whether they are
calling a complaint off: the ticket form asks only for what is missing, and 「算了」
is not filed as a complaint.

Word lists, not a model: what makes the assistant skip a question must be predictable.
A message carries details when, with the words that only name the request (「我要投诉」,
"I have a suggestion") and the vague ones (「你们的服务」, "your service") taken out, at
least four Chinese characters or two English words are left.
"""

from __future__ import annotations

import re

_ZH_FILLER = re.compile(
    "|".join(
        sorted(
            """我要投诉 我想投诉 投诉一下 投诉 举报 反映一个问题 反映 我有个建议 我有一个建议
            我想提个建议 提个建议 提个意见 提点意见 提点建议 改进意见 意见 建议 我想咨询
            我要咨询 咨询一下 咨询 我想问一下 想问一下 我想问 请问 我想了解一下 想了解一下
            了解一下 我想了解 问题 业务 事情 一些 一个 一下 一点 你们 您们 银行 服务 态度
            非常 特别 真的 实在 太 很 不满意 不满 满意 不好 糟糕 差劲 差 我要 我想 我有 有个
            想要 给你们 对你们 关于 我 的 了 吧 啊 呢 吗""".split(),
            key=len,
            reverse=True,
        )
    )
)
_EN_FILLER = set(
    """i i'd id i'm im me my we our you your yours a an the to of for on in about with and or
    is am are was be this that it here some something please want would like need have has
    make made file filed lodge raise give make complaint complain complaints complaining
    suggestion suggest suggestions idea ideas feedback inquiry enquiry question questions
    ask asking query service services bank very really so not happy unhappy bad poor
    terrible awful just one thing things quick few""".split()
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z']*|\d+")

_CANCEL = re.compile(
    r"算了|不用了|不要了|不需要了|不投诉了|不想投诉|不提了|不问了|取消|没事了|没事儿|改主意|先不|"
    r"never ?mind|forget (?:it|about it)|cancel|changed my mind|don'?t bother|no need|"
    r"not anymore|leave it",
    re.IGNORECASE,
)


def substance(text: str) -> tuple[int, int]:
    """(Chinese characters, English words) left once the filler is taken out."""
    chinese = len(_CJK.findall(_ZH_FILLER.sub("", text)))
    words = [w for w in _WORD.findall(text.lower()) if w not in _EN_FILLER]
    return chinese, len(words)


def has_details(text: str) -> bool:
    """Whether ``text`` says what happened, beyond naming the kind of request."""
    chinese, words = substance(text)
    return chinese >= 4 or words >= 2


def is_cancel(text: str) -> bool:
    """A short message calling the request off (「算了」, "never mind"); a longer one
    that also says what happened is not."""
    return _CANCEL.search(text) is not None and not has_details(_CANCEL.sub("", text))
