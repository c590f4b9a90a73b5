from bot.core.lang import detect_language


def test_detects_chinese_and_english() -> None:
    assert detect_language("你好") == "zh"
    assert detect_language("我的信用卡丢了") == "zh"
    assert detect_language("How do I reset my online banking password?") == "en"
    assert detect_language("我想reset密码") == "zh"


def test_keeps_previous_language_when_unclear() -> None:
    assert detect_language("123", previous="en") == "en"
    assert detect_language("👍", previous="zh") == "zh"
    assert detect_language("AX26112800001", previous="zh") == "zh"
    assert detect_language("check AX26112800001", previous="zh") == "en"
