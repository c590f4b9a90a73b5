"""Contact addresses that are personal data (phone numbers) are never stored in clear.

A conversation is keyed by a pseudonym (keyed HMAC of the address) and the address
itself, needed to reply, is kept encrypted (Fernet, key derived from ANXIN_DATA_KEY).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class VaultError(Exception):
    pass


class ContactVault:
    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise VaultError("ANXIN_DATA_KEY (16+ characters) is required to store phone numbers")
        self._mac_key = hashlib.sha256(b"anxin-pseudonym:" + secret.encode()).digest()
        fernet_key = base64.urlsafe_b64encode(
            hashlib.sha256(b"anxin-seal:" + secret.encode()).digest()
        )
        self._fernet = Fernet(fernet_key)

    def pseudonym(self, address: str) -> str:
        """A stable, non-reversible id for an address (same address, same id)."""
        return "p-" + hmac.new(self._mac_key, address.encode(), hashlib.sha256).hexdigest()[:40]

    def seal(self, address: str) -> str:
        return self._fernet.encrypt(address.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise VaultError("sealed address cannot be opened with this ANXIN_DATA_KEY") from exc
