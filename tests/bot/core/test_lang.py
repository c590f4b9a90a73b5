from bot.core.lang import detect_language


def test_a_first_message_sets_the_language() -> None:
    assert detect_language("你好", settled=False) == "zh"
    assert detect_language("我的信用卡丢了", settled=False) == "zh"
    assert detect_language("How do I reset my online banking password?", settled=False) == "en"
    assert detect_language("hello", settled=False) == "en"
    assert detect_language("我想reset密码", settled=False) == "zh"
    assert detect_language("check AX26112800001", settled=False) == "en"


def test_short_answers_digits_emoji_and_numbers_keep_the_language() -> None:
    for said in ("ok", "OK!", "Okay.", "yes", "thanks", "123", "👍", "AX26112800001", "4"):
        assert detect_language(said, previous="zh") == "zh", said
    for said in ("好的", "嗯", "谢谢！", "是的", "好", "👍", "AX26112800001"):
        assert detect_language(said, previous="en") == "en", said
    # one English word in a Chinese conversation is not a switch
    assert detect_language("ATM", previous="zh") == "zh"
    assert detect_language("check AX26112800001", previous="zh") == "zh"
    assert detect_language("我的app登不上", previous="zh") == "zh"


def test_a_sentence_in_the_other_language_switches_it() -> None:
    assert detect_language("I lost my card", previous="zh") == "en"
    assert detect_language("please speak English", previous="zh") == "en"
    assert detect_language("我的卡丢了", previous="en") == "zh"
    assert detect_language("你好", previous="en") == "zh"
