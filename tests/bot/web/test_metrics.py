"""/metrics: Prometheus text with counts only, never message text or identities."""

from __future__ import annotations

from fakes.processes import wait_for
from tests.helpers import chat_post


def test_metrics_count_messages_and_rasa_turns(customer, fake_rasa) -> None:
    chat_post(customer, "visitor-metrics", "我的卡号 6222021234567890")

    def scraped() -> str:
        return customer.get("/metrics").text

    wait_for(
        lambda: (
            'anxin_messages_total{channel="webchat",direction="in",status="done"} 1' in scraped()
        )
    )
    body = scraped()
    assert customer.get("/metrics").headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "anxin_rasa_requests_total 1" in body and "anxin_rasa_failures_total 0" in body
    assert 'anxin_messages_total{channel="webchat",direction="out",status="done"} 1' in body
    assert "anxin_inbox_waiting 0" in body and "anxin_sla_breached_open 0" in body
    assert "# TYPE anxin_handoffs gauge" in body
    assert "# TYPE anxin_webhook_store_seconds histogram" in body
    assert 'anxin_webhook_store_seconds_bucket{le="+Inf"} 1' in body
    assert "anxin_webhook_store_seconds_count 1" in body
    assert "anxin_webhook_store_transactions_total 1" in body
    assert "visitor-metrics" not in body and "6222" not in body and "卡号" not in body
