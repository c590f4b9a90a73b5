"""The service's Rasa client against one or several (fake) Rasa servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.pipeline.rasa_client import RasaClient, RasaUnavailable
from fakes.processes import free_port
from fakes.providers import FakeRasa


@pytest.fixture
def second_rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa().start()
    yield fake
    fake.stop()


async def test_turns_go_to_each_server_in_turn(fake_rasa, second_rasa) -> None:
    client = RasaClient(f"{fake_rasa.url}, {second_rasa.url}", "", 5)
    for index in range(6):
        turn = await client.handle(f"c-{index}", "hi", {})
        assert turn.replies[0].text == "echo: hi" and turn.intent == "echo"
    assert len(fake_rasa.calls) == 3 and len(second_rasa.calls) == 3
    await client.close()


async def test_a_server_that_is_down_is_skipped(fake_rasa) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    client = RasaClient(f"{down},{fake_rasa.url}", "", 5)
    for index in range(4):
        await client.handle(f"c-{index}", "hi", {})
    assert len(fake_rasa.calls) == 4
    assert await client.ready()
    await client.close()
    nobody = RasaClient(f"{down},http://127.0.0.1:{free_port()}", "", 5)
    with pytest.raises(RasaUnavailable):
        await nobody.handle("c-x", "hi", {})
    assert not await nobody.ready()
    await nobody.close()


async def test_a_turn_that_reached_a_server_is_never_sent_to_another(
    fake_rasa, second_rasa
) -> None:
    fake_rasa.slow["slow question"] = 3.0  # the first server takes it, then times out
    client = RasaClient(f"{fake_rasa.url},{second_rasa.url}", "", 1)
    with pytest.raises(RasaUnavailable):
        await client.handle("c-1", "slow question", {})
    second_rasa.fail_next = 1
    with pytest.raises(RasaUnavailable):  # the second server's 500 is not retried either
        await client.handle("c-2", "hi", {})
    assert [c["sender"] for c in fake_rasa.calls] == ["c-1"]
    assert [c["sender"] for c in second_rasa.calls] == ["c-2"]
    await client.close()


def test_rasa_url_must_name_a_server() -> None:
    with pytest.raises(ValueError):
        RasaClient(" , ", "", 5)
