import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.log_format import RedactingFilter
from bot.core.redact import luhn_ok, redact, resident_id_ok

VISA_TEST = "4111111111111111"  # Luhn-valid test card
UNIONPAY_TEST = "6222021234567890128"  # 19 digits, Luhn-valid
RESIDENT_ID = "11010519491231002X"  # published example with a valid checksum


def test_luhn_and_id_checks() -> None:
    assert luhn_ok(VISA_TEST)
    assert luhn_ok(UNIONPAY_TEST)
    assert not luhn_ok("4111111111111112")
    assert resident_id_ok(RESIDENT_ID)
    assert not resident_id_ok("110105194912310021")


@pytest.mark.parametrize(
    "card", [VISA_TEST, "4111 1111 1111 1111", "4111-1111-1111-1111", UNIONPAY_TEST]
)
def test_card_numbers_keep_only_last_four(card: str) -> None:
    out = redact(f"我的卡号是{card}，请帮我挂失")
    digits = card.replace(" ", "").replace("-", "")
    assert digits not in out.replace(" ", "").replace("-", "")
    assert f"****{digits[-4:]}" in out
    assert out.endswith("，请帮我挂失")


def test_resident_id_masked() -> None:
    out = redact(f"身份证号 {RESIDENT_ID}")
    assert RESIDENT_ID not in out
    assert "[身份证/ID]" in out


@pytest.mark.parametrize(
    "phone", ["13812345678", "138 1234 5678", "+86 13812345678", "+8613812345678"]
)
def test_mobile_numbers_masked(phone: str) -> None:
    out = redact(f"call me on {phone} please")
    assert "13812345678" not in out.replace(" ", "")
    assert "5678" in out


def test_account_numbers_masked_even_without_luhn() -> None:
    out = redact("转到账户 6222021234567890123")
    assert "6222021234567890123" not in out


def test_ordinary_text_and_ticket_numbers_untouched() -> None:
    for text in [
        "你好",
        "How do I reset my password?",
        "查询工单 AX26112800001",
        "金额 50000 元",
        "2026-11-28",
    ]:
        assert redact(text) == text


def test_logging_filter_masks_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info("card %s", VISA_TEST)
    assert VISA_TEST not in caplog.text
    assert "****1111" in caplog.text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("CVV 123", "123"),
        ("卡背面安全码是456", "456"),
        ("PIN: 1234", "1234"),
        ("取款密码 123456", "123456"),
        ("my password is 8642", "8642"),
        ("cvv2=9876", "9876"),
        ("我的密码123", "123"),
    ],
)
def test_security_codes_and_pins_are_never_kept(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked and "[已隐藏/hidden]" in masked


def test_words_that_merely_contain_pin_and_amounts_are_untouched() -> None:
    assert redact("shopping 123 items") == "shopping 123 items"
    assert redact("转账5000元，密码忘了怎么办") == "转账5000元，密码忘了怎么办"


# Finding 2 of the security review: secrets and other personal data stored in clear.
@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("登录密码是 Abc@2024x，验证码 654321", ["Abc@2024x", "654321"]),
        ("我的网银密码：p@ss-w0rd。", ["p@ss-w0rd"]),
        ("my password is Abc@2024x, thanks", ["Abc@2024x"]),
        ("password: hunter2.", ["hunter2"]),
        ("交易密码：abcdef", ["abcdef"]),
        ("短信验证码是 8X7Y6Z", ["8X7Y6Z"]),
        ("OTP is 123456", ["123456"]),
        ("the verification code: 4455", ["4455"]),
        ("CVN2: 456", ["456"]),
        ("卡背面三位 789", ["789"]),
        ("card 4111 1111 1111 1111 exp 12/28", ["12/28", "4111 1111"]),
        ("卡号4111111111111111，有效期 08/27", ["08/27"]),
        ("4111111111111111 12/2028", ["12/2028"]),
        ("write to zhang.san+bank@example.com.cn please", ["zhang.san", "example.com"]),
        ("邮箱 lisi2024@qq.com", ["lisi2024", "qq.com"]),
        ("护照号 E12345678", ["E12345678"]),
        ("my passport is EA1234567", ["EA1234567"]),
        ("passport no. 123456789", ["123456789"]),
        ("账号 12345678", ["12345678"]),
        ("account number: 987654321", ["987654321"]),
        ("IBAN GB82 WEST 1234 5698 7654 32", ["GB82", "5698"]),
    ],
)
def test_finding_2_secrets_and_personal_data_are_masked(text: str, secrets: list[str]) -> None:
    masked = redact(text)
    for secret in secrets:
        assert secret not in masked, masked
    assert redact(masked) == masked


@pytest.mark.parametrize(
    "text",
    [
        "密码忘了怎么办",
        "my password is not working",
        "验证码收不到",
        "验证码是多少",
        "账户余额 5000",
        "G1234 次列车几点到",
        "ping 1234",
        "信用卡有效期是多久",
    ],
)
def test_finding_2_questions_about_secrets_are_not_masked(text: str) -> None:
    assert redact(text) == text


def test_checksums_come_from_stdnum() -> None:
    # A Luhn-invalid 16-digit run is still an account number, never a card with last four.
    assert redact("4111111111111112") == "[账号/account]"
    # A resident ID with a wrong check digit is not called an ID, but is still masked.
    assert "110105194912310021" not in redact("110105194912310021")


@given(st.text(max_size=200))
def test_redact_never_fails_and_is_stable(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
