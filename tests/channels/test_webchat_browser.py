"""The /chat page in real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.helpers import running_service, service_env

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 390, "height": 844}, locale="zh-CN"
    )
    yield context.new_page()
    context.close()


def _bot_bubbles(page: Page, count: int) -> list[str]:
    page.wait_for_selector(f".row.bot .bubble >> nth={count - 1}", timeout=15000)
    return [b.inner_text() for b in page.query_selector_all(".row.bot .bubble")]


def test_customer_chats_taps_a_quick_reply_and_resumes_after_reload(
    settings, fake_rasa, page: Page, tmp_path
) -> None:
    def reply(text: str) -> list[dict]:
        if text == "你好":
            return [
                {
                    "text": "您好，请问有什么可以帮您？",
                    "buttons": [{"title": "查询工单", "payload": "查询工单进度"}],
                }
            ]
        return [{"text": f"echo: {text}"}]

    fake_rasa.reply = reply
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        page.goto(f"{url}/chat")
        assert page.inner_text("#title") == "安心客服"
        page.wait_for_selector(".welcome")
        page.fill("#input", "你好")
        page.keyboard.press("Enter")
        assert _bot_bubbles(page, 1) == ["您好，请问有什么可以帮您？"]
        page.click(".buttons button:has-text('查询工单')")
        assert _bot_bubbles(page, 2)[1] == "echo: 查询工单进度"
        page.reload()
        assert _bot_bubbles(page, 2) == ["您好，请问有什么可以帮您？", "echo: 查询工单进度"]
        customer = [b.inner_text() for b in page.query_selector_all(".row.customer .bubble")]
        assert customer == ["你好", "查询工单进度"]  # each once: resends are de-duplicated
        page.click("#lang")
        assert page.inner_text("#title") == "Anxin Service"
        assert page.get_attribute("#input", "placeholder") == "Type your question"


def test_markup_in_a_reply_is_shown_as_text(settings, fake_rasa, page: Page, tmp_path) -> None:
    fake_rasa.reply = lambda text: [{"text": '<img src=x onerror="window.pwned=1"><b>bold</b>'}]
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        page.goto(f"{url}/chat")
        page.fill("#input", "hi there")
        page.click("#send")
        assert _bot_bubbles(page, 1) == ['<img src=x onerror="window.pwned=1"><b>bold</b>']
        assert page.query_selector(".row.bot img") is None
        assert page.evaluate("window.pwned") is None


@pytest.mark.parametrize("size", [(390, 844), (1366, 768)])
def test_finding_3_end_chat_clears_a_shared_computer(
    settings, fake_rasa, browser: Browser, tmp_path, size: tuple[int, int]
) -> None:
    fake_rasa.reply = lambda text: [{"text": f"echo: {text}"}]
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        page.goto(f"{url}/chat")
        page.fill("#input", "我的信用卡丢了")
        page.keyboard.press("Enter")
        assert _bot_bubbles(page, 1) == ["echo: 我的信用卡丢了"]
        token = page.evaluate("localStorage.getItem('anxin.session')")
        assert token and all(token not in u and "visitor" not in u for u in sockets)
        page.screenshot(path=str(tmp_path / f"chat-{size[0]}-before.png"))
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#end")
        page.wait_for_selector(".notice[data-who='ended']")
        assert page.query_selector_all(".row") == []
        assert page.evaluate("localStorage.getItem('anxin.session')") is None
        page.screenshot(path=str(tmp_path / f"chat-{size[0]}-ended.png"))
        page.reload()  # the next person at this computer
        page.wait_for_selector(".welcome")
        assert page.query_selector_all(".row") == []
        page.fill("#input", "你好")
        page.keyboard.press("Enter")
        assert _bot_bubbles(page, 1) == ["echo: 你好"]  # a new chat works at once
        assert page.evaluate("localStorage.getItem('anxin.session')") not in (None, token)
    context.close()


def test_short_bubbles_fit_their_text_and_the_switch_sets_the_language(
    settings, fake_rasa, page: Page, tmp_path
) -> None:
    """「你好」 sits on one line; the controls are labelled in the page's language; a
    customer who taps "English" is answered in English even when they type 「好的」."""
    languages: list[str] = []

    def reply(text: str) -> list[dict]:
        languages.append(fake_rasa.calls[-1]["metadata"]["language"])
        return [{"text": "ok"}]

    fake_rasa.reply = reply
    with running_service(service_env(settings), tmp_path / "service.log") as url:
        page.goto(f"{url}/chat")
        page.wait_for_selector(".welcome")
        page.fill("#input", "你好")
        page.keyboard.press("Enter")
        _bot_bubbles(page, 1)
        bubble = page.query_selector(".row.customer .bubble")
        box = bubble.bounding_box()
        assert box is not None and box["height"] < 50 and box["width"] < 80  # one line
        assert page.get_attribute("#input", "aria-label") == "请输入您的问题"
        assert page.get_attribute("#lang", "aria-label") == "Switch to English"
        assert page.get_attribute("#log", "role") == "log"
        page.click("#lang")
        assert page.get_attribute("#lang", "aria-label") == "切换到中文"
        assert page.get_attribute("#input", "aria-label") == "Type your question"
        page.fill("#input", "好的")
        page.keyboard.press("Enter")
        _bot_bubbles(page, 2)
        page.screenshot(path=str(tmp_path / "chat-language-switch.png"))
    assert languages == ["zh", "en"]
