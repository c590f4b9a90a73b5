from bot.kb_suggest import grams, suggest


def test_grams_cover_chinese_and_english() -> None:
    assert {"密码", "忘了"} <= grams("密码忘了")
    assert "password" in grams("How do I reset my PASSWORD?")


def test_suggestions_rank_the_matching_entry_first(db) -> None:
    with db.session() as s:
        zh = suggest(s, "网银密码忘记了怎么办", "zh")
        en = suggest(s, "what is the transfer limit per day", "en")
        assert suggest(s, "", "zh") == []
    assert zh[0].key == "reset_password" and "忘记密码" in zh[0].answer
    assert en[0].key == "transfer_limit" and "CNY" in en[0].answer
