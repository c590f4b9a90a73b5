"""One place that masks personal data before anything is stored or logged.

Masked: bank card numbers (13-19 digits passing the Luhn check, last four kept),
18-digit resident ID numbers (checksum-checked), mainland mobile numbers, long digit
runs that look like account numbers, and card security codes (CVV) and PINs or
passwords given after their name (never kept at all).
"""

from __future__ import annotations

import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# Digit runs may be split by spaces or dashes (as people type card numbers).
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){11,22}[0-9Xx]?(?![0-9A-Za-z])")
MOBILE_NUMBER = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)")
# "CVV 123", "安全码是456", "PIN: 1234", "取款密码 123456", "password is 8642"
_SECRET = re.compile(
    r"(?i)(?<![a-z])(cvv2?|cvc2?|cvn2?|security code|安全码|校验码|卡背后三位|"
    r"pin(?: code)?|password|passcode|取款密码|交易密码|支付密码|查询密码|密码)"
    r"(\s*(?:是|为|:|：|is|=)?\s*)\d{3,8}(?!\d)"
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def resident_id_ok(value: str) -> bool:
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def _mask_run(match: re.Match[str]) -> str:
    raw = match.group(0)
    compact = re.sub(r"[ -]", "", raw)
    if len(compact) == 18 and resident_id_ok(compact):
        return "[身份证/ID]"
    if compact.isdigit() and 13 <= len(compact) <= 19 and luhn_ok(compact):
        return f"[卡号/card ****{compact[-4:]}]"
    if compact.isdigit() and len(compact) >= 12:
        return "[账号/account]"
    return raw


def redact(text: str) -> str:
    """Return ``text`` with card, ID, mobile and account numbers masked."""
    if not text:
        return text
    masked = _SECRET.sub(r"\1\2[已隐藏/hidden]", text)
    masked = _DIGIT_RUN.sub(_mask_run, masked)
    return MOBILE_NUMBER.sub(
        lambda m: "[手机号/phone ****" + re.sub(r"\D", "", m.group(0))[-4:] + "]", masked
    )
