"""One place that masks personal data and secrets before anything is stored, logged or
sent to Rasa.

Masked, in Chinese and English phrasing:

- e-mail addresses;
- passwords, PINs and one-time / verification codes given after their name
  (「登录密码是 Abc@2024x」, "my PIN is 1234", 「验证码 654321」, "OTP: 123456");
- card security codes (CVV / CVC / CVN, 安全码) and a card's expiry date, after its
  name or right after a card number;
- bank card numbers (13-19 digits passing the Luhn check, last four kept), 18-digit
  resident ID numbers (check digit, birth date and region checked), IBANs, mainland
  mobile numbers, passports (Chinese E/G numbers, or any number after 护照 / passport),
  and account numbers: any long digit run, or a shorter one after 账号 / account.

Secrets are never kept at all; the checksums come from python-stdnum. A value after a
keyword is masked when it follows an explicit separator (是, 为, ``:``, ``=``) or holds
a digit or a symbol, so 「密码忘了怎么办」 and "my password is not working" stay as
written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import iban, luhn
from stdnum.cn import ric

HIDDEN = "[已隐藏/hidden]"
EMAIL_MASK = "[邮箱/email]"
ACCOUNT_MASK = "[账号/account]"
ID_MASK = "[身份证/ID]"
PASSPORT_MASK = "[护照/passport]"
EXPIRY_MASK = "[有效期/expiry]"

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9-])"
)
MOBILE_NUMBER = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)")
# Digit runs may be split by spaces or dashes (as people type card numbers).
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){11,22}[0-9Xx]?(?![0-9A-Za-z/／])")
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])"
)
# Chinese ordinary passports: E + 8 digits, E + letter + 7 digits, older G + 8 digits.
_CN_PASSPORT = re.compile(r"(?<![A-Za-z0-9])(?:[EG]\d{8}|E[A-HJ-NP-Z]\d{7})(?![A-Za-z0-9])")

# How a value follows its name: 「密码是」「密码：」 "password is", "PIN=".
_JOIN = r"(\s*(?:是|为|:|：|=|is|was)?\s*)"
_HARD_JOINS = ("是", "为", ":", "：", "=")
# A value is printable ASCII, not a mask we wrote, not ending in sentence punctuation.
_VALUE = r"((?!\[)[!-~]{2,63}[A-Za-z0-9@#$%^&*_+=~/\\|<>{}'\"`(-])(?=[.,;:!?)\]]*(?![!-~]))"

_WORD_START = r"(?<![A-Za-z])"
_WORD_END = r"(?![A-Za-z])"

_PASSWORD = re.compile(
    r"(?i)" + _WORD_START + r"("
    r"(?:登录|登陆|取款|交易|支付|查询|网银|手机银行|银行卡|卡|账户|开机)?(?:密码|口令)"
    r"|(?:login |online banking |card )?(?:password|passwd|pwd|passcode|pass code|pin(?: code| number)?)"
    r")" + _WORD_END + _JOIN + _VALUE
)
_CODE = re.compile(
    r"(?i)" + _WORD_START + r"("
    r"(?:短信|手机|动态|一次性)?(?:验证码|校验码|动态码|确认码|授权码)|动态密码|短信码"
    r"|otp|one[- ]time (?:pass)?code|one[- ]time password|verification code|"
    r"(?:sms|auth|authentication|security|confirmation|access) code"
    r")" + _WORD_END + _JOIN + r"([A-Za-z0-9]{4,8})(?![A-Za-z0-9])"
)
_CVV = re.compile(
    r"(?i)"
    + _WORD_START
    + r"(cvv2?|cvc2?|cvn2?|csc|安全码|卡背面?(?:的)?后?三位(?:数字?)?)"
    + _WORD_END
    + _JOIN
    + r"(\d{3,4})(?!\d)"
)
_MONTH_YEAR = r"(?:0?[1-9]|1[0-2])\s*[/／-]\s*(?:\d{4}|\d{2})(?!\d)|(?:20)?\d{2}\s*[/／年-]\s*(?:0?[1-9]|1[0-2])月?"
_EXPIRY = re.compile(
    r"(?i)" + _WORD_START + r"(有效期至?|到期日?|失效日期|expiry(?: date)?|expiration(?: date)?|"
    r"expires|exp\.?|valid (?:thru|through|until))" + _JOIN + r"(" + _MONTH_YEAR + r")"
)
_EXPIRY_AFTER_CARD = re.compile(
    r"(\[卡号/card \*{4}\d{4}\])([^0-9\[]{0,12}?)(" + _MONTH_YEAR + r")"
)
_PASSPORT = re.compile(
    r"(?i)"
    + _WORD_START
    + r"(护照(?:号码?)?|passport(?: number| no\.?)?)"
    + _WORD_END
    + _JOIN
    + r"([A-Za-z]{0,2}\d{6,9})(?![A-Za-z0-9])"
)
_ACCOUNT = re.compile(
    r"(?i)" + _WORD_START + r"(账号|帐号|账户|帐户|户号|证券账户|资金账号|"
    r"account(?: number| no\.?)?|acct(?: no\.?)?|a/c)"
    + _WORD_END
    + _JOIN
    + r"([A-Za-z]{0,4}\d(?:[ -]?\d){5,11})(?![A-Za-z0-9])"
)


def luhn_ok(digits: str) -> bool:
    return luhn.is_valid(digits)


def resident_id_ok(value: str) -> bool:
    return ric.is_valid(value)


def _keep_name(mask: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return match.group(1) + match.group(2) + mask

    return replace


def _hide_secret(match: re.Match[str]) -> str:
    name, join, value = match.group(1), match.group(2), match.group(3)
    explicit = join.strip() in _HARD_JOINS
    if explicit or not value.isalpha():
        return name + join + HIDDEN
    return match.group(0)


def _mask_run(match: re.Match[str]) -> str:
    raw = match.group(0)
    compact = re.sub(r"[ -]", "", raw)
    if len(compact) == 18 and resident_id_ok(compact):
        return ID_MASK
    if compact.isdigit() and 13 <= len(compact) <= 19 and luhn_ok(compact):
        return f"[卡号/card ****{compact[-4:]}]"
    if compact.isdigit() and len(compact) >= 12:
        return ACCOUNT_MASK
    return raw


def _mask_iban(match: re.Match[str]) -> str:
    return ACCOUNT_MASK if iban.is_valid(match.group(0)) else match.group(0)


def _mask_mobile(match: re.Match[str]) -> str:
    return "[手机号/phone ****" + re.sub(r"\D", "", match.group(0))[-4:] + "]"


def redact(text: str) -> str:
    """Return ``text`` with personal data masked and secrets removed."""
    if not text:
        return text
    masked = EMAIL.sub(EMAIL_MASK, text)
    masked = _CODE.sub(_keep_name(HIDDEN), masked)
    masked = _CVV.sub(_keep_name(HIDDEN), masked)
    masked = _PASSWORD.sub(_hide_secret, masked)
    masked = _EXPIRY.sub(_keep_name(EXPIRY_MASK), masked)
    masked = _PASSPORT.sub(_keep_name(PASSPORT_MASK), masked)
    masked = _IBAN.sub(_mask_iban, masked)
    masked = _DIGIT_RUN.sub(_mask_run, masked)
    masked = _EXPIRY_AFTER_CARD.sub(lambda m: m.group(1) + m.group(2) + EXPIRY_MASK, masked)
    masked = _ACCOUNT.sub(_keep_name(ACCOUNT_MASK), masked)
    masked = _CN_PASSPORT.sub(PASSPORT_MASK, masked)
    return MOBILE_NUMBER.sub(_mask_mobile, masked)
