"""The headers every response gets, and the nonce our pages' scripts carry."""

from __future__ import annotations

import re

from bot.web.security_headers import security_headers


def _script_src(policy: str) -> str:
    return next(p for p in policy.split(";") if p.strip().startswith("script-src"))


def test_finding_9_pages_allow_only_scripts_with_this_responses_nonce(customer) -> None:
    for path in ("/chat", "/console"):
        first, second = customer.get(path), customer.get(path)
        policy = first.headers["Content-Security-Policy"]
        script_src = _script_src(policy)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", script_src)
        assert nonce is not None, policy
        assert nonce.group(1) not in second.headers["Content-Security-Policy"]  # fresh each time
        tags = re.findall(r"<script[^>]*>", first.text)
        assert tags and all(f'nonce="{nonce.group(1)}"' in tag for tag in tags), tags


def test_framing_and_the_other_headers() -> None:
    console = security_headers("/console/app/kb", https=True, nonce="n0")
    assert console["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in console["Content-Security-Policy"]
    assert console["Strict-Transport-Security"].startswith("max-age=")
    chat = security_headers("/chat", https=False, nonce="n0")
    assert (
        "X-Frame-Options" not in chat and "frame-ancestors" not in chat["Content-Security-Policy"]
    )
    assert "Strict-Transport-Security" not in chat
    assert "Content-Security-Policy" not in security_headers("/api/v1/tickets", https=False)
