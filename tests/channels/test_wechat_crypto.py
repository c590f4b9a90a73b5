"""WeChat and WeCom message crypto: Tencent's published vectors, failures, round trips."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.wechat_crypto import MessageCrypto, SignatureError, check_signature, sha1_signature

# Tencent's published test vector (WeCom/Official Account message crypto documentation).
V_TOKEN, V_KEY, V_ID = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
V_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUk"
    "SUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekU"
    "NXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rU"
    "PA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)


def test_published_vector_signature_and_decryption() -> None:
    check_signature(
        V_TOKEN,
        "477715d11cdb4164915debcba66cb864d751f3e6",
        "1409659813",
        "1372623149",
        V_ENCRYPT,
        now=1409659813,
    )
    xml = MessageCrypto(V_TOKEN, V_KEY, V_ID).decrypt(V_ENCRYPT)
    assert "<Content><![CDATA[hello]]></Content>" in xml and "4561255354251345929" in xml
    echo = (
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    )
    check_signature(
        V_TOKEN,
        "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
        "1409659589",
        "263014780",
        echo,
        now=1409659589,
    )
    assert MessageCrypto(V_TOKEN, V_KEY, V_ID).decrypt(echo) == "1616140317555161061"


def test_signature_failures() -> None:
    with pytest.raises(SignatureError, match="wrong"):
        check_signature(V_TOKEN, "0" * 40, "1409659813", "1372623149", V_ENCRYPT, now=1409659813)
    with pytest.raises(SignatureError, match="stale"):
        check_signature(
            V_TOKEN,
            "477715d11cdb4164915debcba66cb864d751f3e6",
            "1409659813",
            "1372623149",
            V_ENCRYPT,
        )
    with pytest.raises(SignatureError, match="missing"):
        check_signature(V_TOKEN, "", "1409659813", "1372623149")
    with pytest.raises(SignatureError):
        MessageCrypto(V_TOKEN, V_KEY, "wx-someone-else").decrypt(V_ENCRYPT)  # wrong receiver


def test_signatures_are_sha1_of_the_sorted_parts() -> None:
    assert sha1_signature("b", "a", "c") == sha1_signature("c", "b", "a")
    assert sha1_signature("a") != sha1_signature("b")


def test_a_fresh_signature_passes_and_a_tampered_body_does_not() -> None:
    now = int(time.time())
    good = sha1_signature(V_TOKEN, str(now), "nonce", "body")
    check_signature(V_TOKEN, good, str(now), "nonce", "body", now=now)
    with pytest.raises(SignatureError):
        check_signature(V_TOKEN, good, str(now), "nonce", "another body", now=now)


@given(st.text(min_size=0, max_size=500))
def test_what_we_encrypt_decrypts_to_itself(plain: str) -> None:
    crypto = MessageCrypto(V_TOKEN, V_KEY, V_ID)
    assert crypto.decrypt(crypto.encrypt(plain)) == plain
