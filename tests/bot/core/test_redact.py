import logging

import pytest

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
