"""WeChat callback signatures and message crypto (Official Account and WeCom share them).

Signatures are SHA-1 over the sorted strings and are compared in constant time; the
timestamp must be within ``WINDOW_S`` of now. Decryption is wechatpy's PrpCrypto
(AES-256-CBC with the EncodingAESKey), with the receiver id checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

WINDOW_S = 300


class SignatureError(Exception):
    """Missing, wrong or stale signature: answer 403 and store nothing."""


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - WeChat's scheme


def check_signature(
    token: str, signature: str, timestamp: str, nonce: str, *extra: str, now: float | None = None
) -> None:
    """Raise SignatureError unless ``signature`` signs (token, timestamp, nonce, *extra)
    and ``timestamp`` is within the window of ``now`` (default: the clock)."""
    if not signature or not timestamp or not nonce:
        raise SignatureError("missing signature parameters")
    expected = sha1_signature(token, timestamp, nonce, *extra)
    if not hmac.compare_digest(signature.lower().encode(), expected.encode()):
        raise SignatureError("wrong signature")
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise SignatureError("bad timestamp") from exc
    if abs((time.time() if now is None else now) - sent) > WINDOW_S:
        raise SignatureError("stale timestamp")


class MessageCrypto:
    """Encrypts and decrypts callback bodies for one receiver (app id or corp id)."""

    def __init__(self, token: str, encoding_aes_key: str, receiver_id: str) -> None:
        key = base64.b64decode(encoding_aes_key + "=")
        if len(key) != 32:
            raise ValueError("EncodingAESKey must be 43 characters of base64")
        self.token = token
        self.key = key
        self.receiver_id = receiver_id

    def decrypt(self, encrypted: str) -> str:
        try:
            plain = PrpCrypto(self.key).decrypt(encrypted, self.receiver_id)
        except (InvalidAppIdException, InvalidSignatureException, ValueError) as exc:
            raise SignatureError("cannot decrypt for this receiver") from exc
        return plain.decode() if isinstance(plain, bytes) else str(plain)

    def encrypt(self, plain: str) -> str:
        encrypted = PrpCrypto(self.key).encrypt(plain, self.receiver_id)
        return encrypted.decode() if isinstance(encrypted, bytes) else str(encrypted)
